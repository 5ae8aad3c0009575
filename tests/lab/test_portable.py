"""The lab's verdicts once more on the portable paths (issue #28, part 2): FLEXDIAG_PORTABLE=1
makes flexdiag behave as on an OS without Linux's ICMP error queue and /proc (macOS, Windows).
In every router mode the verdicts are the same; only the TTL-limited probes (nat.upstream's
hops, media.ports) cannot be measured that way, and say so. The quick run in eight modes, the
default run (media) where audio is dropped, and the lifetime measurement where the router's
UDP timeout is short."""

from __future__ import annotations

from typing import Any

import pytest

from flexdiag.net.media import NO_ERROR_QUEUE
from tests.lab.topology import MEDIA_RANGE, Lab, checks

pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("lab")]  # one lab: one worker

MODES = ["routed", "masquerade", "snat-ports", "random", "sip-alg", "drop-5060", "flow-limit",
         "drop-fragments"]
PORTABLE = {"FLEXDIAG_PORTABLE": "1"}


TTL_LIMITED = ("nat.upstream", "media.ports")


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {i: c["status"] for i, c in checks(report).items() if i not in TTL_LIMITED}


@pytest.mark.parametrize("mode_lab", MODES, indirect=True)
def test_portable_paths_give_the_same_verdicts(mode_lab: Lab) -> None:
    native_code, native = mode_lab.flexdiag()
    mode_lab.flush_conntrack()
    portable_code, portable = mode_lab.flexdiag(env=PORTABLE)
    print(f"\n{mode_lab.mode}: exit {native_code} / portable {portable_code}; "
          f"took {native['duration_s']} s / {portable['duration_s']} s")
    assert statuses(portable) == statuses(native)
    assert portable_code == native_code
    upstream = checks(portable)["nat.upstream"]
    assert upstream["status"] in ("skip", "pass") and "error" in upstream["data"]
    assert portable["environment"]["gateway_ip"] == native["environment"]["gateway_ip"]


def _both(lab: Lab, *args: str, timeout: float) -> tuple[dict[str, Any], dict[str, Any]]:
    native_code, native = lab.flexdiag(*args, quick=False, timeout=timeout)
    lab.flush_conntrack()
    portable_code, portable = lab.flexdiag(*args, quick=False, timeout=timeout, env=PORTABLE)
    assert portable_code == native_code
    return native, portable


@pytest.mark.parametrize("mode_lab", ["masquerade", "drop-media"], indirect=True)
def test_portable_default_run_judges_the_audio_all_the_same(mode_lab: Lab) -> None:
    native, portable = _both(mode_lab, "--horizon", "10", "--media-ranges", MEDIA_RANGE,
                             "--media-seconds", "2", timeout=150)
    print(f"\n{mode_lab.mode}: {statuses(native)}\n  portable: {statuses(portable)}")
    assert statuses(portable) == statuses(native)
    dropped = mode_lab.mode == "drop-media"
    assert checks(portable)["media.quality"]["status"] == ("fail" if dropped else "pass")
    assert checks(native)["media.ports"]["status"] == ("fail" if dropped else "pass")
    ports = checks(portable)["media.ports"]  # TTL-limited: not measured, and said so
    assert ports["status"] == "skip" and ports["data"]["error"] == NO_ERROR_QUEUE, ports
    assert (ports["data"]["reason"], ports["data"]["measure_with"]) == (
        "not-measured", "flexdiag run (Linux)")  # so the headline is never plain "Ready"


@pytest.mark.parametrize("mode_lab", ["timeouts-10-40"], indirect=True)
def test_portable_lifetime_brackets_the_same_timeout(mode_lab: Lab) -> None:
    native, portable = _both(mode_lab, "--lifetime", "--registration-time", "60",
                             "--max-wait", "40", timeout=150)
    lifetimes = [checks(r)["nat.lifetime"] for r in (native, portable)]
    print("\ntimeouts-10-40: " + " / ".join(
        f"{x['status']} alive {x['data'].get('alive_s')} expired {x['data'].get('expired_s')}"
        for x in lifetimes))
    assert statuses(portable) == statuses(native)
    assert [x["status"] for x in lifetimes] == ["fail", "fail"]
    for lifetime in lifetimes:  # the fresh-flow timeout (10 s) bracketed either way: a probe
        # at exactly 10.0 s can find the mapping gone (tests/lab/test_lifetime.py alike)
        assert lifetime["data"]["alive_s"] < 10 <= lifetime["data"]["expired_s"], lifetime

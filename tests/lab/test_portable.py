"""The lab's verdicts once more on the portable paths (issue #28, part 2): FLEXDIAG_PORTABLE=1
makes flexdiag behave as on an OS without Linux's ICMP error queue and /proc (macOS, Windows).
In every router mode the verdicts are the same; only nat.upstream's hops (TTL-limited probes)
cannot be measured that way, and say so."""

from __future__ import annotations

from typing import Any

import pytest

from tests.lab.topology import Lab, checks

pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("lab")]  # one lab: one worker

MODES = ["routed", "masquerade", "snat-ports", "random", "sip-alg", "drop-5060", "flow-limit",
         "drop-fragments"]
PORTABLE = {"FLEXDIAG_PORTABLE": "1"}


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {i: c["status"] for i, c in checks(report).items() if i != "nat.upstream"}


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

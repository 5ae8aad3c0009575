"""flexdiag against real servers (coturn, kamailio, chrony, dnsmasq) on loopback."""

from __future__ import annotations

import json
from typing import Any

import pytest

from flexdiag.cli import main
from tests.interop.conftest import NTP_IP, SIP_IP, STUN_IPS, RealPlatform

pytestmark = [pytest.mark.interop, pytest.mark.xdist_group("interop")]  # shared daemons


def run_json(argv: list[str], capsys: Any) -> tuple[int, dict[str, Any]]:
    with pytest.raises(SystemExit) as info:
        main(["run", "--quick", "--json", *argv])
    out, _ = capsys.readouterr()
    return int(info.value.code or 0), json.loads(out)


def test_quick_run_passes_against_real_servers(real_platform: RealPlatform, capsys: Any,
                                               validate_report: Any) -> None:
    code, report = run_json(real_platform.args(), capsys)
    validate_report(report)
    checks = {c["id"]: c for c in report["checks"]}
    assert code == 0, [(c["id"], c["summary"]) for c in report["checks"]]
    assert checks["dns.voip"]["data"]["addresses"] == [SIP_IP]
    assert checks["dns.stun"]["data"]["addresses"] == [STUN_IPS[0]]
    binding = checks["stun.binding"]["data"]
    assert binding["server"] == f"{STUN_IPS[0]}:3478"
    assert binding["mapped"] == binding["local"] and binding["nat"] is False
    assert binding["software"].startswith("Coturn")
    for port in (5060, 38388):
        sip = checks[f"sip.udp.{port}"]["data"]
        assert sip["status_code"] == 200 and sip["reply_from"] == f"{SIP_IP}:{port}"
        # kamailio's force_rport() echoes what it saw: our own socket, as nothing translates.
        assert sip["via_rport"] == int(sip["local"].rsplit(":", 1)[1])
        assert sip["via_received"] == sip["local"].rsplit(":", 1)[0]
    # coturn with two addresses speaks RFC 5780; on loopback nothing maps or filters.
    assert checks["stun.binding"]["data"]["other_address"] == f"{STUN_IPS[1]}:3479"
    assert checks["nat.mapping"]["data"]["method"] == "rfc5780"
    assert checks["nat.mapping"]["data"]["behavior"] == "endpoint-independent"
    assert checks["nat.filtering"]["data"]["behavior"] == "endpoint-independent"
    assert checks["sip.alg"]["data"]["detected"] is False
    assert checks["sip.large"]["status"] == "pass"  # kamailio takes 3000-byte requests
    ntp = checks["ntp.offset"]["data"]
    assert ntp["server"] == f"{NTP_IP}:11123" and ntp["stratum"] == 8 and ntp["leap"] == 0
    assert abs(ntp["offset_s"]) < 0.05  # chrony serves this machine's own clock


@pytest.mark.parametrize(("name", "status", "kind"), [
    ("short.test.invalid", "pass", None),  # 8 links: followed, the mixed case echoed
    ("long.test.invalid", "fail", "chain-long"),  # 20: dnsmasq's answer stops at 16
])
def test_cname_chains_from_dnsmasq(name: str, status: str, kind: str | None,
                                   real_platform: RealPlatform, capsys: Any,
                                   validate_report: Any) -> None:
    """Issue #21: a chain of 16 or more links made dnspython's ChainTooLong escape: every
    check 'error', exit 3, 'Future exception was never retrieved'."""
    args = real_platform.args()
    args[args.index("--sip-server") + 1] = name
    code, report = run_json(args, capsys)
    validate_report(report)
    voip = next(c for c in report["checks"] if c["id"] == "dns.voip")
    assert voip["status"] == status and voip["data"].get("error") == kind, voip
    assert not any(c["status"] == "error" for c in report["checks"])
    if kind is None:
        assert voip["data"]["addresses"] == [SIP_IP]
    else:
        assert code == 2 and "CNAME chain is longer than 16 links" in voip["summary"]


def test_unknown_name_is_nxdomain_from_dnsmasq(real_platform: RealPlatform, capsys: Any,
                                               validate_report: Any) -> None:
    args = real_platform.args()
    args[args.index("--sip-server") + 1] = "nothere.test.invalid"
    code, report = run_json(args, capsys)
    validate_report(report)
    voip = next(c for c in report["checks"] if c["id"] == "dns.voip")
    assert code == 2 and voip["status"] == "fail" and voip["data"]["error"] == "nxdomain"


def test_sip_port_nobody_listens_on(real_platform: RealPlatform, capsys: Any) -> None:
    args = real_platform.args() + ["--sip-ports", "5060,5999"]
    code, report = run_json(args, capsys)
    checks = {c["id"]: c for c in report["checks"]}
    assert code == 2
    assert checks["sip.udp.5060"]["status"] == "pass"
    closed = checks["sip.udp.5999"]
    assert closed["status"] == "fail" and "ICMP port unreachable" in closed["summary"]
    assert "5060" in closed["advice"]


def test_the_portable_paths_give_the_same_verdicts(real_platform: RealPlatform, capsys: Any,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   validate_report: Any) -> None:
    """Issue #28, part 2: with FLEXDIAG_PORTABLE=1 (no ICMP error queue, no /proc: the paths of
    macOS and Windows) the real servers get the same verdicts; nat.upstream's hops cannot be
    measured that way and say so."""
    _, native = run_json(real_platform.args(), capsys)
    monkeypatch.setenv("FLEXDIAG_PORTABLE", "1")
    _, portable = run_json(real_platform.args(), capsys)
    validate_report(portable)

    def statuses(report: dict[str, Any]) -> dict[str, str]:
        return {c["id"]: c["status"] for c in report["checks"] if c["id"] != "nat.upstream"}

    assert statuses(portable) == statuses(native)
    assert portable["environment"]["gateway_ip"] == native["environment"]["gateway_ip"]
    upstream = next(c for c in portable["checks"] if c["id"] == "nat.upstream")
    assert upstream["status"] == "skip" and "ICMP" in upstream["data"]["error"]

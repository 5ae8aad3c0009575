"""Fast verdicts on broken networks: where UDP 5060 is dropped, or DNS points the SIP server
at a dead address, the quick run reaches the same verdicts as when it waits out its whole
budget, in at most 3 s: the other exchanges of the run (the same host on 38388, the STUN
server) show how long an answer could take."""

from __future__ import annotations

from typing import Any

import pytest

from tests.lab.topology import ISP, Lab, checks, sh

pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("lab")]  # one lab: one worker

DEAD_IP = "198.51.100.99"  # blackholed on the provider host: silence, no ICMP



@pytest.mark.parametrize("mode_lab", ["drop-5060"], indirect=True)
def test_5060_dropped_is_judged_in_3_s(mode_lab: Lab, validate_report: Any) -> None:
    code, report = mode_lab.flexdiag("--timeout", "8")
    validate_report(report)
    c = checks(report)
    assert report["duration_s"] <= 3.0, report["duration_s"]
    assert (code, c["sip.udp.5060"]["status"], c["sip.udp.38388"]["status"],
            c["sip.phone"]["status"]) == (2, "fail", "pass", "fail")
    assert "round trip to this host" in c["sip.udp.5060"]["data"]["silence"]
    assert report["summary"]["phone_settings"] == {"sip_port": 38388, "local_sip_port": 5062}


def test_a_dead_sip_server_address_is_judged_in_3_s(lab: Lab, validate_report: Any) -> None:
    sh("ip", "route", "add", "blackhole", f"{DEAD_IP}/32", ns=ISP)
    try:
        code, report = lab.flexdiag("--sip-server", DEAD_IP, "--timeout", "8")
    finally:
        sh("ip", "route", "del", "blackhole", f"{DEAD_IP}/32", ns=ISP, check=False)
    validate_report(report)
    c = checks(report)
    assert report["duration_s"] <= 3.0, report["duration_s"]
    assert code == 2
    assert {c["sip.udp.5060"]["status"], c["sip.udp.38388"]["status"]} == {"fail"}
    assert c["stun.binding"]["status"] == "pass"
    assert "another server" in c["sip.udp.5060"]["data"]["silence"]

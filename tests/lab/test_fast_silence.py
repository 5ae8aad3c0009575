"""Fast verdicts on broken networks: where UDP 5060 is dropped, or DNS points the SIP server
at a dead address, the quick run reaches the same verdicts as when it waits out its whole
budget, in at most 3 s: the other exchanges of the run (the same host on 38388, the STUN
server) show how long an answer could take."""

from __future__ import annotations

import os
import subprocess
from typing import Any

import pytest

from tests.daemons import dnsmasq_argv
from tests.lab.topology import ISP, NTP_IP, STUN_IPS, Lab, checks, sh

pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("lab")]  # one lab: one worker

DEAD_IP = "198.51.100.99"  # blackholed on the provider host: silence, no ICMP
HIJACK_DNS = "198.51.100.54"



@pytest.mark.parametrize("mode_lab", ["drop-5060"], indirect=True)
def test_5060_dropped_is_judged_in_3_s(mode_lab: Lab, validate_report: Any) -> None:
    code, report = mode_lab.flexdiag("--timeout", "8")
    validate_report(report)
    c = checks(report)
    assert report["duration_s"] <= 3.0, report["duration_s"]
    assert (code, c["sip.udp.5060"]["status"], c["sip.udp.38388"]["status"],
            c["sip.phone"]["status"]) == (2, "fail", "pass", "fail")
    assert "round trip to this host" in c["sip.udp.5060"]["data"]["silence"]
    settings = report["summary"]["phone_settings"]
    assert (settings["sip_port"], settings["local_sip_port"]) == (38388, 5062)
    assert settings["keepalive_s"] is None and settings["stun_server"] is None


def test_dns_pointing_the_sip_server_at_a_dead_address_is_judged_in_3_s(
        lab: Lab, tmp_path: Any, validate_report: Any) -> None:
    # A resolver that answers voip.gntel.nl with an address that swallows everything.
    sh("ip", "route", "add", "blackhole", f"{DEAD_IP}/32", ns=ISP)
    sh("ip", "addr", "add", f"{HIJACK_DNS}/32", "dev", "lo", ns=ISP)
    records = {"voip.gntel.nl": DEAD_IP, "stun.gntel.nl": STUN_IPS[0], "ntp.gntel.nl": NTP_IP}
    log = open(tmp_path / "dnsmasq.log", "wb")  # noqa: SIM115 - lives with the process
    dns = subprocess.Popen(["ip", "netns", "exec", ISP,
                            *dnsmasq_argv(HIJACK_DNS, 53, "gntel.nl", records, tmp_path)],
                           stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        code, report = lab.flexdiag("--dns-server", HIJACK_DNS, "--timeout", "8")
    finally:
        os.killpg(dns.pid, 15)
        dns.wait(10)
        log.close()
        sh("ip", "addr", "del", f"{HIJACK_DNS}/32", "dev", "lo", ns=ISP, check=False)
        sh("ip", "route", "del", "blackhole", f"{DEAD_IP}/32", ns=ISP, check=False)
    validate_report(report)
    c = checks(report)
    assert report["duration_s"] <= 3.0, report["duration_s"]
    assert code == 2 and c["dns.voip"]["data"]["addresses"] == [DEAD_IP]
    assert {c["sip.udp.5060"]["status"], c["sip.udp.38388"]["status"]} == {"fail"}
    assert c["stun.binding"]["status"] == "pass"
    assert "another server" in c["sip.udp.5060"]["data"]["silence"]

"""What support gets, across the lab: a report coloured on a terminal, the environment naming
the LAN's router, and a redacted ticket of a DNS hijack that keeps the platform's name and the
wrong address DNS gave, and holds neither the customer's public nor its LAN address."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import Any

import pytest

from tests.daemons import dnsmasq_argv
from tests.lab.topology import ISP, LAN, PHONE_IP, RTR_LAN_IP, RTR_WAN_IP, Lab, sh
from tests.terminal import run_on_terminal

pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("lab")]  # one lab: one worker

HIJACK_DNS, WRONG_ANSWER = "198.51.100.54", "198.51.100.200"
# The platform's servers only (.10-.11 STUN, .20 SIP, .30 NTP): the router's public address
# (.1) is then the customer's, as on the internet.
RANGES = "198.51.100.8/29,198.51.100.16/29,198.51.100.24/29"


def test_the_report_is_coloured_on_a_terminal(lab: Lab) -> None:
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120"}
    env.pop("NO_COLOR", None)
    text = run_on_terminal(["ip", "netns", "exec", LAN, sys.executable, "-m", "flexdiag",
                            "run", "--platform-ranges", "198.51.100.0/24"], env)
    assert "\x1b[1;32mPASS" in text  # green, on a terminal


def test_redacted_dns_hijack_ticket_keeps_the_platforms_facts(
        lab: Lab, tmp_path: Any, validate_report: Any) -> None:
    sh("ip", "addr", "add", f"{HIJACK_DNS}/32", "dev", "lo", ns=ISP)
    records = {"voip.gntel.nl": WRONG_ANSWER, "stun.gntel.nl": "198.51.100.10",
               "ntp.gntel.nl": "198.51.100.30"}
    log = open(tmp_path / "dnsmasq.log", "wb")  # noqa: SIM115 - lives with the process
    dns = subprocess.Popen(["ip", "netns", "exec", ISP,
                            *dnsmasq_argv(HIJACK_DNS, 53, "gntel.nl", records, tmp_path)],
                           stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        code, report = lab.flexdiag("--dns-server", HIJACK_DNS, "--platform-ranges", RANGES,
                                    "--redact")
    finally:
        os.killpg(dns.pid, 15)
        dns.wait(10)
        log.close()
        sh("ip", "addr", "del", f"{HIJACK_DNS}/32", "dev", "lo", ns=ISP, check=False)
    validate_report(report)
    text = json.dumps(report)
    voip = next(c for c in report["checks"] if c["id"] == "dns.voip")
    assert voip["status"] == "warn" and voip["data"]["addresses"] == [WRONG_ANSWER]
    assert "voip.gntel.nl" in voip["summary"] and WRONG_ANSWER in voip["summary"]
    for address in (RTR_WAN_IP, PHONE_IP, RTR_LAN_IP):  # the customer's public and LAN side
        assert not re.search(rf"(?<![\d.]){re.escape(address)}(?!\d)", text), address
    assert report["summary"]["public_ip"].startswith("[public-ip-")
    assert report["environment"]["gateway_ip"].startswith("[")  # redacted: the customer's


def test_the_environment_names_the_lans_router(lab: Lab) -> None:
    _, report = lab.flexdiag()
    env = report["environment"]
    assert (env["gateway_ip"], env["local_ip"], env["interface"]) == (RTR_LAN_IP, PHONE_IP,
                                                                      "eth0")
    assert env["gateway_mac"] and env["argv"][:2] == ["run", "--json"]

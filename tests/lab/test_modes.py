"""flexdiag across a real Linux NAT: for every router mode, the findings must match what the
kernel actually does, as conntrack in the router namespace shows it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.lab.topology import (
    DNS_IP,
    LAN,
    NTP_IP,
    PHONE_IP,
    RTR,
    RTR_LAN_IP,
    RTR_WAN_IP,
    SIP_IP,
    SNAT_PORTS,
    STUN_IPS,
    Lab,
    checks,
    sh,
)

pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("lab")]  # one lab: one worker



def flow_to(lab: Lab, dst: str, dport: int, sport: str | None = None) -> dict[str, Any]:
    """The router's conntrack entry for the LAN host's flow to dst:dport (from sport)."""
    flows = [f for f in lab.conntrack()
             if f["orig"].get("dst") == dst and f["orig"].get("dport") == str(dport)
             and f["orig"].get("src") == PHONE_IP
             and (sport is None or f["orig"].get("sport") == sport)]
    assert flows, f"no conntrack flow to {dst}:{dport}: {lab.conntrack()}"
    return flows[-1]


def assert_common(report: dict[str, Any]) -> None:
    """What holds in every mode where the paths are open: DNS in the ranges, NTP near zero."""
    c = checks(report)
    for dns_id, addr in (("dns.voip", SIP_IP), ("dns.stun", STUN_IPS[0]), ("dns.ntp", NTP_IP)):
        assert c[dns_id]["status"] == "pass", c[dns_id]
        assert c[dns_id]["data"]["addresses"] == [addr]
        assert c[dns_id]["data"]["in_platform_ranges"] is True
        assert c[dns_id]["data"]["resolver"] == f"system ({DNS_IP})"
    ntp = c["ntp.offset"]
    assert ntp["status"] == "pass" and abs(ntp["data"]["offset_s"]) < 0.05


@pytest.mark.parametrize("mode_lab", ["routed"], indirect=True)
def test_routed_no_nat(mode_lab: Lab, validate_report: Any) -> None:
    code, report = mode_lab.flexdiag()
    validate_report(report)
    assert_common(report)
    binding = checks(report)["stun.binding"]["data"]
    assert code == 0 and binding["nat"] is False and binding["port_translation"] is False
    assert binding["mapped"] == binding["local"] and binding["mapped"].startswith(PHONE_IP)
    # Kernel's view: the reply goes back to the phone's own address and port.
    flow = flow_to(mode_lab, STUN_IPS[0], 3478, binding["local"].rsplit(":", 1)[1])
    assert flow["reply"]["dst"] == PHONE_IP and flow["reply"]["dport"] == flow["orig"]["sport"]


@pytest.mark.parametrize("mode_lab", ["masquerade", "sip-alg", "short-timeouts"], indirect=True)
def test_masquerade_keeps_ports(mode_lab: Lab, validate_report: Any) -> None:
    code, report = mode_lab.flexdiag()
    validate_report(report)
    assert_common(report)
    c = checks(report)
    binding = c["stun.binding"]["data"]
    failing = {x["id"] for x in report["checks"] if x["status"] not in ("pass", "skip")}
    assert failing == ({"sip.alg"} if mode_lab.mode == "sip-alg" else set()), failing
    assert code == (2 if mode_lab.mode == "sip-alg" else 0)
    assert binding["nat"] is True and binding["port_translation"] is False
    assert report["summary"]["public_ip"] == RTR_WAN_IP
    flow = flow_to(mode_lab, STUN_IPS[0], 3478, binding["local"].rsplit(":", 1)[1])
    assert flow["reply"]["dst"] == RTR_WAN_IP
    assert flow["reply"]["dport"] == flow["orig"]["sport"]
    for port in (5060, 38388):
        sip = c[f"sip.udp.{port}"]
        assert sip["status"] == "pass" and sip["data"]["status_code"] == 200
        assert sip["data"]["reply_from"] == f"{SIP_IP}:{port}"


@pytest.mark.parametrize("mode_lab", ["snat-ports", "random"], indirect=True)
def test_port_translation_matches_the_kernel(mode_lab: Lab, validate_report: Any) -> None:
    code, report = mode_lab.flexdiag()
    validate_report(report)
    assert_common(report)
    binding = checks(report)["stun.binding"]
    flow = flow_to(mode_lab, STUN_IPS[0], 3478, binding["data"]["local"].rsplit(":", 1)[1])
    mapped_port = int(binding["data"]["mapped"].rsplit(":", 1)[1])
    local_port = int(binding["data"]["local"].rsplit(":", 1)[1])
    # What STUN reports is exactly the translation conntrack made.
    assert flow["reply"]["dst"] == RTR_WAN_IP and int(flow["reply"]["dport"]) == mapped_port
    assert int(flow["orig"]["sport"]) == local_port
    translated = mapped_port != local_port
    assert binding["data"]["port_translation"] is translated
    if mode_lab.mode == "snat-ports":
        assert SNAT_PORTS[0] <= mapped_port <= SNAT_PORTS[1] and translated
    if translated:
        assert code == 1 and binding["status"] == "warn" and binding["faq"] == [4, 5, 6]


@pytest.mark.parametrize("mode_lab", ["sip-alg"], indirect=True)
def test_sip_alg_mode_assigns_the_kernel_helper_on_5060_only(mode_lab: Lab) -> None:
    mode_lab.flexdiag()
    assert flow_to(mode_lab, SIP_IP, 5060)["helper"] == "sip"
    assert flow_to(mode_lab, SIP_IP, 38388)["helper"] is None


@pytest.mark.parametrize("mode_lab", ["drop-5060"], indirect=True)
def test_dropped_5060_fails_cleanly_and_plans_38388_from_another_local_port(
        mode_lab: Lab, validate_report: Any) -> None:
    code, report = mode_lab.flexdiag("--timeout", "2")
    validate_report(report)
    assert_common(report)
    c = checks(report)
    dropped, open_port = c["sip.udp.5060"], c["sip.udp.38388"]
    assert code == 2
    assert dropped["status"] == "fail" and dropped["data"]["status_code"] is None
    assert dropped["data"]["sent"] >= 2 and "38388" in dropped["advice"]
    assert open_port["status"] == "pass"
    # From the phones' own port 5060 even 38388 is silent (its answers go to port 5060): the
    # plan moves the local port too (tests/lab/test_phone.py shows a real phone agreeing).
    assert c["sip.phone"]["status"] == "fail"
    settings = report["summary"]["phone_settings"]
    assert (settings["sip_port"], settings["local_sip_port"]) == (38388, 5062)
    assert settings["keepalive_s"] is None and settings["stun_server"] is None
    assert c["sip.alg"]["data"]["ports"]["5060"] is None  # untested, so not passed
    # Kernel's view: every OPTIONS to 5060 hit the drop rule; 38388 got its replies.
    assert mode_lab.dropped_packets() >= dropped["data"]["sent"]  # (+ the large probes)
    assert flow_to(mode_lab, SIP_IP, 38388)["reply"]["dst"] == RTR_WAN_IP


@pytest.mark.parametrize("mode_lab", ["short-timeouts"], indirect=True)
def test_short_timeouts_are_set_in_the_router_only(mode_lab: Lab) -> None:
    def timeout(ns: str | None) -> str:
        return sh("sysctl", "-n", "net.netfilter.nf_conntrack_udp_timeout_stream", ns=ns).stdout
    assert timeout(RTR).strip() == "25"
    assert sh("sysctl", "-n", "net.netfilter.nf_conntrack_udp_timeout", ns=RTR).stdout.strip() \
        == "15"


@pytest.mark.parametrize("mode_lab", ["flow-limit"], indirect=True)
def test_flow_limit_starves_later_flows(mode_lab: Lab, validate_report: Any) -> None:
    code, report = mode_lab.flexdiag("--timeout", "2")
    validate_report(report)
    assert code == 2
    # The router forwards no more than 4 UDP flows from the LAN; flexdiag needs more than that.
    # (NAT-PMP to the router itself, nat.upstream's, is tracked but not forwarded.)
    flows = [f for f in mode_lab.conntrack() if f["orig"].get("src") == PHONE_IP
             and f["orig"].get("dst") != RTR_LAN_IP]
    assert len(flows) <= 4
    failed = [c for c in report["checks"] if c["status"] == "fail"]
    assert failed


def test_no_route_is_a_finding_not_a_crash(lab: Lab, validate_report: Any) -> None:
    sh("ip", "route", "del", "default", ns=LAN)
    try:
        code, report = lab.flexdiag("--sip-server", SIP_IP, "--timeout", "2")
    finally:
        sh("ip", "route", "add", "default", "via", "203.0.113.1", ns=LAN)
    validate_report(report)
    c = checks(report)
    assert code == 2
    assert c["dns.stun"]["status"] == "fail"
    sip = c["sip.udp.5060"]
    assert sip["status"] == "fail" and "unreachable" in sip["summary"].lower()

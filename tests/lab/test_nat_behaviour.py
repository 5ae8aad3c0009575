"""nat.mapping, nat.filtering, sip.alg and sip.large across the real Linux NAT, each finding
checked against what the kernel did (conntrack, nftables counters) or is known to do."""

from __future__ import annotations

from typing import Any

import pytest

from tests.lab.topology import PHONE_IP, PLAIN_STUN_IP, SIP_IP, STUN_IPS, Lab, checks

pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("lab")]  # one lab: one worker

ALL_MODES = ["routed", "masquerade", "snat-ports", "random", "sip-alg", "drop-fragments"]



def public_port(lab: Lab, local_port: str, dst: str, dport: int) -> str:
    """The public port conntrack gave the flow from local_port to dst:dport."""
    for flow in lab.conntrack():
        orig = flow["orig"]
        if (orig.get("src"), orig.get("sport"), orig.get("dst"), orig.get("dport")) == (
                PHONE_IP, local_port, dst, str(dport)):
            return str(flow["reply"]["dport"])
    raise AssertionError(f"no flow {PHONE_IP}:{local_port} -> {dst}:{dport}")


def expected_mapping(first: str, same_address_other_port_a: str, same_address_other_port_b: str,
                     a_differs_from_first_by_address: bool = True) -> str:
    """RFC 4787 mapping from three flows of one socket: to X, and to Y on two ports."""
    if first == same_address_other_port_a == same_address_other_port_b:
        return "endpoint-independent"
    if same_address_other_port_a == same_address_other_port_b:
        return "address-dependent"
    return "address-and-port-dependent"


@pytest.mark.parametrize("mode_lab", ALL_MODES, indirect=True)
def test_mapping_rfc5780_matches_conntrack(mode_lab: Lab, validate_report: Any) -> None:
    _, report = mode_lab.flexdiag()
    validate_report(report)
    c = checks(report)
    mapping = c["nat.mapping"]["data"]
    assert mapping["method"] == "rfc5780"
    local_port = c["stun.binding"]["data"]["local"].rsplit(":", 1)[1]
    # Test I to A1:P1, test II to A2:P1, test III to A2:P2 (coturn: P2 = 3479).
    p1 = public_port(mode_lab, local_port, STUN_IPS[0], 3478)
    p2 = public_port(mode_lab, local_port, STUN_IPS[1], 3478)
    p3 = public_port(mode_lab, local_port, STUN_IPS[1], 3479)
    assert mapping["test1"].endswith(f":{p1}") and mapping["test2"].endswith(f":{p2}")
    assert mapping["test3"].endswith(f":{p3}")
    assert mapping["behavior"] == expected_mapping(p1, p2, p3)


@pytest.mark.parametrize("mode_lab", ["masquerade", "random"], indirect=True)
def test_mapping_without_rfc5780_degrades_to_the_crosscheck(mode_lab: Lab) -> None:
    _, report = mode_lab.flexdiag("--stun-server", PLAIN_STUN_IP)
    c = checks(report)
    mapping = c["nat.mapping"]["data"]
    assert mapping["method"] == "stun-sip-crosscheck"
    local_port = c["stun.binding"]["data"]["local"].rsplit(":", 1)[1]
    stun = public_port(mode_lab, local_port, PLAIN_STUN_IP, 3478)
    sip_a = public_port(mode_lab, local_port, SIP_IP, 5060)
    sip_b = public_port(mode_lab, local_port, SIP_IP, 38388)
    assert mapping["behavior"] == expected_mapping(stun, sip_a, sip_b)
    assert c["nat.filtering"]["status"] == "skip"


@pytest.mark.parametrize(("mode_lab", "expected"), [
    ("routed", "endpoint-independent"),  # nothing filters: the router only forwards
    ("masquerade", "address-and-port-dependent"),  # conntrack lets in replies to a flow only
    ("random", "address-and-port-dependent"),
], indirect=["mode_lab"])
def test_filtering(mode_lab: Lab, expected: str, validate_report: Any) -> None:
    _, report = mode_lab.flexdiag()
    validate_report(report)
    filtering = checks(report)["nat.filtering"]
    assert filtering["data"]["behavior"] == expected
    assert filtering["data"]["method"] == "rfc5780"
    assert filtering["data"]["wait_s"] < 1.0  # a few lab RTTs, not a multi-second ladder
    assert filtering["status"] == ("warn" if mode_lab.mode == "random" else "pass")


@pytest.mark.parametrize("mode_lab", ALL_MODES, indirect=True)
def test_sip_alg_only_where_the_kernel_helper_is(mode_lab: Lab, validate_report: Any) -> None:
    _, report = mode_lab.flexdiag()
    validate_report(report)
    alg = checks(report)["sip.alg"]["data"]
    if mode_lab.mode == "sip-alg":
        assert alg["detected"] is True and alg["ports"] == {"5060": True, "38388": False}
        assert report["summary"]["sip_alg"] is True
    else:
        assert alg["detected"] is False, alg  # no false positive
        assert alg["ports"] == {"5060": False, "38388": False}


@pytest.mark.parametrize("mode_lab", ["drop-fragments", "masquerade"], indirect=True)
def test_large_messages(mode_lab: Lab, validate_report: Any) -> None:
    code, report = mode_lab.flexdiag()
    validate_report(report)
    large = checks(report)["sip.large"]
    ports = large["data"]["ports"]
    if mode_lab.mode == "drop-fragments":
        assert large["status"] == "fail" and code == 2
        for port in ("5060", "38388"):
            assert ports[port]["1400"] is True and ports[port]["3000"] is False
            assert ports[port]["wait_s"] <= 0.3
        # Kernel's view: the fragments were dropped before reassembly.
        assert mode_lab.dropped_packets(("ip", "fragments", "prerouting")) >= 4
    else:
        assert large["status"] == "pass"
        assert all(p["3000"] for p in ports.values())

"""``nat.upstream`` across the lab (issue #28, part 4): a single router is not flagged; a second
NAT in front of it (the ISP's modem in router mode) is double NAT, the ISP's carrier-grade NAT
in 100.64.0.0/10 is CGNAT; the router runs a real NAT-PMP and UPnP IGD server (miniupnpd)
throughout, and the plan's router steps say which box they concern. A router that learns its
address by STUN reports the public one even behind a second NAT: the box in front, answering
NAT-PMP and UPnP itself, still tells."""

from __future__ import annotations

import pytest

from tests.daemons import require
from tests.lab.topology import MDM, RTR_WAN_IP, UPSTREAM_NETS, Lab, checks

pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("lab")]  # one lab: one worker


@pytest.fixture(scope="module")
def natpmp_lab(lab: Lab) -> Lab:
    require("miniupnpd", root=True)
    return lab


def test_a_single_router_is_not_flagged(natpmp_lab: Lab) -> None:
    with natpmp_lab.miniupnpd("wan"):
        _, report = natpmp_lab.flexdiag()
    found = checks(report)["nat.upstream"]
    print(f"\nsingle: {found['summary']} ({found['data']})")
    assert found["status"] == "pass" and found["data"]["upstream"] == "single", found
    # miniupnpd calls the lab's documentation addresses "reserved": network failure, and an
    # empty NewExternalIPAddress from a real IGD found by unicast M-SEARCH.
    data = found["data"]
    assert data["natpmp_result"] == "network failure" and data["basis"] == "path"
    assert data["gateway_ip"] == "203.0.113.1"
    assert data["upnp_service"].startswith("urn:schemas-upnp-org:service:WANIPConnection:")
    assert (data["upnp_address"], data["upnp_error"], data["router_wan"]) == (None, None, None)


def test_a_router_that_tells_its_address_is_believed(natpmp_lab: Lab) -> None:
    with natpmp_lab.miniupnpd("wan", stun=True):
        _, report = natpmp_lab.flexdiag()
    found = checks(report)["nat.upstream"]
    print(f"\nsingle, told: {found['summary']} ({found['data']})")
    data = found["data"]
    assert found["status"] == "pass" and data["upstream"] == "single", found
    assert (data["basis"], data["router_wan"]) == ("natpmp", RTR_WAN_IP)
    assert (data["natpmp_address"], data["upnp_address"]) == (RTR_WAN_IP, RTR_WAN_IP)
    assert data["second_gateway"] is None  # the second hop is public: nobody else is asked


def test_the_box_in_front_tells_when_the_router_learned_its_address(natpmp_lab: Lab) -> None:
    lab = natpmp_lab
    box = UPSTREAM_NETS["double"][0]
    with lab.second_nat("double"), lab.miniupnpd("wan2", stun=True):
        _, alone = lab.flexdiag()  # the modem speaks neither: the router's word stands
        with lab.miniupnpd("wan", ns=MDM, listen_ip=box):
            _, report = lab.flexdiag()
    before = checks(alone)["nat.upstream"]
    found = checks(report)["nat.upstream"]
    print(f"\ndouble, router told by STUN: {before['summary']}\n  modem asked: "
          f"{found['summary']} ({found['data']})")
    assert before["data"]["upstream"] == "single" and before["data"]["second_answers"] == []
    assert before["data"]["router_wan"] == "198.51.100.130"  # what STUN told the router
    data = found["data"]
    assert found["status"] == "warn" and found["reason_code"] == "double_nat", found
    assert (data["basis"], data["other_box"], data["second_gateway"]) == ("second", box, box)
    assert data["second_answers"] == ["natpmp", "upnp"]


@pytest.mark.parametrize(("kind", "box", "code"), [("double", "192.168.1.1", "double_nat"),
                                                   ("cgnat", "100.64.0.1", "carrier_grade_nat")])
def test_a_second_nat_is_recognised(natpmp_lab: Lab, kind: str, box: str, code: str) -> None:
    lab = natpmp_lab
    lab.set_mode("timeouts-10-40")  # a router step to say which box it concerns
    try:
        with lab.second_nat(kind), lab.miniupnpd("wan2"):
            _, report = lab.flexdiag("--registration-time", "60", "--lifetime", "--max-wait",
                                     "40", timeout=120)
    finally:
        lab.set_mode("masquerade")
    found = checks(report)
    upstream = found["nat.upstream"]
    print(f"\n{kind}: {upstream['summary']} ({upstream['data']})")
    assert upstream["status"] == "warn" and upstream["reason_code"] == code, upstream
    assert upstream["data"]["upstream"] == kind and upstream["data"]["other_box"] == box
    assert found["stun.binding"]["data"]["mapped"].startswith("198.51.100.130:")
    router_steps = [s for s in report["plan"] if "nat.lifetime" in s["checks"]]
    assert router_steps, report["plan"]
    words = "both routers" if kind == "double" else "carrier-grade NAT"
    assert words in router_steps[0]["text"], router_steps[0]

"""``nat.upstream`` across the lab (issue #28, part 4): a single router is not flagged; a second
NAT in front of it (the ISP's modem in router mode) is double NAT, the ISP's carrier-grade NAT
in 100.64.0.0/10 is CGNAT; the router runs a real NAT-PMP server (miniupnpd) throughout, and the
plan's router steps say which box they concern."""

from __future__ import annotations

import pytest

from tests.daemons import require
from tests.lab.topology import Lab, checks

pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("lab")]  # one lab: one worker


@pytest.fixture(scope="module")
def natpmp_lab(lab: Lab) -> Lab:
    require("miniupnpd", root=True)
    return lab


def test_a_single_router_is_not_flagged(natpmp_lab: Lab) -> None:
    with natpmp_lab.natpmp("wan"):
        _, report = natpmp_lab.flexdiag()
    found = checks(report)["nat.upstream"]
    print(f"\nsingle: {found['summary']} ({found['data']})")
    assert found["status"] == "pass" and found["data"]["upstream"] == "single", found
    # miniupnpd calls the lab's documentation addresses "reserved": network failure.
    assert found["data"]["natpmp_result"] == "network failure"
    assert found["data"]["gateway_ip"] == "203.0.113.1"


@pytest.mark.parametrize(("kind", "box", "code"), [("double", "192.168.1.1", "double_nat"),
                                                   ("cgnat", "100.64.0.1", "carrier_grade_nat")])
def test_a_second_nat_is_recognised(natpmp_lab: Lab, kind: str, box: str, code: str) -> None:
    lab = natpmp_lab
    lab.set_mode("timeouts-10-40")  # a router step to say which box it concerns
    try:
        with lab.second_nat(kind), lab.natpmp("wan2"):
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

"""``host.network`` across the lab (issue #28, part 3): flexdiag in a container behind Docker's
default bridge NAT, and on a LAN host whose default route goes through a VPN tunnel, says that
it is not where the phones are; on the LAN host itself it passes."""

from __future__ import annotations

import pytest

from tests.lab.topology import DOCKER_GW, Lab, checks

pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("lab")]  # one lab: one worker


def test_on_the_lan_host_it_passes(lab: Lab) -> None:
    _, report = lab.flexdiag()
    found = checks(report)["host.network"]
    assert found["status"] == "pass" and found["data"]["where"] == "lan", found
    assert found["data"]["interface"] == "eth0"


def test_inside_a_docker_bridge_it_fails_first_and_the_plan_says_so(lab: Lab) -> None:
    with lab.container() as ctr:
        code, report = lab.flexdiag(ns=ctr)
    found = checks(report)
    host = found["host.network"]
    print(f"\ncontainer: {host['summary']}")
    assert host["status"] == "fail" and host["reason_code"] == "host_behind_local_nat"
    assert host["data"]["kind"] == "docker" and host["data"]["gateway_ip"] == DOCKER_GW
    assert code == 2 and report["plan"][0]["checks"] == ["host.network"]
    assert "--network host" in report["plan"][0]["text"]
    # What the other checks measured is Docker's NAT in front of the LAN host's: the STUN
    # server sees the lab router's address, through two NATs.
    assert found["stun.binding"]["data"]["local"].startswith("172.17.0.2:")


def test_through_a_vpn_tunnel_it_fails(lab: Lab) -> None:
    with lab.vpn():
        _, report = lab.flexdiag("--timeout", "2", timeout=90)
    host = checks(report)["host.network"]
    print(f"\nvpn: {host['summary']}")
    assert host["status"] == "fail" and host["reason_code"] == "host_through_vpn"
    assert host["data"]["if_type"] == 65534 and host["data"]["interface"] == "tun0"
    _, after = lab.flexdiag()  # the route restored: on the LAN again
    assert checks(after)["host.network"]["status"] == "pass"

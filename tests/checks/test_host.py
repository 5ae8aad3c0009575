"""``host.network``: is flexdiag where the phones are? (issue #28, part 3)."""

from __future__ import annotations

import pytest

from flexdiag.analysis.placement import HostNetwork, Where, classify
from flexdiag.checks import host
from flexdiag.model import Status
from flexdiag.vocab import Code
from tests.checks.builders import observations

LAN = HostNetwork("eth0", 1, "3c:a6:2f:00:00:01", "192.168.178.1", "3c:a6:2f:00:00:02",
                  "192.168.178.20")


@pytest.mark.parametrize(("network", "where", "kind"), [
    (LAN, Where.LAN, ""),
    (HostNetwork("wlan0", 1, None, "10.0.0.1", None, "10.0.0.5", "/.dockerenv"), Where.LAN, ""),
    (HostNetwork("eth0", 1, "02:42:ac:11:00:02", "172.17.0.1", "02:42:9c:00:00:01",
                 "172.17.0.2", "/.dockerenv"), Where.CONTAINER, "docker"),
    (HostNetwork("eth0", 1, "aa:00:00:00:00:01", "172.18.0.1", "02:42:aa:bb:cc:dd",
                 "172.18.0.4"), Where.CONTAINER, "docker"),
    (HostNetwork("eth0", 1, "aa:00:00:00:00:01", "192.168.65.1", "aa:00:00:00:00:02",
                 "192.168.65.3", "/.dockerenv"), Where.CONTAINER, "docker-desktop"),
    (HostNetwork("eth0", 1, "aa:00:00:00:00:01", "10.88.0.1", "aa:00:00:00:00:02",
                 "10.88.0.7", "/run/.containerenv"), Where.CONTAINER, "podman"),
    (HostNetwork("tap0", 1, "aa:00:00:00:00:01", "10.0.2.2", None, "10.0.2.100"),
     Where.CONTAINER, "slirp4netns"),
    (HostNetwork("eth0", 1, "00:15:5d:00:00:01", "172.28.16.1", None, "172.28.20.5",
                 wsl=True), Where.WSL, "wsl2"),
    (HostNetwork("wg0", 65534, None, None, None, "10.8.0.2"), Where.VPN, "wg0, tun/WireGuard"),
    (HostNetwork("ppp0", 512, None, "10.64.64.64", None, "10.1.2.3"), Where.VPN, "ppp0, PPP"),
    (HostNetwork("utun3", 1, None, "10.9.0.1", None, "10.9.0.2"), Where.VPN, "utun3"),
    (HostNetwork(None), Where.UNKNOWN, ""),
])
def test_classify(network: HostNetwork, where: Where, kind: str) -> None:
    placement = classify(network)
    assert (placement.where, placement.kind) == (where, kind)


def test_the_lan_passes_with_its_evidence() -> None:
    finding = host.judge(observations(host=LAN))
    assert finding.status is Status.PASS and "192.168.178.1" in finding.summary
    assert finding.data["where"] == "lan" and finding.data["gateway_mac"] == "3c:a6:2f:00:00:02"


def test_a_container_fails_with_what_to_do() -> None:
    network = HostNetwork("eth0", 1, "02:42:ac:11:00:02", "172.17.0.1", "02:42:9c:00:00:01",
                          "172.17.0.2", "/.dockerenv")
    finding = host.judge(observations(host=network))
    assert finding.status is Status.FAIL and finding.code is Code.HOST_BEHIND_LOCAL_NAT
    assert finding.advice is not None and "--network host" in finding.advice
    assert "pipx" in finding.advice


def test_wsl_and_vpn_fail_with_their_own_advice() -> None:
    wsl = host.judge(observations(host=HostNetwork("eth0", 1, None, "172.28.16.1", None,
                                                   "172.28.20.5", wsl=True)))
    assert wsl.code is Code.HOST_BEHIND_LOCAL_NAT and "mirrored" in (wsl.advice or "")
    vpn = host.judge(observations(host=HostNetwork("tun0", 65534, None, None, None, "10.8.0.2")))
    assert vpn.status is Status.FAIL and vpn.code is Code.HOST_THROUGH_VPN
    assert "tun0" in vpn.summary and "Disconnect the VPN" in (vpn.advice or "")


def test_nothing_read_is_a_skip() -> None:
    assert host.judge(observations(host=HostNetwork())).status is Status.SKIP
    assert host.judge(observations()).status is Status.SKIP

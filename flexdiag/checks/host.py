"""``host.network``: is flexdiag where the phones are? (every FAQ item: all the other findings
are about the network flexdiag runs on).

Run inside a container's NAT (Docker's default bridge, Docker Desktop, Podman, rootless
containers), inside WSL2's NAT, or through a VPN tunnel, every other check measures that NAT or
that tunnel instead of the customer's router. Told by the default route's interface (a tunnel's
ARPHRD type or name) and the gateway (Docker's 02:42 MAC prefix, Docker Desktop's and Podman's
networks), never by a guess; a run whose routing table cannot be read says so.
"""

from __future__ import annotations

from typing import Any

from flexdiag import advice
from flexdiag.analysis.placement import Where, classify
from flexdiag.checks.base import Check, Finding
from flexdiag.facts import HostFacts
from flexdiag.model import Status
from flexdiag.records import Obs, Observations
from flexdiag.vocab import CheckId, Code

FAQ = ()


def judge(obs: Observations) -> Finding:
    host = obs.host
    if host is None:
        return Finding(Status.SKIP, advice.text("host.unknown"))
    placement = classify(host)
    data: dict[str, Any] = {
        "where": placement.where, "kind": placement.kind or None, "interface": host.interface,
        "if_type": host.if_type, "gateway_ip": host.gateway, "gateway_mac": host.gateway_mac,
        "local_ip": host.local_ip, "container_marker": host.container, "wsl": host.wsl,
        **HostFacts(host.gateway_vendor).to_data()}
    fields = {"interface": host.interface or "?", "gateway": host.gateway or "?",
              "kind": placement.kind}
    if placement.where is Where.UNKNOWN:
        return Finding(Status.SKIP, advice.text("host.unknown"), data)
    if placement.where is Where.LAN:
        return Finding(Status.PASS, advice.text("host.lan", **fields), data)
    if placement.where is Where.VPN:
        return Finding(Status.FAIL, advice.text("host.vpn", **fields), data,
                       advice.text("host.vpn.advice", **fields), FAQ,
                       code=Code.HOST_THROUGH_VPN)
    key = "host.wsl" if placement.where is Where.WSL else "host.container"
    return Finding(Status.FAIL, advice.text(key, **fields), data,
                   advice.text(f"{key}.advice", **fields), FAQ,
                   code=Code.HOST_BEHIND_LOCAL_NAT)


CHECK = Check(CheckId.HOST_NETWORK, judge, needs=(Obs.HOST,))

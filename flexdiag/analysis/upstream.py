"""Which box faces the internet: one NAT (the gateway), two (a second router, often the ISP's
modem in router mode: double NAT), or the ISP's carrier-grade NAT (RFC 6598's 100.64.0.0/10).
Pure.

Evidence, strongest first:

1. the gateway's own external address (NAT-PMP, else UPnP IGD): in 100.64.0.0/10,
   carrier-grade NAT; private (RFC 1918), a second NAT in front of it; public and the address
   the platform sees (STUN), one NAT; public and another, another NAT beyond;
2. the platform's server answered at the first hop (no router between: a server on this
   computer's own network) or the second (nothing but the gateway between);
3. the second hop towards the platform (its ICMP time-exceeded): in 100.64.0.0/10, the ISP's
   carrier-grade NAT; private, a second router of the customer's or the ISP's.

A gateway that answers NAT-PMP with "network failure" or UPnP with an empty address
(miniupnpd's answers when its own WAN address is not public) adds nothing on its own; nothing
at all is "not determined".
"""

from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass

CGN = ipaddress.IPv4Network("100.64.0.0/10")  # RFC 6598 shared address space
PRIVATE = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12",
                                                   "192.168.0.0/16"))


class Upstream(enum.StrEnum):
    NONE = "none"  # no router between this computer and the server (it answered at hop 1)
    SINGLE = "single"
    DOUBLE = "double"
    CGNAT = "cgnat"
    BEYOND = "beyond"  # another NAT beyond the gateway, of unknown kind
    UNDETERMINED = "undetermined"


class Basis(enum.StrEnum):
    NATPMP = "natpmp"  # the gateway's own external address, over NAT-PMP
    UPNP = "upnp"  # the same, over UPnP IGD
    PATH = "path"  # the hops towards the platform
    NONE = "none"


@dataclass(frozen=True)
class Verdict:
    upstream: Upstream
    basis: Basis
    box: str | None = None  # the other box's address (the second hop), where known
    wan: str | None = None  # the router's own internet address, as it reported it


def _space(address: str | None) -> str | None:
    try:
        ip = ipaddress.IPv4Address(address or "")
    except ValueError:
        return None
    if ip in CGN:
        return "cgn"
    if any(ip in net for net in PRIVATE):
        return "private"
    if ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_unspecified:
        return None
    return "public"  # documentation ranges included: the lab's "internet" uses them


def classify(natpmp_address: str | None, mapped_ip: str | None, hops: tuple[str | None, ...],
             answered_at_ttl: int | None, upnp_address: str | None = None) -> Verdict:
    """The verdict from the gateway's own address (NAT-PMP's, else UPnP IGD's), the
    STUN-mapped address, the offenders of TTL 1, 2 and the TTL at which the server itself
    answered."""
    basis, own = ((Basis.NATPMP, natpmp_address) if _space(natpmp_address)
                  else (Basis.UPNP, upnp_address))
    space = _space(own)
    second = hops[1] if len(hops) > 1 else None
    hop_space = _space(second)
    other = second if hop_space in ("cgn", "private") else None  # the box in front, if seen
    if space == "cgn":
        return Verdict(Upstream.CGNAT, basis, other, own)
    if space == "private":
        return Verdict(Upstream.DOUBLE, basis, other, own)
    if space == "public" and mapped_ip is not None:
        same = own == mapped_ip
        return Verdict(Upstream.SINGLE if same else Upstream.BEYOND, basis, None, own)
    if answered_at_ttl == 1:
        return Verdict(Upstream.NONE, Basis.PATH)
    if answered_at_ttl == 2:
        return Verdict(Upstream.SINGLE, Basis.PATH)
    if hop_space == "cgn":
        return Verdict(Upstream.CGNAT, Basis.PATH, second)
    if hop_space == "private":
        return Verdict(Upstream.DOUBLE, Basis.PATH, second)
    return Verdict(Upstream.UNDETERMINED, Basis.NONE)

"""Which box faces the internet: one NAT (the gateway), two (a second router, often the ISP's
modem in router mode: double NAT), or the ISP's carrier-grade NAT (RFC 6598's 100.64.0.0/10).
Pure.

Evidence, strongest first:

0. the second hop towards the platform, private or in 100.64.0.0/10, answers NAT-PMP or UPnP
   IGD itself: it is a gateway, so a second NAT (whatever the router believes its own address
   to be: a router that learns it by STUN, as miniupnpd can, reports the public one);
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
    SECOND = "second"  # the box at the second hop answers NAT-PMP or UPnP: a gateway itself
    PATH = "path"  # the hops towards the platform
    NONE = "none"


@dataclass(frozen=True)
class Verdict:
    upstream: Upstream
    basis: Basis
    box: str | None = None  # the other box's address (the second hop), where known
    wan: str | None = None  # the router's own internet address, as it reported it


def space(address: str | None) -> str | None:
    """``cgn``, ``private``, ``public`` or ``None`` (no address a router could have)."""
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


def box_in_front(hops: tuple[str | None, ...]) -> str | None:
    """The second hop where it may be a box in front of the router (a private or
    carrier-grade address): the one the path names, and the one asked as the router is."""
    second = hops[1] if len(hops) > 1 else None
    return second if space(second) in ("cgn", "private") else None


def _by_path(other: str | None, answered_at_ttl: int | None) -> Verdict:
    if answered_at_ttl == 1:
        return Verdict(Upstream.NONE, Basis.PATH)
    if answered_at_ttl == 2:
        return Verdict(Upstream.SINGLE, Basis.PATH)
    if other is None:
        return Verdict(Upstream.UNDETERMINED, Basis.NONE)
    kind = Upstream.CGNAT if space(other) == "cgn" else Upstream.DOUBLE
    return Verdict(kind, Basis.PATH, other)


def classify(natpmp_address: str | None, mapped_ip: str | None, hops: tuple[str | None, ...],
             answered_at_ttl: int | None, upnp_address: str | None = None,
             second_answers: tuple[str, ...] = ()) -> Verdict:
    """The verdict from the gateway's own address (NAT-PMP's, else UPnP IGD's), the
    STUN-mapped address, the offenders of TTL 1, 2, the TTL at which the server itself
    answered, and what the second hop answered when asked as a router (``second_answers``)."""
    basis, own = ((Basis.NATPMP, natpmp_address) if space(natpmp_address)
                  else (Basis.UPNP, upnp_address))
    own_space = space(own)
    other = box_in_front(hops)
    if other is not None and second_answers:  # it answers as a gateway: a NAT of its own
        kind = Upstream.CGNAT if space(other) == "cgn" else Upstream.DOUBLE
        return Verdict(kind, Basis.SECOND, other, own if own_space else None)
    if own_space == "cgn":
        return Verdict(Upstream.CGNAT, basis, other, own)
    if own_space == "private":
        return Verdict(Upstream.DOUBLE, basis, other, own)
    if own_space == "public" and mapped_ip is not None:
        same = own == mapped_ip
        return Verdict(Upstream.SINGLE if same else Upstream.BEYOND, basis, None, own)
    return _by_path(other, answered_at_ttl)

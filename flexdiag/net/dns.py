"""Name resolution with dnspython's async resolver: A and AAAA concurrently, bounded."""

from __future__ import annotations

import asyncio
import ipaddress

from flexdiag.records import Resolution
from flexdiag.settings import HostPort

__all__ = ["Resolution", "resolve"]


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


async def resolve(name: str, server: HostPort | None, timeout_s: float) -> Resolution:
    """Resolve ``name`` to its A and AAAA addresses within ``timeout_s``.

    ``server`` is an explicit resolver; ``None`` uses the system configuration.
    """
    if _is_ip(name):
        return Resolution(name=name, resolver="none (address given)", addresses=(name,),
                          literal=True)
    import dns.asyncresolver
    import dns.exception
    import dns.resolver

    try:
        if server is None:
            resolver = dns.asyncresolver.Resolver()
            label = "system (" + ", ".join(str(n) for n in resolver.nameservers) + ")"
        else:
            resolver = dns.asyncresolver.Resolver(configure=False)
            resolver.nameservers = [server.host]
            resolver.port = server.port
            label = str(server)
    except dns.resolver.NoResolverConfiguration:
        return Resolution(name=name, resolver="system", error="no resolver is configured "
                          "(/etc/resolv.conf has no nameserver)", error_kind="config")
    if not any(_routed(str(ns)) for ns in resolver.nameservers):
        # Nothing to send to: not a DNS answer at all, and the first thing an installer must
        # know (a cable, Wi-Fi, or DHCP that gave no address).
        return Resolution(name=name, resolver=label, error="this computer has no route to the "
                          "DNS server: no network connection", error_kind="no-network")
    resolver.lifetime = timeout_s
    resolver.timeout = max(0.5, timeout_s / 3)  # per try, so that one lost datagram is retried

    loop = asyncio.get_running_loop()
    start = loop.time()

    async def query(rdtype: str) -> tuple[list[str], BaseException | None]:
        try:
            answer = await resolver.resolve(name, rdtype, search=False)
            return [r.to_text() for r in answer], None
        except (dns.exception.DNSException, OSError) as exc:
            return [], exc

    (v4, err4), (v6, err6) = await asyncio.gather(query("A"), query("AAAA"))
    rtt_ms = round((loop.time() - start) * 1000, 1)
    addresses = tuple(v4 + v6)
    # A name with addresses of one family only is normal (most have no AAAA): not an error.
    details = {t: _describe(e) for t, e in (("A", err4), ("AAAA", err6))
               if e is not None and not (addresses and _classify(e)[0] == "no-answer")}
    if addresses:
        return Resolution(name, label, addresses, rtt_ms, details=details)
    kind, text = _classify(err4 or err6)
    return Resolution(name, label, (), rtt_ms, error=text, error_kind=kind, details=details)


def _routed(ip: str) -> bool:
    """Is there a route towards ``ip`` (a name server given by address)?"""
    from flexdiag.net.udp import local_address_for

    try:
        local_address_for(ip)
    except (OSError, ValueError):
        return False
    return True


def _describe(exc: BaseException) -> str:
    return _classify(exc)[1]


def _classify(exc: BaseException | None) -> tuple[str, str]:
    import dns.resolver

    if isinstance(exc, dns.resolver.NXDOMAIN):
        return "nxdomain", "the name does not exist (NXDOMAIN)"
    if isinstance(exc, dns.resolver.NoAnswer):
        return "no-answer", "the name exists but has no address records"
    if isinstance(exc, dns.resolver.LifetimeTimeout):
        return "timeout", "no answer from the DNS server in time"
    if isinstance(exc, dns.resolver.NoNameservers):
        return "no-nameservers", "every DNS server failed to answer: " + str(exc)
    return "error", str(exc) or type(exc).__name__

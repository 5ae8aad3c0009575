"""Name resolution: A and AAAA queries (RFC 1035 §4.1, dnspython's message codec) sent over one
UDP socket of flexdiag's own per resolver.

Every query of a run to a resolver rides that one flow, from the same local port run after run
(flexdiag.net.ports): one NAT entry instead of one per query (FAQ item 6), answers matched by
ID and question (RFC 5452 §9.1), retransmitted and given up on by the same timer and silence
rule as every other exchange (flexdiag.net.udp), and noted in the run's flow log, so that a
full NAT table is recognised from DNS too. With several resolvers (the system's), each is tried
in turn with its share of the budget; NXDOMAIN and "no such record" are answers, not failures
of the resolver, and end the lookup.
"""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass, field

from flexdiag.addr import Addr, format_addr, same_addr
from flexdiag.net.ports import Role, stable_port
from flexdiag.net.probes import NoSocket, open_endpoint
from flexdiag.net.udp import NotOurs, UdpEndpoint, local_address_for
from flexdiag.records import Resolution
from flexdiag.settings import HostPort

__all__ = ["Resolution", "Resolver"]

RTO_S = 0.5  # first retransmission; doubled after each copy, as for STUN (RFC 8489 §6.2.1)
MIN_SHARE_S = 0.5  # the least a resolver of several gets before the next is asked

# What a lookup ended with, and its wording (the check words the kinds it knows itself).
TEXTS = {
    "nxdomain": "the name does not exist (NXDOMAIN)",
    "no-answer": "the name exists but has no address records",
    "timeout": "no answer from the DNS server in time",
}


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


@dataclass
class _Lookup:
    """One record type of one name: its addresses, or why there are none."""

    addresses: list[str] = field(default_factory=list)
    kind: str | None = None  # nxdomain | no-answer | timeout | no-nameservers | error
    text: str = ""


class Resolver:
    """The run's resolver: ``server`` (``--dns-server``) or the system's, one socket each."""

    def __init__(self, server: HostPort | None) -> None:
        self.server = server
        self._endpoints: dict[Addr, asyncio.Future[UdpEndpoint | str]] = {}

    def nameservers(self) -> tuple[list[Addr], str] | Resolution:
        """The resolvers to ask and their label, or the reason there are none (as the
        :class:`Resolution` every name gets)."""
        if self.server is not None:
            return [(self.server.host, self.server.port)], str(self.server)
        import dns.resolver

        try:
            system = dns.resolver.Resolver()
        except dns.resolver.NoResolverConfiguration:
            return Resolution(name="", resolver="system", error="no resolver is configured "
                              "(/etc/resolv.conf has no nameserver)", error_kind="config")
        servers = [(str(ns), 53) for ns in system.nameservers]
        return servers, "system (" + ", ".join(ip for ip, _ in servers) + ")"

    async def resolve(self, name: str, timeout_s: float) -> Resolution:
        """``name``'s A and AAAA addresses, asked at once, within ``timeout_s``."""
        if _is_ip(name):
            return Resolution(name=name, resolver="none (address given)", addresses=(name,),
                              literal=True)
        found = self.nameservers()
        if isinstance(found, Resolution):
            return Resolution(name, found.resolver, error=found.error,
                              error_kind=found.error_kind)
        servers, label = found
        servers = [s for s in servers if _routed(s[0])]
        if not servers:
            # Nothing to send to: not a DNS answer at all, and the first thing an installer
            # must know (a cable, Wi-Fi, or DHCP that gave no address).
            return Resolution(name=name, resolver=label, error="this computer has no route to "
                              "the DNS server: no network connection", error_kind="no-network")
        loop = asyncio.get_running_loop()
        start = loop.time()
        deadline = start + timeout_s
        v4, v6 = await asyncio.gather(self._lookup(servers, name, "A", deadline),
                                      self._lookup(servers, name, "AAAA", deadline))
        rtt_ms = round((loop.time() - start) * 1000, 1)
        addresses = tuple(v4.addresses + v6.addresses)
        # A name with addresses of one family only is normal (most have no AAAA): not an error.
        details = {t: r.text for t, r in (("A", v4), ("AAAA", v6))
                   if r.kind is not None and not (addresses and r.kind == "no-answer")}
        if addresses:
            return Resolution(name, label, addresses, rtt_ms, details=details)
        failed = v4 if v4.kind is not None else v6
        return Resolution(name, label, (), rtt_ms, error=failed.text, error_kind=failed.kind,
                          details=details)

    async def _lookup(self, servers: list[Addr], name: str, rdtype: str,
                      deadline: float) -> _Lookup:
        """Ask each resolver in turn until one gives an answer (addresses, NXDOMAIN or no
        such record); the last gets what is left of the budget."""
        loop = asyncio.get_running_loop()
        failures: list[str] = []
        timeouts = 0
        for i, server in enumerate(servers):
            left = len(servers) - i
            share = max(MIN_SHARE_S, (deadline - loop.time()) / left)
            until = deadline if left == 1 else min(deadline, loop.time() + share)
            result = await self._ask(server, name, rdtype, until)
            if result.kind in (None, "nxdomain", "no-answer"):
                return result
            timeouts += result.kind == "timeout"
            failures.append(f"{format_addr(server)}: {result.text}")
        if timeouts == len(servers):
            return _Lookup(kind="timeout", text=TEXTS["timeout"])
        return _Lookup(kind="no-nameservers",
                       text="every DNS server failed to answer: " + "; ".join(failures))

    async def _ask(self, server: Addr, name: str, rdtype: str, deadline: float) -> _Lookup:
        import dns.exception
        import dns.message
        import dns.name
        import dns.rcode
        import dns.rdataclass
        import dns.rdatatype
        import dns.resolver

        endpoint = await self._endpoint(server)
        if isinstance(endpoint, str):
            return _Lookup(kind="error", text=endpoint)
        qname = dns.name.from_text(name)
        query = dns.message.make_query(qname, rdtype)  # a fresh random ID, RD set

        def accept(data: bytes, source: Addr) -> dns.message.Message:
            if not same_addr(source, server):
                raise NotOurs("not from the DNS server's address and port")
            try:
                response = dns.message.from_wire(data)
            except dns.exception.DNSException as exc:
                raise ValueError(f"malformed DNS message: {exc}") from None
            if not query.is_response(response):
                raise NotOurs("DNS response to another query")
            return response

        exchange = await endpoint.exchange(query.to_wire(), server, accept, deadline,
                                           rto_s=RTO_S)
        response = exchange.reply
        if response is None:
            if exchange.error is not None:
                return _Lookup(kind="error", text=exchange.error)
            return _Lookup(kind="timeout", text=TEXTS["timeout"])
        rcode = response.rcode()
        if rcode == dns.rcode.NXDOMAIN:
            return _Lookup(kind="nxdomain", text=TEXTS["nxdomain"])
        if rcode != dns.rcode.NOERROR:
            return _Lookup(kind="error", text=f"answered {dns.rcode.to_text(rcode)}")
        # Follows a CNAME chain within the answer (RFC 1034 §3.6.2).
        answer = dns.resolver.Answer(qname, dns.rdatatype.from_text(rdtype),
                                     dns.rdataclass.IN, response)  # type: ignore[arg-type]
        if answer.rrset is None:
            return _Lookup(kind="no-answer", text=TEXTS["no-answer"])
        return _Lookup([r.to_text() for r in answer.rrset])

    async def _endpoint(self, server: Addr) -> UdpEndpoint | str:
        """The one socket towards ``server``, opened by the first query that needs it."""
        future = self._endpoints.get(server)
        if future is None:
            future = asyncio.ensure_future(self._open(server))
            self._endpoints[server] = future
        return await asyncio.shield(future)

    @staticmethod
    async def _open(server: Addr) -> UdpEndpoint | str:
        try:
            return await open_endpoint(server[0], stable_port(Role.DNS))
        except NoSocket as exc:
            return str(exc)

    def close(self) -> None:
        for future in self._endpoints.values():
            if future.done() and not future.cancelled():
                endpoint = future.result()
                if isinstance(endpoint, UdpEndpoint):
                    endpoint.close()
            else:
                future.cancel()


def _routed(ip: str) -> bool:
    """Is there a route towards ``ip`` (a name server given by address)?"""
    try:
        local_address_for(ip)
    except (OSError, ValueError):
        return False
    return True

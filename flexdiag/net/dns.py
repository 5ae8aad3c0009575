"""Name resolution: A and AAAA queries (RFC 1035 §4.1, dnspython's message codec) sent over one
UDP socket of flexdiag's own per resolver.

Every query of a run to a resolver rides that one flow: one NAT entry instead of one per query
(FAQ item 6), retransmitted and given up on by the same timer and silence rule as every other
exchange (flexdiag.net.udp), and noted in the run's flow log. The flow's local port is a fresh
random one every run, and every query carries a random ID and a randomly mixed-case name that
the answer must echo exactly ("0x20", draft-vixie-dnsext-dns0x20): an off-path forger has to
guess all three (RFC 5452 §9.1-9.2). Queries carry EDNS(0) with a 1232-byte buffer (RFC 6891;
the DNS flag day 2020 size); a truncated answer (TC) is asked again over TCP (RFC 7766 §5); a
resolver that rejects EDNS (FORMERR) is asked again without it (RFC 6891 §7). Datagrams that
answer nothing of ours (malformed, another ID, another question) are counted in the evidence.

With several resolvers (the system's), each is tried in turn with its share of the budget;
NXDOMAIN, "no such record" and a CNAME chain that loops or never ends are answers, not failures
of the resolver, and end the lookup.
"""

from __future__ import annotations

import asyncio
import ipaddress
import secrets
import struct
from dataclasses import dataclass, field
from typing import Any

from flexdiag.addr import Addr, format_addr, same_addr
from flexdiag.net.probes import NoSocket, open_endpoint
from flexdiag.net.udp import MAX_IGNORED_KEPT, NotOurs, UdpEndpoint, local_address_for
from flexdiag.records import Exchange, Resolution
from flexdiag.settings import HostPort
from flexdiag.vocab import DNS_PORT

__all__ = ["Resolution", "Resolver"]

RTO_S = 0.5  # first retransmission; doubled after each copy, as for STUN (RFC 8489 §6.2.1)
MIN_SHARE_S = 0.5  # the least a resolver of several gets before the next is asked
EDNS_PAYLOAD = 1232  # bytes (RFC 6891 §6.2.5; DNS flag day 2020): no IP fragmentation
MAX_CHAIN = 16  # CNAME links followed within one answer, as dnspython and BIND do

# What a lookup ended with, and its wording (the check words the kinds it knows itself).
TEXTS = {
    "nxdomain": "the name does not exist (NXDOMAIN)",
    "no-answer": "the name exists but has no address records",
    "timeout": "no answer from the DNS server in time",
    "chain-loop": "the answer's CNAME chain loops",
    "chain-long": f"the answer's CNAME chain is longer than {MAX_CHAIN} links",
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
    kind: str | None = None  # nxdomain | no-answer | chain-* | timeout | no-nameservers | error
    text: str = ""
    ignored: list[str] = field(default_factory=list)  # examples: "ip:port: reason"
    ignored_count: int = 0


# Kinds that are the resolver's answer about the name: asking another resolver will not help.
ANSWERS = (None, "nxdomain", "no-answer", "chain-loop", "chain-long")


def mix_case(name: str) -> str:
    """``name`` with each letter's case chosen at random (0x20 encoding): a resolver copies
    the question into its answer as it was sent (RFC 1035 §4.1.1, §7.3), a forger cannot
    know it."""
    bits = secrets.randbits(max(1, len(name)))
    return "".join(c.upper() if c.isalpha() and bits >> i & 1 else c.lower()
                   for i, c in enumerate(name))


def follow_chain(response: Any, qname: Any, rdtype: Any) -> _Lookup:
    """The addresses for ``qname`` in ``response``'s answer section, following CNAMEs
    (RFC 1034 §3.6.2, §4.3.2 step 3a); a chain that loops or exceeds :data:`MAX_CHAIN` is an
    answer of its own (a resolver should not give it, a hostile one may)."""
    import dns.rdataclass
    import dns.rdatatype

    name = qname
    seen = {name}
    for links in range(MAX_CHAIN + 1):
        rrset = response.get_rrset(response.answer, name, dns.rdataclass.IN, rdtype)
        if rrset is not None:
            return _Lookup([r.to_text() for r in rrset])
        cname = response.get_rrset(response.answer, name, dns.rdataclass.IN,
                                   dns.rdatatype.CNAME)
        if cname is None or len(cname) == 0:
            if links >= MAX_CHAIN:
                # A resolver that gave up after as many links (dnsmasq stops at 16) leaves
                # the chain open: that is a chain too long, not a name without addresses.
                return _Lookup(kind="chain-long", text=TEXTS["chain-long"])
            return _Lookup(kind="no-answer", text=TEXTS["no-answer"])
        name = next(iter(cname)).target
        if name in seen:
            return _Lookup(kind="chain-loop", text=TEXTS["chain-loop"])
        seen.add(name)
    return _Lookup(kind="chain-long", text=TEXTS["chain-long"])


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
        servers = [(str(ns), DNS_PORT) for ns in system.nameservers]
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
        ignored_count = v4.ignored_count + v6.ignored_count
        ignored = tuple((v4.ignored + v6.ignored)[:MAX_IGNORED_KEPT])
        addresses = tuple(v4.addresses + v6.addresses)
        # A name with addresses of one family only is normal (most have no AAAA): not an error.
        details = {t: r.text for t, r in (("A", v4), ("AAAA", v6))
                   if r.kind is not None and not (addresses and r.kind == "no-answer")}
        if addresses:
            return Resolution(name, label, addresses, rtt_ms, details=details,
                              ignored_count=ignored_count, ignored=ignored)
        failed = v4 if v4.kind is not None else v6
        return Resolution(name, label, (), rtt_ms, error=failed.text, error_kind=failed.kind,
                          details=details, ignored_count=ignored_count, ignored=ignored)

    async def _lookup(self, servers: list[Addr], name: str, rdtype: str,
                      deadline: float) -> _Lookup:
        """Ask each resolver in turn until one gives an answer (addresses, NXDOMAIN or no
        such record); the last gets what is left of the budget."""
        loop = asyncio.get_running_loop()
        failures: list[str] = []
        timeouts = 0
        ignored: list[str] = []
        ignored_count = 0
        for i, server in enumerate(servers):
            left = len(servers) - i
            share = max(MIN_SHARE_S, (deadline - loop.time()) / left)
            until = deadline if left == 1 else min(deadline, loop.time() + share)
            result = await self._ask(server, name, rdtype, until)
            ignored_count += result.ignored_count
            ignored += result.ignored
            if result.kind in ANSWERS:
                result.ignored, result.ignored_count = ignored, ignored_count
                return result
            timeouts += result.kind == "timeout"
            failures.append(f"{format_addr(server)}: {result.text}")
        if timeouts == len(servers):
            return _Lookup(kind="timeout", text=TEXTS["timeout"], ignored=ignored,
                           ignored_count=ignored_count)
        return _Lookup(kind="no-nameservers", ignored=ignored, ignored_count=ignored_count,
                       text="every DNS server failed to answer: " + "; ".join(failures))

    async def _ask(self, server: Addr, name: str, rdtype: str, deadline: float,
                   edns: bool = True) -> _Lookup:
        endpoint = await self._endpoint(server)
        if isinstance(endpoint, str):
            return _Lookup(kind="error", text=endpoint)
        query = _query(name, rdtype, edns)

        def accept(data: bytes, source: Addr) -> Any:
            if not same_addr(source, server):
                raise NotOurs("not from the DNS server's address and port")
            return _check_reply(query, data)

        exchange = await endpoint.exchange(query.to_wire(), server, accept, deadline,
                                           rto_s=RTO_S)
        found = await self._read(exchange, server, name, rdtype, deadline, query, edns)
        found.ignored = list(exchange.ignored) + found.ignored
        found.ignored_count += exchange.ignored_count
        return found

    async def _read(self, exchange: Exchange[Any], server: Addr, name: str, rdtype: str,
                    deadline: float, query: Any, edns: bool) -> _Lookup:
        """What the exchange's answer (or its absence) says about the name."""
        import dns.flags
        import dns.rcode
        import dns.rdatatype

        response = exchange.reply
        if response is None:
            if exchange.error is not None:
                return _Lookup(kind="error", text=exchange.error)
            return _Lookup(kind="timeout", text=TEXTS["timeout"])
        if response.flags & dns.flags.TC:
            # Truncated (RFC 1035 §4.2.1): the whole answer only comes over TCP (RFC 7766 §5).
            response = await _over_tcp(server, query, deadline)
            if isinstance(response, str):
                return _Lookup(kind="error", text=response)
        rcode = response.rcode()
        if edns and rcode in (dns.rcode.FORMERR, dns.rcode.NOTIMP):
            # A resolver that does not know EDNS answers FORMERR (RFC 6891 §7): ask plainly.
            return await self._ask(server, name, rdtype, deadline, edns=False)
        if rcode == dns.rcode.NXDOMAIN:
            return _Lookup(kind="nxdomain", text=TEXTS["nxdomain"])
        if rcode != dns.rcode.NOERROR:
            return _Lookup(kind="error", text=f"answered {dns.rcode.to_text(rcode)}")
        return follow_chain(response, query.question[0].name, dns.rdatatype.from_text(rdtype))

    async def _endpoint(self, server: Addr) -> UdpEndpoint | str:
        """The one socket towards ``server``, opened by the first query that needs it."""
        future = self._endpoints.get(server)
        if future is None:
            future = asyncio.ensure_future(self._open(server))
            self._endpoints[server] = future
        return await asyncio.shield(future)

    @staticmethod
    async def _open(server: Addr) -> UdpEndpoint | str:
        # A random local port (the kernel's ephemeral choice) for every run: RFC 5452 §9.2.
        try:
            return await open_endpoint(server[0])
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


def _query(name: str, rdtype: str, edns: bool) -> Any:
    """A recursive query for ``name`` with a random ID (dnspython's) and a mixed-case name."""
    import dns.message
    import dns.name

    qname = dns.name.from_text(mix_case(name))
    if edns:
        return dns.message.make_query(qname, rdtype, use_edns=0, payload=EDNS_PAYLOAD)
    return dns.message.make_query(qname, rdtype)


def _check_reply(query: Any, data: bytes) -> Any:
    """``data`` parsed as the answer to ``query``, or ``ValueError``/``NotOurs`` saying why
    it is not (RFC 5452 §9.1: ID, question; 0x20: the question's letters exactly)."""
    import dns.exception
    import dns.message

    try:
        response = dns.message.from_wire(data)
    except (dns.exception.DNSException, ValueError, UnicodeError, struct.error) as exc:
        raise ValueError(f"malformed DNS message: {exc}") from None
    if not query.is_response(response):
        raise NotOurs("DNS response to another query (ID or question differ)")
    if response.question[0].name.to_wire() != query.question[0].name.to_wire():
        raise NotOurs("DNS response whose question's letter case differs from ours (0x20)")
    return response


async def _over_tcp(server: Addr, query: Any, deadline: float) -> Any:
    """``query`` over TCP (two-byte length prefix, RFC 1035 §4.2.2), within ``deadline``;
    the response, or a line saying why there is none."""
    wire = query.to_wire()
    writer = None
    try:
        async with asyncio.timeout_at(deadline):
            reader, writer = await asyncio.open_connection(server[0], server[1])
            writer.write(struct.pack("!H", len(wire)) + wire)
            await writer.drain()
            (length,) = struct.unpack("!H", await reader.readexactly(2))
            return _check_reply(query, await reader.readexactly(length))
    except TimeoutError:
        return "truncated answer over UDP, and no answer over TCP in time"
    except (OSError, asyncio.IncompleteReadError) as exc:
        return f"truncated answer over UDP, and TCP failed: {exc}"
    except ValueError as exc:
        return f"truncated answer over UDP, and TCP gave no usable answer: {exc}"
    finally:
        if writer is not None:
            writer.close()


def _routed(ip: str) -> bool:
    """Is there a route towards ``ip`` (a name server given by address)?"""
    try:
        local_address_for(ip)
    except (OSError, ValueError):
        return False
    return True

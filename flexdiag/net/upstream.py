"""Which box faces the internet (``nat.upstream``): the first two hops towards the platform's
STUN server (a Binding with TTL 1, then 2; the ICMP time-exceeded of each read from the
socket's error queue, IP_RECVERR), then the first hop's own external address over NAT-PMP (RFC
6886 §3.2; a PCP server's answer is recognised, RFC 6887 §9). At most two datagrams towards
the server and three to the router, each wait bounded (about 1.5 s in all)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any

from flexdiag.addr import Addr
from flexdiag.analysis.media import ICMP_TIME_EXCEEDED
from flexdiag.codec import natpmp, stun
from flexdiag.net import capability, flows
from flexdiag.net.media import NO_ERROR_QUEUE, _Walker
from flexdiag.net.ports import FALL_BACK, Role, stable_port
from flexdiag.net.probes import NoSocket, open_endpoint
from flexdiag.net.udp import IP_RECVERR, local_address_for
from flexdiag.records import Upstream

NATPMP_RTO_S = 0.25  # RFC 6886 §3.1: 250 ms, doubling
HOP_WAIT_S = 0.5  # per TTL, for its ICMP error (or the server's answer)
POLL_S = 0.02


class _HopWalker(_Walker):
    """Any datagram from the server means the probe reached it (a hostile server's garbage
    too); ICMP errors as the walker reads them."""

    def __init__(self, sock: socket.socket, server: Addr) -> None:
        super().__init__(sock, b"")
        self.server = server

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        if str(addr[0]) == self.server[0]:
            self.answered = True


async def _natpmp(gateway: str, result: Upstream, deadline: float) -> None:
    loop = asyncio.get_running_loop()
    try:  # the stable port again (the hops' socket is closed by now): no new entry per run
        endpoint = await open_endpoint(gateway, stable_port(Role.UPSTREAM))
    except NoSocket as exc:
        result.natpmp_error = str(exc)
        return
    try:
        exchange = await endpoint.exchange(
            natpmp.REQUEST, (gateway, natpmp.PORT), lambda data, _src: natpmp.parse(data),
            min(loop.time() + 4 * NATPMP_RTO_S, deadline), rto_s=NATPMP_RTO_S, max_sends=3)
    finally:
        endpoint.close()
    result.natpmp = exchange.reply
    if exchange.reply is None:
        result.natpmp_error = exchange.error or "no answer"


def _hop_socket(dest_ip: str) -> socket.socket:
    """From the quick run's stable port for this probe (an ephemeral one if it is taken),
    with ICMP errors queued (IP_RECVERR)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setblocking(False)
        local = local_address_for(dest_ip)
        try:
            sock.bind((local, stable_port(Role.UPSTREAM)))
        except OSError as exc:
            if exc.errno not in FALL_BACK:
                raise
            sock.bind((local, 0))
        sock.setsockopt(socket.IPPROTO_IP, IP_RECVERR, 1)
    except BaseException:
        sock.close()
        raise
    return sock


async def _one_hop(walker: _HopWalker, send: Callable[[], None], deadline: float
                   ) -> tuple[bool, str | None]:
    """Send once; wait (bounded) for the server's answer or an ICMP time-exceeded: (answered,
    the time-exceeded's sender)."""
    loop = asyncio.get_running_loop()
    seen = len(walker.reports)
    send()
    end = min(loop.time() + HOP_WAIT_S, deadline)
    while loop.time() < end and not walker.answered and len(walker.reports) == seen:
        await asyncio.sleep(POLL_S)
        walker.drain()
    new = [r for r in walker.reports[seen:] if r.icmp_type == ICMP_TIME_EXCEEDED]
    return walker.answered, new[0].offender if new else None


async def _hops(server: Addr, result: Upstream, deadline: float) -> None:
    """TTL 1, then 2: each hop's offender, or the server's own answer (each wait bounded by
    :data:`HOP_WAIT_S` and the run's deadline)."""
    loop = asyncio.get_running_loop()
    request = stun.build_binding_request(stun.new_transaction_id())
    try:
        sock = _hop_socket(server[0])
    except OSError as exc:
        result.error = exc.strerror or str(exc)
        return
    walker = _HopWalker(sock, server)
    transport, _ = await loop.create_datagram_endpoint(lambda: walker, sock=sock)
    # TTL 2 passes the router: a flow in its table like any other of the run (nat.capacity
    # counts the run's own), admitted when anything beyond the router answers it.
    log = flows.CURRENT.get()
    name = sock.getsockname()
    local = (str(name[0]), int(name[1]))
    try:
        hops: list[str | None] = []
        for ttl in (1, 2):
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
            if log is not None and ttl == 2:
                log.sent(local, server)
            answered, offender = await _one_hop(
                walker, lambda: transport.sendto(request, server), deadline)
            if log is not None and ttl == 2 and (answered or offender):
                log.received(local, server)
            if answered:
                result.answered_at_ttl = ttl
                break
            hops.append(offender)
        result.hops = tuple(hops)
    finally:
        transport.close()
        await asyncio.sleep(0)  # the socket closes on the loop's next turn: the port is free


def _on_path(server: Addr, gateway: str | None) -> bool:
    """Without the hops: is ``gateway`` plausibly the router towards ``server`` (the same
    local address routes to both, and the server is not on this computer)?"""
    if gateway is None or ":" in gateway or server[0].startswith("127."):
        return False
    try:
        return local_address_for(gateway) == local_address_for(server[0])
    except OSError:
        return False


async def probe(server: Addr, gateway: str | None = None,
                deadline: float | None = None) -> Upstream:
    """The first hops towards ``server``, then NAT-PMP to the router the first hop proved to be
    on the path (its ICMP time-exceeded): never to a gateway the platform's traffic does not
    pass (a server on this host or its own network is answered at the first hop: nobody is
    asked)."""
    result = Upstream()
    if deadline is None:
        deadline = asyncio.get_running_loop().time() + 2 * HOP_WAIT_S + 4 * NATPMP_RTO_S
    if ":" in server[0]:
        result.error = "IPv6: not tested"
        return result
    if not capability.error_queue():  # no hops: the default gateway, where on the path
        result.error = NO_ERROR_QUEUE
        if _on_path(server, gateway):
            result.gateway = gateway
            await _natpmp(gateway, result, deadline)  # type: ignore[arg-type]
        return result
    await _hops(server, result, deadline)
    first = result.hops[0] if result.hops else None
    if first is not None and result.answered_at_ttl != 1:
        result.gateway = first
        await _natpmp(first, result, deadline)
    return result

"""Which box faces the internet (``nat.upstream``): the first two hops towards the platform's
STUN server (a Binding with TTL 1, then 2; the ICMP time-exceeded of each read from the
socket's error queue, IP_RECVERR), then the first hop's own external address, asked at once
over NAT-PMP (RFC 6886 §3.2; a PCP server's answer is recognised, RFC 6887 §9) and UPnP IGD
(a unicast M-SEARCH, the device description and GetExternalIPAddress: flexdiag.codec.upnp).
At most two datagrams towards the server and five to the router, two short HTTP requests to
the router, each wait bounded (about 1 s for the hops, 2.5 s at most for the router)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any, TypeVar

from flexdiag.addr import Addr, same_ip
from flexdiag.analysis.media import ICMP_TIME_EXCEEDED
from flexdiag.analysis.upstream import box_in_front
from flexdiag.codec import natpmp, stun, upnp
from flexdiag.net import capability, flows
from flexdiag.net.media import NO_ERROR_QUEUE, IcmpWalker
from flexdiag.net.ports import FALL_BACK, Role, stable_port
from flexdiag.net.probes import NoSocket, open_endpoint
from flexdiag.net.udp import IP_RECVERR, NotOurs, UdpEndpoint, local_address_for
from flexdiag.records import Upstream

NATPMP_RTO_S = 0.25  # RFC 6886 §3.1: 250 ms, doubling
HOP_WAIT_S = 0.5  # per TTL, for its ICMP error (or the server's answer)
POLL_S = 0.02
T = TypeVar("T")
SEARCH_WAIT_S = 1.2  # an IGD may wait up to MX (1 s) before it answers (UDA §1.3.3)
SEARCH_RTO_S = 0.6
UPNP_S = 2.5  # discovery, description and control together
HTTP_READ = upnp.MAX_BODY + 4096  # headers and a body at its cap: more is refused


class _HopWalker(IcmpWalker):
    """Any datagram from the server means the probe reached it (a hostile server's garbage
    too); ICMP errors as the walker reads them."""

    def __init__(self, sock: socket.socket, server: Addr) -> None:
        super().__init__(sock, b"")
        self.server = server

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        if str(addr[0]) == self.server[0]:
            self.answered = True


def _from(box: str, parse: Callable[[bytes], T]) -> Callable[[bytes, Addr], T]:
    """An ``accept`` for one box's answers only (the router's and the second hop's share a
    socket)."""
    def accept(data: bytes, source: Addr) -> T:
        if not same_ip(source[0], box):
            raise NotOurs("not from this box")
        return parse(data)
    return accept


async def _natpmp(endpoint: UdpEndpoint, gateway: str, result: Upstream,
                  deadline: float) -> None:
    loop = asyncio.get_running_loop()
    exchange = await endpoint.exchange(
        natpmp.REQUEST, (gateway, natpmp.PORT), _from(gateway, natpmp.parse),
        min(loop.time() + 4 * NATPMP_RTO_S, deadline), rto_s=NATPMP_RTO_S, max_sends=3)
    result.natpmp = exchange.reply
    if exchange.reply is None:
        result.natpmp_error = exchange.error or "no answer"


async def _http(url: upnp.Url, request: bytes, deadline: float) -> tuple[int, bytes]:
    """One HTTP/1.1 request to the router and its whole response (the router closes the
    connection: ``Connection: close``), bounded by ``deadline`` and :data:`HTTP_READ`."""
    async with asyncio.timeout_at(deadline):
        reader, writer = await asyncio.open_connection(
            url.host, url.port, local_addr=(local_address_for(url.host), 0))
        try:
            writer.write(request)
            data = await reader.read(HTTP_READ)
            while len(data) < HTTP_READ and not reader.at_eof():
                more = await reader.read(HTTP_READ - len(data))
                if not more:
                    break
                data += more
        finally:
            writer.close()
    return upnp.parse_http_response(data)


def _on_router(url: upnp.Url, gateway: str) -> upnp.Url:
    """A URL the router gave, only where it is the router itself: nothing else is contacted."""
    if not same_ip(url.host, gateway):
        raise upnp.UpnpError(f"{url} is not on the router")
    return url


async def _upnp(endpoint: UdpEndpoint, gateway: str, result: Upstream,
                deadline: float) -> None:
    """UPnP IGD's GetExternalIPAddress from the router the path proved: unicast M-SEARCH to
    its port 1900 (answered from any port of the router's), then its description and the
    action over HTTP on the router's own address only."""
    loop = asyncio.get_running_loop()
    deadline = min(deadline, loop.time() + UPNP_S)
    exchange = await endpoint.exchange(
        upnp.build_search(gateway), (gateway, upnp.SSDP_PORT),
        _from(gateway, upnp.parse_search_response),
        min(loop.time() + SEARCH_WAIT_S, deadline), rto_s=SEARCH_RTO_S, max_sends=2)
    if exchange.reply is None:
        result.upnp_error = exchange.error or "no answer"
        return
    try:
        location = _on_router(upnp.parse_url(exchange.reply), gateway)
        status, body = await _http(location, upnp.build_get(location), deadline)
        if status != 200:
            raise upnp.UpnpError(f"description: HTTP {status}")
        result.upnp_service, control = upnp.control_url(body, str(location))
        _on_router(control, gateway)
        status, body = await _http(
            control, upnp.build_action(result.upnp_service, control), deadline)
        result.upnp_address = upnp.parse_action_response(status, body)
    except TimeoutError:
        result.upnp_error = "no answer over HTTP"
    except (ValueError, upnp.UpnpFault, OSError) as exc:
        result.upnp_error = str(exc) or type(exc).__name__


async def _router(endpoint: UdpEndpoint, gateway: str, result: Upstream,
                  deadline: float) -> None:
    """The router's own word on its external address: NAT-PMP and UPnP IGD at once."""
    await asyncio.gather(_natpmp(endpoint, gateway, result, deadline),
                         _upnp(endpoint, gateway, result, deadline))


async def _second(endpoint: UdpEndpoint, box: str, result: Upstream, deadline: float) -> None:
    """The private (or carrier-grade) second hop asked as the router is: any NAT-PMP answer
    (a "network failure" too) or an IGD description says it is a gateway itself, so a second
    NAT, whatever the router believes its own address to be (a router that learns it by STUN
    reports the public one)."""
    seen = Upstream()
    await _router(endpoint, box, seen, deadline)
    result.second_gateway = box
    result.second_answers = tuple(
        name for name, answered in (("natpmp", seen.natpmp is not None),
                                    ("upnp", seen.upnp_service is not None)) if answered)


async def _ask(gateway: str, second: str | None, result: Upstream, deadline: float) -> None:
    """The router (and the box in front, where ``second``) asked at once, from one socket on
    the quick run's stable port for this probe (the hops' socket is closed by now): a run
    after a run adds no entry to the router's table but DNS's (flexdiag.net.ports)."""
    result.gateway = gateway
    try:
        endpoint = await open_endpoint(gateway, stable_port(Role.UPSTREAM))
    except NoSocket as exc:
        result.natpmp_error = result.upnp_error = str(exc)
        return
    try:
        asks = [_router(endpoint, gateway, result, deadline)]
        if second is not None:
            asks.append(_second(endpoint, second, result, deadline))
        await asyncio.gather(*asks)
    finally:
        endpoint.close()


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
    """The first hops towards ``server``, then NAT-PMP and UPnP IGD to the router the first hop
    proved to be on the path (its ICMP time-exceeded): never to a gateway the platform's
    traffic does not pass (a server on this host or its own network is answered at the first
    hop: nobody is asked)."""
    result = Upstream()
    if deadline is None:
        deadline = asyncio.get_running_loop().time() + 2 * HOP_WAIT_S + UPNP_S
    if ":" in server[0]:
        result.error = "IPv6: not tested"
        return result
    if not capability.error_queue():  # no hops: the default gateway, where on the path
        result.error = NO_ERROR_QUEUE
        if gateway is not None and _on_path(server, gateway):
            await _ask(gateway, None, result, deadline)
        return result
    await _hops(server, result, deadline)
    first = result.hops[0] if result.hops else None
    if first is not None and result.answered_at_ttl != 1:
        await _ask(first, box_in_front(result.hops), result, deadline)
    return result

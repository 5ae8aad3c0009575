"""The RTP-shaped probe behind ``media.quality``: STUN Binding requests every 20 ms (a G.711
call's packet rate; RFC 8445 §B.1 paces connectivity checks the same way) from a port in the
RTP range to the platform's STUN server, each answer's arrival noted (on the event loop's
clock, which :mod:`flexdiag.analysis.media` turns into RTT, jitter, loss and a MOS).

Bounded in count (``duration_s / 20 ms`` requests, 250 for the default 5 s) and in time (the
duration plus at most a second for the last answers). Datagrams that are not an answer to one
of the probe's requests, from the server, are ignored (and counted)."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from flexdiag.addr import Addr, same_addr
from flexdiag.analysis.media import ICMP_TIME_EXCEEDED, TAIL_S
from flexdiag.codec import stun
from flexdiag.net import capability
from flexdiag.net.ports import rtp_ports
from flexdiag.net.udp import (
    IP_RECVERR,
    QueuedError,
    local_address_for,
    parse_queued_error,
    read_error_queue,
)
from flexdiag.records import Firewalk, IcmpReport, MediaProbe

NO_ERROR_QUEUE = "this OS does not tell programs which router sent an ICMP error"


class _Receiver(asyncio.DatagramProtocol):
    def __init__(self, server: Addr, probe: MediaProbe, ids: dict[bytes, int]) -> None:
        self.server, self.probe, self.ids = server, probe, ids

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        now = asyncio.get_running_loop().time()
        try:
            response = stun.parse_binding_response(data)
        except ValueError:
            self.probe.ignored += 1
            return
        index = self.ids.get(response.transaction_id)
        if index is None or not same_addr((str(addr[0]), int(addr[1])), self.server):
            self.probe.ignored += 1
            return
        if self.probe.arrivals[index] is None:
            self.probe.arrivals[index] = now

    def error_received(self, exc: Exception) -> None:
        pass  # an ICMP error means the answers stop coming: counted as loss


def _socket(dest_ip: str) -> socket.socket:
    """A UDP socket on a random port of the RTP range (an ephemeral one if all are taken)."""
    local_ip = local_address_for(dest_ip)
    family = socket.AF_INET6 if ":" in local_ip else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.setblocking(False)
    for port in rtp_ports():
        try:
            sock.bind((local_ip, port))
            return sock
        except OSError:
            continue
    sock.close()
    raise OSError("no local port could be bound")


async def probe(server: Addr, duration_s: float, interval_s: float = 0.020,
                stop: asyncio.Event | None = None) -> MediaProbe:
    """Send ``duration_s / interval_s`` Binding requests to ``server``, paced, and wait (at
    most :data:`TAIL_S`) for the last answers. Setting ``stop`` (Ctrl-C) ends it early with
    what it has."""
    loop = asyncio.get_running_loop()
    try:
        sock = _socket(server[0])
    except OSError as exc:
        return MediaProbe(("", 0), error=f"cannot send to {server[0]}: {exc.strerror or exc}")
    name = sock.getsockname()
    result = MediaProbe((str(name[0]), int(name[1])))
    ids: dict[bytes, int] = {}
    transport, _ = await loop.create_datagram_endpoint(
        lambda: _Receiver(server, result, ids), sock=sock)
    try:
        count = max(1, round(duration_s / interval_s))
        start = loop.time()
        for i in range(count):
            if stop is not None and stop.is_set():
                break
            delay = start + i * interval_s - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            transaction_id = stun.new_transaction_id()
            ids[transaction_id] = i
            result.sends.append(loop.time())
            result.arrivals.append(None)
            try:
                transport.sendto(stun.build_binding_request(transaction_id), server)
            except OSError:
                pass  # counted as lost
        # The last answers: a few of the RTTs seen, at most TAIL_S.
        rtts = [r - s for s, r in zip(result.sends, result.arrivals, strict=True) if r]
        tail = min(TAIL_S, 4 * max(rtts) if rtts else TAIL_S)
        end = loop.time() + tail
        while loop.time() < end and any(r is None for r in result.arrivals[-10:]):
            await asyncio.sleep(min(0.02, max(0.0, end - loop.time())))
    finally:
        transport.close()
    return result


# --- media.ports: does UDP to the platform's media ports leave the site? (firewalking) ------

MAX_HOPS = 4  # TTLs tried towards the STUN server to find the hops beyond the gateway
PACING_S = 0.020  # between two probes: a few dozen datagrams, never a burst
ICMP_WAIT_S = 1.0  # for ICMP errors after the last probe


def parse_error_queue(ancdata: list[tuple[int, int, bytes]], addr: Any) -> IcmpReport | None:
    """An IP_RECVERR message as a report of the ICMP error it carries (offender, type, code,
    the destination it answers); ``None`` for an error that did not come from ICMP."""
    return _icmp(parse_queued_error(ancdata, addr))


def _icmp(entry: QueuedError) -> IcmpReport | None:
    if not entry.icmp:
        return None
    return IcmpReport(entry.dest, entry.offender, entry.icmp_type, entry.icmp_code)


class IcmpWalker(asyncio.DatagramProtocol):
    """Reads the STUN answer to the control probe and every ICMP error of the socket."""

    def __init__(self, sock: socket.socket, control_id: bytes) -> None:
        self.sock, self.control_id = sock, control_id
        self.reports: list[IcmpReport] = []
        self.answered = False

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        try:
            response = stun.parse_binding_response(data)
        except ValueError:
            return
        if response.transaction_id == self.control_id:
            self.answered = True

    def error_received(self, exc: Exception) -> None:
        self.drain()

    def drain(self) -> None:
        self.reports += [r for e in read_error_queue(self.sock) if (r := _icmp(e)) is not None]


def _walker_socket(dest_ip: str, rtp: bool) -> socket.socket:
    sock = _socket(dest_ip) if rtp else socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if not rtp:
        sock.setblocking(False)
        sock.bind((local_address_for(dest_ip), 0))
    sock.setsockopt(socket.IPPROTO_IP, IP_RECVERR, 1)
    return sock


async def firewalk(server: Addr, targets: list[Addr], stop: asyncio.Event | None = None
                   ) -> Firewalk:
    """TTL-limited probes (IPv4; Linux's IP_RECVERR error queue: another OS would need a raw
    ICMP socket). First towards the STUN server with TTL 1 .. :data:`MAX_HOPS` to learn the
    gateway (TTL 1's offender) and the control: does anything beyond it answer? Then one
    datagram per target from a port in the RTP range with the TTL that expires one hop beyond
    the gateway: a time-exceeded from beyond it, or a port-unreachable from the target itself,
    proves the datagram left the site."""
    loop = asyncio.get_running_loop()
    result = Firewalk()
    if ":" in server[0]:
        result.error = "IPv6: not tested"
        return result
    if not capability.error_queue():
        result.error, result.os_cannot = NO_ERROR_QUEUE, True
        return result
    control_id = stun.new_transaction_id()
    try:
        control_sock = _walker_socket(server[0], rtp=False)
        media_sock = _walker_socket(server[0], rtp=True)
    except OSError as exc:
        result.error = f"cannot send: {exc.strerror or exc}"
        return result
    control = IcmpWalker(control_sock, control_id)
    media_walker = IcmpWalker(media_sock, b"")
    t1, _ = await loop.create_datagram_endpoint(lambda: control, sock=control_sock)
    t2, _ = await loop.create_datagram_endpoint(lambda: media_walker, sock=media_sock)
    try:
        await _walk_control(control, t1, control_sock, server, result)
        media_sock.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, result.ttl)
        await _walk_media(media_walker, t2, targets, result, stop)
    finally:
        t1.close()
        t2.close()
    return result


def _stopped(stop: asyncio.Event | None) -> bool:
    return stop is not None and stop.is_set()


async def _walk_control(control: IcmpWalker, transport: asyncio.DatagramTransport,
                        sock: socket.socket, server: Addr, result: Firewalk) -> None:
    """A STUN Binding towards the server with TTL 1 .. :data:`MAX_HOPS`: TTL 1's offender is
    the gateway; anything beyond it answering is the control."""
    request = stun.build_binding_request(control.control_id)
    for ttl in range(1, MAX_HOPS + 1):
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
        transport.sendto(request, server)
        await asyncio.sleep(PACING_S)
    await asyncio.sleep(0.3)
    control.drain()
    first = [r for r in control.reports if r.icmp_type == ICMP_TIME_EXCEEDED]
    result.gateway = first[0].offender if first else None
    result.control = [r for r in control.reports if r.offender != result.gateway]
    result.control_answered = control.answered


async def _walk_media(walker: IcmpWalker, transport: asyncio.DatagramTransport,
                      targets: list[Addr], result: Firewalk, stop: asyncio.Event | None) -> None:
    """One datagram per target with the TTL that expires one hop beyond the gateway, then
    the ICMP errors until one from beyond the gateway arrives (or :data:`ICMP_WAIT_S`)."""
    loop = asyncio.get_running_loop()
    for target in targets:
        if _stopped(stop):
            break
        transport.sendto(b"\x80\x00\x00\x00flexdiag media-port probe", target)
        result.probes.append(f"{target[0]}:{target[1]} ttl {result.ttl}")
        await asyncio.sleep(PACING_S)
    end = loop.time() + ICMP_WAIT_S
    while loop.time() < end and not _stopped(stop):
        await asyncio.sleep(0.05)
        walker.drain()
        if any(r.offender != result.gateway for r in walker.reports):
            break
    result.media = list(walker.reports)

"""The RTP-shaped probe behind ``media.quality``: STUN Binding requests every 20 ms (a G.711
call's packet rate; RFC 8445 §B.1 paces connectivity checks the same way) from a port in the
RTP range to the platform's STUN server, each answer's arrival noted (on the event loop's
clock, which :mod:`flexdiag.analysis.media` turns into RTT, jitter, loss and a MOS).

Bounded in count (``duration_s / 20 ms`` requests, 250 for the default 5 s) and in time (the
duration plus at most a second for the last answers). Datagrams that are not an answer to one
of the probe's requests, from the server, are ignored (and counted)."""

from __future__ import annotations

import asyncio
import random
import socket
from typing import Any

from flexdiag.addr import Addr, same_addr
from flexdiag.analysis.media import TAIL_S
from flexdiag.codec import stun
from flexdiag.net.udp import local_address_for
from flexdiag.records import MediaProbe

RTP_PORTS = (10_000, 20_000)  # where phones put RTP (FAQ item 4's range, on the phone's side)
PORT_TRIES = 8  # random ports tried in RTP_PORTS before an ephemeral one


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
    for port in [*random.sample(range(*RTP_PORTS), PORT_TRIES), 0]:
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

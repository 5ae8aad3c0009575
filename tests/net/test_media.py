"""The RTP-paced probe against a STUN server on loopback: paced at 20 ms, bounded, every
answer matched to its request; a server that drops every fifth request shows 20 % loss."""

from __future__ import annotations

import asyncio
from typing import Any

from flexdiag.analysis import media as am
from flexdiag.net import media
from tests.fakes import Addr, FakeServer, Reply, stun_handler


async def test_a_healthy_server_answers_every_packet_at_the_rtp_rate() -> None:
    async with FakeServer(stun_handler()) as server:
        loop = asyncio.get_running_loop()
        started = loop.time()
        probe = await media.probe(server.addr, 1.0)
        took = loop.time() - started
    q = am.quality(probe.sends, probe.arrivals)
    assert q.sent == 50 and q.answered == 50 and q.loss_pct == 0.0
    assert 10_000 <= probe.local[1] < 20_000  # from the RTP range
    gaps = [b - a for a, b in zip(probe.sends, probe.sends[1:], strict=False)]
    assert abs(sum(gaps) / len(gaps) - 0.020) < 0.003  # paced, not a burst
    assert took < 1.0 + am.TAIL_S + 0.3


async def test_loss_is_measured_and_garbage_ignored() -> None:
    honest = stun_handler()
    seen = {"n": 0}

    def lossy(data: bytes, source: Addr) -> list[Reply]:
        seen["n"] += 1
        if seen["n"] % 5 == 0:
            return [Reply(b"\x01\x01garbage")]  # a lost answer, and garbage instead
        return honest(data, source)

    async with FakeServer(lossy) as server:
        probe = await media.probe(server.addr, 1.0)
    q = am.quality(probe.sends, probe.arrivals)
    assert q.loss_pct == 20.0 and probe.ignored == 10
    assert q.mos is not None and q.mos < am.mos(am.r_factor(1, 0))


async def test_a_closed_port_is_all_loss_within_the_bound() -> None:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        closed: Any = sock.getsockname()
    loop = asyncio.get_running_loop()
    started = loop.time()
    probe = await media.probe(closed, 0.2)
    assert loop.time() - started < 0.2 + am.TAIL_S + 0.3
    assert all(a is None for a in probe.arrivals) and len(probe.sends) == 10

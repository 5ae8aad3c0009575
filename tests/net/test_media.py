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


def test_an_ip_recverr_message_is_read_with_its_offender() -> None:
    import socket
    import struct

    from flexdiag.net.media import parse_error_queue

    # struct sock_extended_err: errno 113, origin ICMP (2), type 11, code 0, then the
    # offender's sockaddr_in.
    err = struct.pack("=IBBBBII", 113, 2, 11, 0, 0, 0, 0)
    offender = struct.pack("=HH4s8x", socket.AF_INET, 0, socket.inet_aton("198.51.100.1"))
    report = parse_error_queue([(0, 11, err + offender)], ("198.51.100.40", 12345))
    assert report is not None
    assert (report.offender, report.icmp_type, report.icmp_code, report.dest) == (
        "198.51.100.1", 11, 0, ("198.51.100.40", 12345))
    local = struct.pack("=IBBBBII", 111, 1, 0, 0, 0, 0, 0)  # SO_EE_ORIGIN_LOCAL: not ICMP
    assert parse_error_queue([(0, 11, local + offender)], None) is None
    assert parse_error_queue([(0, 11, b"short")], None) is None


async def test_firewalk_on_loopback_reads_the_port_unreachable_of_a_closed_port() -> None:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        closed: Any = sock.getsockname()
    async with FakeServer(stun_handler()) as server:
        walk = await media.firewalk(server.addr, [closed])
    assert walk.error is None and walk.control_answered
    assert walk.probes == [f"127.0.0.1:{closed[1]} ttl 2"]
    assert [(r.offender, r.icmp_type, r.icmp_code) for r in walk.media] == [("127.0.0.1", 3, 3)]

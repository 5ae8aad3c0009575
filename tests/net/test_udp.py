"""The shared UDP endpoint: concurrent exchanges on one socket, ICMP attribution, stop."""

from __future__ import annotations

import asyncio
import socket

from flexdiag.addr import Addr
from flexdiag.net.udp import UdpEndpoint
from tests.fakes import FakeServer, Reply


def echo(data: bytes, source: Addr) -> list[Reply]:
    return [Reply(b"echo:" + data)]


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def expect(tag: bytes):  # type: ignore[no-untyped-def]
    def accept(data: bytes, source: Addr) -> bytes:
        if data != b"echo:" + tag:
            raise ValueError("not mine")
        return data
    return accept


async def test_two_exchanges_share_a_socket_and_icmp_hits_only_its_own() -> None:
    loop = asyncio.get_running_loop()
    async with FakeServer(echo) as server:
        endpoint = await UdpEndpoint.open("127.0.0.1")
        try:
            dead = ("127.0.0.1", closed_port())
            deadline = loop.time() + 3
            live, refused = await asyncio.gather(
                endpoint.exchange(b"a", server.addr, expect(b"a"), deadline),
                endpoint.exchange(b"b", dead, expect(b"b"), deadline),
            )
        finally:
            endpoint.close()
    assert live.reply == b"echo:a" and live.reply_from == server.addr and live.error is None
    assert refused.reply is None and refused.error and "port unreachable" in refused.error
    assert refused.sent == 1  # ended by the ICMP error, not by retransmitting to the deadline
    assert live.local == refused.local


async def test_replies_for_the_other_exchange_are_not_counted_as_ignored() -> None:
    loop = asyncio.get_running_loop()
    async with FakeServer(echo) as server:
        async with await UdpEndpoint.open("127.0.0.1") as endpoint:
            first, second = await asyncio.gather(
                endpoint.exchange(b"x", server.addr, expect(b"x"), loop.time() + 2),
                endpoint.exchange(b"y", server.addr, expect(b"y"), loop.time() + 2),
            )
    assert first.reply == b"echo:x" and second.reply == b"echo:y"
    assert first.ignored_count == second.ignored_count == 0


async def test_unrelated_datagrams_are_ignored_with_a_reason() -> None:
    loop = asyncio.get_running_loop()

    def noisy(data: bytes, source: Addr) -> list[Reply]:
        return [Reply(b"garbage"), Reply(b"echo:" + data)]

    async with FakeServer(noisy) as server:
        async with await UdpEndpoint.open("127.0.0.1") as endpoint:
            result = await endpoint.exchange(b"z", server.addr, expect(b"z"), loop.time() + 2)
    assert result.reply == b"echo:z"
    assert result.ignored_count == 1 and result.ignored[0].endswith(": not mine")


async def test_stop_ends_the_wait_early() -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    async with FakeServer(lambda d, s: []) as server:
        async with await UdpEndpoint.open("127.0.0.1") as endpoint:
            loop.call_later(0.1, stop.set)
            begin = loop.time()
            result = await endpoint.exchange(b"q", server.addr, expect(b"q"), begin + 30,
                                             stop=stop)
    assert result.reply is None and result.error is None and result.sent == 1
    assert loop.time() - begin < 5


async def test_an_answer_ends_the_wait_even_with_a_stop_event() -> None:
    # Regression: asyncio.wait's default (ALL_COMPLETED) made answered exchanges sit until
    # stop was set.
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    async with FakeServer(echo) as server:
        async with await UdpEndpoint.open("127.0.0.1") as endpoint:
            handle = loop.call_later(30, stop.set)
            result = await endpoint.exchange(b"r", server.addr, expect(b"r"), loop.time() + 30,
                                             stop=stop)
            handle.cancel()
    assert result.reply == b"echo:r" and not stop.is_set()

"""The router's own word on its external address, against in-process routers on loopback:
UPnP IGD (unicast M-SEARCH, description, GetExternalIPAddress) and NAT-PMP. The real ones
(miniupnpd on a lab router) are in tests/lab/test_upstream.py."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import pytest

from flexdiag.codec import natpmp, upnp
from flexdiag.net import upstream
from flexdiag.net.udp import UdpEndpoint
from flexdiag.records import Upstream
from tests.codec.test_upnp import ANSWER, DESCRIPTION, FAULT

ROUTER = "127.0.0.1"
FRONT = "127.0.0.2"  # the box in front of the router, on loopback too


@dataclass
class FakeIgd:
    """An Internet Gateway Device: SSDP on UDP, description and control over HTTP."""

    location_host: str = ROUTER
    answer: bytes = ANSWER
    status: str = "200 OK"
    hang: bool = False
    garbage_first: bool = False
    http_port: int = 0
    requests: list[bytes] = field(default_factory=list)
    searches: int = 0
    search_sources: list[tuple[str, int]] = field(default_factory=list)

    def reply(self, data: bytes) -> bytes:
        head = data.split(b"\r\n", 1)[0]
        self.requests.append(head)
        body, status = ((DESCRIPTION, "200 OK") if head.startswith(b"GET ")
                        else (self.answer, self.status))
        return (f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


class _Ssdp(asyncio.DatagramProtocol):
    def __init__(self, igd: FakeIgd) -> None:
        self.igd = igd

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        assert data.startswith(b"M-SEARCH * HTTP/1.1\r\n")
        self.igd.searches += 1
        self.igd.search_sources.append(addr)
        if self.igd.garbage_first:
            self.transport.sendto(b"\x00garbage", addr)  # type: ignore[attr-defined]
        location = f"http://{self.igd.location_host}:{self.igd.http_port}/rootDesc.xml"
        self.transport.sendto(  # type: ignore[attr-defined]
            f"HTTP/1.1 200 OK\r\nST: {upnp.SEARCH_TARGET}\r\nLOCATION: {location}\r\n\r\n"
            .encode(), addr)


@asynccontextmanager
async def fake_igd(igd: FakeIgd, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeIgd]:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        data = await reader.readuntil(b"\r\n\r\n")
        length = [int(line.split(b":")[1]) for line in data.split(b"\r\n")
                  if line.lower().startswith(b"content-length:")]
        if length:
            await reader.readexactly(length[0])
        if igd.hang:
            await asyncio.sleep(30)
        writer.write(igd.reply(data))
        await writer.drain()
        writer.close()

    loop = asyncio.get_running_loop()
    server = await asyncio.start_server(serve, ROUTER, 0)
    igd.http_port = server.sockets[0].getsockname()[1]
    transport, _ = await loop.create_datagram_endpoint(lambda: _Ssdp(igd), local_addr=(ROUTER, 0))
    monkeypatch.setattr(upnp, "SSDP_PORT", transport.get_extra_info("sockname")[1])
    try:
        yield igd
    finally:
        transport.close()
        server.close()


async def _ask(deadline_s: float = 3.0) -> Upstream:
    result = Upstream()
    endpoint = await UdpEndpoint.open(ROUTER)
    try:
        await upstream._upnp(endpoint, ROUTER, result,
                             asyncio.get_running_loop().time() + deadline_s)
    finally:
        endpoint.close()
    return result


async def test_the_router_tells_its_external_address(monkeypatch: pytest.MonkeyPatch) -> None:
    async with fake_igd(FakeIgd(garbage_first=True), monkeypatch) as igd:
        result = await _ask()
    assert (result.upnp_address, result.upnp_error) == ("192.168.1.2", None)
    assert result.upnp_service == "urn:schemas-upnp-org:service:WANIPConnection:1"
    assert igd.requests == [b"GET /rootDesc.xml HTTP/1.1", b"POST /ctl/IPConn HTTP/1.1"]
    assert igd.searches == 1  # answered: not sent again


async def test_an_empty_address_is_none_given(monkeypatch: pytest.MonkeyPatch) -> None:
    async with fake_igd(FakeIgd(answer=ANSWER.replace(b">192.168.1.2<", b"><")), monkeypatch):
        result = await _ask()
    assert result.upnp_address is None and result.upnp_error is None
    assert result.upnp_service is not None


async def test_a_location_off_the_router_is_not_contacted(
        monkeypatch: pytest.MonkeyPatch) -> None:
    async with fake_igd(FakeIgd(location_host="127.0.0.2"), monkeypatch) as igd:
        result = await _ask()
    assert result.upnp_error is not None and "is not on the router" in result.upnp_error
    assert igd.requests == [] and result.upnp_address is None


async def test_a_refusal_is_the_upnp_error(monkeypatch: pytest.MonkeyPatch) -> None:
    async with fake_igd(FakeIgd(answer=FAULT, status="500 Internal Server Error"), monkeypatch):
        result = await _ask()
    assert result.upnp_error == "UPnP error 501: Action Failed"
    assert result.upnp_address is None  # it refused, yet it is a gateway: its WAN service
    assert result.upnp_service == "urn:schemas-upnp-org:service:WANIPConnection:1"


async def test_a_router_that_does_not_answer_over_http_is_bounded(
        monkeypatch: pytest.MonkeyPatch) -> None:
    loop = asyncio.get_running_loop()
    async with fake_igd(FakeIgd(hang=True), monkeypatch):
        start = loop.time()
        result = await _ask(deadline_s=0.5)
        waited = loop.time() - start
    assert result.upnp_error == "no answer over HTTP"
    assert waited < 2  # the deadline, not the router, ends it


async def test_no_upnp_on_the_router(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as closed:
        closed.bind((ROUTER, 0))
        port = closed.getsockname()[1]
    monkeypatch.setattr(upnp, "SSDP_PORT", port)
    result = await _ask()
    assert result.upnp_address is None and result.upnp_error  # port unreachable
    assert "unreachable" in result.upnp_error or "refused" in result.upnp_error


class _NatPmp(asyncio.DatagramProtocol):
    def __init__(self, answer: str = "0080000000000001c0a80102") -> None:
        self.answer = bytes.fromhex(answer)
        self.sources: list[tuple[str, int]] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        assert data == natpmp.REQUEST
        self.sources.append(addr)
        self.transport.sendto(self.answer, addr)  # type: ignore[attr-defined]


async def test_both_are_asked_at_once_from_one_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    loop = asyncio.get_running_loop()
    pmp = _NatPmp()
    transport, _ = await loop.create_datagram_endpoint(lambda: pmp, local_addr=(ROUTER, 0))
    monkeypatch.setattr(natpmp, "PORT", transport.get_extra_info("sockname")[1])
    monkeypatch.setattr(upstream, "stable_port", lambda role: 0)
    try:
        async with fake_igd(FakeIgd(), monkeypatch) as igd:
            result = Upstream()
            await upstream._ask(ROUTER, None, result, loop.time() + 3)
    finally:
        transport.close()
    assert result.natpmp == natpmp.ExternalAddress(0, 1, "192.168.1.2")
    assert result.upnp_address == "192.168.1.2" and result.gateway == ROUTER
    assert [pmp.sources[0]] == igd.search_sources  # one socket: one entry in the router
    assert (result.second_gateway, result.second_answers) == (None, ())


async def test_the_box_in_front_is_asked_from_the_same_socket(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The router (127.0.0.1: NAT-PMP and an IGD) and the box in front (127.0.0.2: NAT-PMP's
    "network failure" only); each answer is taken for its own box only."""
    loop = asyncio.get_running_loop()
    router, front = _NatPmp(), _NatPmp("008000030000000a")
    router_t, _ = await loop.create_datagram_endpoint(lambda: router, local_addr=(ROUTER, 0))
    port = router_t.get_extra_info("sockname")[1]
    front_t, _ = await loop.create_datagram_endpoint(lambda: front, local_addr=(FRONT, port))
    monkeypatch.setattr(natpmp, "PORT", port)
    monkeypatch.setattr(upstream, "stable_port", lambda role: 0)
    try:
        async with fake_igd(FakeIgd(), monkeypatch):
            result = Upstream()
            await upstream._ask(ROUTER, FRONT, result, loop.time() + 3)
    finally:
        router_t.close()
        front_t.close()
    assert result.natpmp == natpmp.ExternalAddress(0, 1, "192.168.1.2")  # the router's own
    assert result.upnp_address == "192.168.1.2"
    assert (result.second_gateway, result.second_answers) == (FRONT, ("natpmp",))
    assert router.sources[0] == front.sources[0]  # one socket for both boxes

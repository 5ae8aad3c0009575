"""A UDP endpoint with bounded request/response exchanges.

One socket per exchange: the reply's source is kept (a reply from the wrong port is a finding),
unrelated or malformed datagrams are counted and ignored, and ICMP errors are received on the
unconnected socket (``IP_RECVERR``) so that a closed port ends the wait at once instead of at the
deadline.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")
Addr = tuple[str, int]

RTO_S = 0.5  # RFC 8489 §6.2.1 initial RTO; RFC 3261 §17.1.1.2 Timer A = T1 = 500 ms
MAX_IGNORED_KEPT = 5  # evidence kept about ignored datagrams
IP_RECVERR = getattr(socket, "IP_RECVERR", 11)
IPV6_RECVERR = getattr(socket, "IPV6_RECVERR", 25)


def format_addr(addr: Addr) -> str:
    """``"ip:port"``, with brackets for IPv6, as evidence is written."""
    host, port = addr[0], addr[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def local_address_for(dest_ip: str) -> str:
    """The source address the kernel would use towards ``dest_ip``.

    Connecting a UDP socket only looks up the route; nothing is sent. Raises ``OSError`` when
    there is no route (no network).
    """
    family = socket.AF_INET6 if ipaddress.ip_address(dest_ip).version == 6 else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        probe.connect((dest_ip, 9))
        return str(probe.getsockname()[0])


@dataclass
class Exchange(Generic[T]):
    """The outcome of one request/response exchange."""

    local: Addr
    reply: T | None = None
    reply_from: Addr | None = None
    rtt_s: float | None = None
    sent: int = 0
    error: str | None = None  # ICMP or socket error that ended the exchange
    ignored: list[str] = field(default_factory=list)
    ignored_count: int = 0

    @property
    def answered(self) -> bool:
        return self.reply is not None


class UdpEndpoint(asyncio.DatagramProtocol):
    """An unconnected UDP socket whose datagrams and errors land in a queue."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[tuple[bytes, Addr, float] | OSError] = asyncio.Queue()
        self.transport: asyncio.DatagramTransport | None = None
        self.local: Addr = ("", 0)

    @classmethod
    async def open(cls, local_ip: str, local_port: int = 0) -> UdpEndpoint:
        """Bind to ``local_ip:local_port``; raises ``OSError`` when that is impossible."""
        loop = asyncio.get_running_loop()
        family = socket.AF_INET6 if ":" in local_ip else socket.AF_INET
        _, protocol = await loop.create_datagram_endpoint(
            cls, local_addr=(local_ip, local_port), family=family
        )
        assert protocol.transport is not None
        sock = protocol.transport.get_extra_info("socket")
        # Without RECVERR, Linux drops ICMP errors for unconnected UDP sockets (ip(7)).
        try:
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVERR, 1)
            else:
                sock.setsockopt(socket.IPPROTO_IP, IP_RECVERR, 1)
        except OSError:
            pass
        protocol.local = (str(sock.getsockname()[0]), int(sock.getsockname()[1]))
        return protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        loop = asyncio.get_running_loop()
        self._queue.put_nowait((data, (str(addr[0]), int(addr[1])), loop.time()))

    def error_received(self, exc: Exception) -> None:
        if isinstance(exc, OSError):
            self._queue.put_nowait(exc)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    async def __aenter__(self) -> UdpEndpoint:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def send(self, payload: bytes, dest: Addr) -> None:
        assert self.transport is not None
        self.transport.sendto(payload, dest)

    async def exchange(
        self,
        payload: bytes | Callable[[], bytes],
        dest: Addr,
        accept: Callable[[bytes, Addr], T],
        deadline: float,
        rto_s: float = RTO_S,
        max_sends: int = 7,
    ) -> Exchange[T]:
        """Send ``payload`` to ``dest`` and retransmit with a doubling RTO until ``accept``
        returns a value for a datagram, an ICMP error arrives, or the loop clock reaches
        ``deadline``. ``accept`` raises ``ValueError`` (with the reason) to ignore a datagram.
        A callable ``payload`` is called anew for every copy sent.
        """
        loop = asyncio.get_running_loop()
        result: Exchange[T] = Exchange(local=self.local)
        next_send = loop.time()
        last_send = next_send
        rto = rto_s
        while True:
            now = loop.time()
            if now >= deadline:
                return result
            if now >= next_send and result.sent < max_sends:
                self.send(payload() if callable(payload) else payload, dest)
                result.sent += 1
                last_send = now
                next_send = now + rto
                rto *= 2
            wake = deadline if result.sent >= max_sends else min(next_send, deadline)
            try:
                item = await asyncio.wait_for(self._queue.get(), max(0.0, wake - now))
            except TimeoutError:
                continue
            if isinstance(item, OSError):
                result.error = _describe_error(item)
                return result
            data, source, received_at = item
            try:
                result.reply = accept(data, source)
            except ValueError as exc:
                result.ignored_count += 1
                if len(result.ignored) < MAX_IGNORED_KEPT:
                    result.ignored.append(f"{format_addr(source)}: {exc}")
                continue
            result.reply_from = source
            # With retransmissions the reply may answer any copy (Karn): measure from the last.
            result.rtt_s = received_at - last_send
            return result

    async def receive(self, deadline: float) -> tuple[bytes, Addr] | None:
        """The next datagram, or ``None`` at the deadline (errors are skipped)."""
        loop = asyncio.get_running_loop()
        while (remaining := deadline - loop.time()) > 0:
            try:
                item = await asyncio.wait_for(self._queue.get(), remaining)
            except TimeoutError:
                return None
            if not isinstance(item, OSError):
                return item[0], item[1]
        return None


def _describe_error(exc: OSError) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "ICMP port unreachable: nothing listens on that port, or a firewall rejects it"
    return exc.strerror or str(exc)

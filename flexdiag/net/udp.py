"""A UDP endpoint carrying several bounded request/response exchanges at once.

One socket can serve many exchanges (a STUN binding and SIP OPTIONS to two ports from the same
local port, which is what the NAT cross-checks need): every datagram goes to the first exchange
whose ``accept`` takes it; one that no exchange takes is counted and ignored (evidence, never a
crash). ICMP errors are received on the unconnected socket (``IP_RECVERR``, ip(7)) and read
from the socket's error queue, whose entries name the destination that failed, so a closed port
ends only the exchange that sent to it, at once instead of at the deadline.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flexdiag.addr import Addr, format_addr, same_addr
from flexdiag.net import capability, flows
from flexdiag.net.flows import SILENCE_MIN_SENDS
from flexdiag.net.timer import MAX_SENDS, RTO_S, Retransmissions
from flexdiag.records import Exchange

T = TypeVar("T")

__all__ = ["MAX_SENDS", "RTO_S", "Exchange", "NotOurs", "Provisional", "UdpEndpoint"]

SILENCE_POLL_S = 0.25  # how often a silent exchange looks at the run's new evidence
MAX_IGNORED_KEPT = 5  # evidence kept about ignored datagrams, per exchange
IP_RECVERR = getattr(socket, "IP_RECVERR", 11)
IPV6_RECVERR = getattr(socket, "IPV6_RECVERR", 25)
MSG_ERRQUEUE = getattr(socket, "MSG_ERRQUEUE", 0x2000)

PORT_UNREACHABLE = ("ICMP port unreachable: nothing listens on that port, or a firewall "
                    "rejects it")
ERROR_TEXT = {
    errno.ECONNREFUSED: PORT_UNREACHABLE,
    # Windows reports a port unreachable on a UDP socket as WSAECONNRESET (10054), which
    # Python gives as ECONNRESET; no other OS raises it on UDP.
    errno.ECONNRESET: PORT_UNREACHABLE,
    errno.EHOSTUNREACH: "ICMP host unreachable",
    errno.ENETUNREACH: "ICMP network unreachable",
    errno.EMSGSIZE: "message too large for the path (ICMP fragmentation needed)",
}


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
class _Waiter:
    dest: Addr
    accept: Callable[[bytes, Addr], Any]
    future: asyncio.Future[tuple[Any, Addr, float]]
    result: Exchange[Any]

    def ignore(self, source: Addr, refusal: ValueError) -> None:
        if isinstance(refusal, Provisional):
            self.result.provisional += 1
        reason = str(refusal)
        self.result.ignored_count += 1
        if len(self.result.ignored) < MAX_IGNORED_KEPT:
            self.result.ignored.append(f"{format_addr(source)}: {reason}")


class NotOurs(ValueError):
    """Raised by an ``accept`` function: a well-formed datagram that answers something else
    (another transaction, another server). Left to the socket's other exchanges."""


class Provisional(ValueError):
    """Raised by an ``accept`` function: a provisional answer (SIP 1xx, RFC 3261 §17.1.1.2):
    counted, and the wait for the final answer goes on."""


# Any other ValueError from ``accept`` means the datagram was malformed (the codec's message
# says how); it is counted and ignored like the two kinds above.


class _IcmpError(Exception):
    pass


class UdpEndpoint(asyncio.DatagramProtocol):
    """An unconnected UDP socket shared by any number of concurrent exchanges."""

    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport | None = None
        self.sock: socket.socket | None = None  # the raw socket, for sendto and the error queue
        self.local: Addr = ("", 0)
        self._waiters: list[_Waiter] = []
        self.unsolicited = 0  # datagrams that arrived while no exchange was waiting
        # A socket that speaks a protocol of its own (a test call's SIP and RTP) takes every
        # datagram no exchange took, with its arrival time, and hears of ICMP errors.
        self.on_datagram: Callable[[bytes, Addr, float], None] | None = None
        self.last_error: str | None = None  # the last ICMP/socket error no exchange took
        # The run's flow log (flexdiag.net.flows), taken from the context that opens the socket.
        self._flows = flows.CURRENT.get()

    @classmethod
    async def open(cls, local_ip: str, local_port: int = 0) -> UdpEndpoint:
        """Bind to ``local_ip:local_port``; raises ``OSError`` when that is impossible."""
        loop = asyncio.get_running_loop()
        family = socket.AF_INET6 if ":" in local_ip else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.setblocking(False)
            if capability.error_queue():
                try:
                    if family == socket.AF_INET6:
                        sock.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVERR, 1)
                    else:
                        sock.setsockopt(socket.IPPROTO_IP, IP_RECVERR, 1)
                except OSError:
                    pass
            else:
                capability.report_port_unreachable(sock)
            sock.bind((local_ip, local_port))
            _, protocol = await loop.create_datagram_endpoint(cls, sock=sock)
        except BaseException:
            sock.close()
            raise
        protocol.sock = sock
        name = sock.getsockname()
        protocol.local = (str(name[0]), int(name[1]))
        return protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        received_at = asyncio.get_running_loop().time()
        source = (str(addr[0]), int(addr[1]))
        if self._flows is not None:
            self._flows.received(self.local, source)
        refusals = []
        for waiter in self._waiters:
            if waiter.future.done():
                continue
            try:
                value = waiter.accept(data, source)
            except ValueError as exc:
                refusals.append((waiter, exc))
                continue
            waiter.future.set_result((value, source, received_at))
            return
        for waiter, reason in refusals:
            waiter.ignore(source, reason)
        if not refusals:
            if self.on_datagram is not None:
                self.on_datagram(data, source, received_at)
            else:
                self.unsolicited += 1

    def error_received(self, exc: Exception) -> None:
        # The error may belong to any destination this socket sent to: the error queue says
        # which (its msg_name is the original destination). Draining it also stops epoll from
        # reporting EPOLLERR again and again.
        failed = self._drain_error_queue()
        if not failed and isinstance(exc, OSError):
            active = [w for w in self._waiters if not w.future.done()]
            if len(active) == 1:  # nobody else it could belong to
                failed = [(active[0].dest, exc.errno or 0)]
            elif not active:
                self.last_error = ERROR_TEXT.get(exc.errno or 0, os_strerror(exc.errno or 0))
        for dest, code in failed:
            text = ERROR_TEXT.get(code, os_strerror(code))
            taken = False
            for waiter in self._waiters:
                if not waiter.future.done() and same_addr(waiter.dest, dest):
                    waiter.future.set_exception(_IcmpError(text))
                    taken = True
            if not taken:
                self.last_error = text

    def _drain_error_queue(self) -> list[tuple[Addr, int]]:
        if self.sock is None or not capability.error_queue():
            return []
        return [(e.dest, e.errno) for e in read_error_queue(self.sock) if e.dest[0]]

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    async def __aenter__(self) -> UdpEndpoint:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def send(self, payload: bytes, dest: Addr) -> None:
        """Send one datagram. A pending ICMP error of an earlier send makes sendto fail
        without sending; that error is handled (and attributed), and the send retried once."""
        assert self.transport is not None and self.sock is not None
        if self._flows is not None:
            self._flows.sent(self.local, dest)
        for _ in range(2):
            try:
                self.sock.sendto(payload, dest)
                return
            except (BlockingIOError, InterruptedError):
                self.transport.sendto(payload, dest)  # let asyncio buffer it
                return
            except OSError as exc:
                self.error_received(exc)

    async def exchange(
        self,
        payload: bytes | Callable[[], bytes] | None,
        dest: Addr,
        accept: Callable[[bytes, Addr], T],
        deadline: float,
        rto_s: float = RTO_S,
        max_sends: int = MAX_SENDS,
        stop: asyncio.Event | None = None,
    ) -> Exchange[T]:
        """Send ``payload`` to ``dest`` and retransmit with a doubling RTO until ``accept``
        returns a value for a datagram, an ICMP error for ``dest`` arrives, or the loop clock
        reaches ``deadline``. ``accept`` raises ``ValueError`` (with the reason) to leave a
        datagram to other exchanges or to ignore it. A callable ``payload`` is called anew for
        every copy sent; with ``None`` nothing is sent and the exchange only listens (for an
        answer another socket asked to be sent here). Setting ``stop`` ends the wait early, as
        if the deadline had come."""
        loop = asyncio.get_running_loop()
        result: Exchange[T] = Exchange(local=self.local)
        waiter = _Waiter(dest, accept, loop.create_future(), result)
        self._waiters.append(waiter)
        timer = Retransmissions(loop.time(), deadline, rto_s, 0 if payload is None else max_sends)
        stopper = asyncio.ensure_future(stop.wait()) if stop is not None else None
        try:
            await self._retransmit(payload, dest, waiter, timer, stop, stopper)
            if waiter.future.done():
                self._settle(result, waiter.future, timer.last_send)
                if result.rtt_s is not None and self._flows is not None:
                    self._flows.measured(dest, result.rtt_s)
            result.waited_s = round(loop.time() - timer.start, 3)
            return result
        finally:
            if stopper is not None:
                stopper.cancel()
            self._waiters.remove(waiter)
            if not waiter.future.done():
                waiter.future.cancel()

    async def _retransmit(self, payload: bytes | Callable[[], bytes] | None, dest: Addr,
                          waiter: _Waiter, timer: Retransmissions, stop: asyncio.Event | None,
                          stopper: asyncio.Future[Any] | None) -> None:
        """Send copies on the timer's schedule (RFC 8489 §6.2.1) until the waiter has its
        datagram, the deadline comes, ``stop`` is set, or the run's evidence says the
        silence is an answer; sleep only until the next thing due."""
        loop = asyncio.get_running_loop()
        wakers: set[asyncio.Future[Any]] = {waiter.future}
        if stopper is not None:
            wakers.add(stopper)
        while not waiter.future.done():
            now = loop.time()
            if timer.expired(now) or (stop is not None and stop.is_set()):
                return
            if self._silence_believed(waiter.result, timer, dest, now):
                return
            if timer.due(now):
                assert payload is not None
                self.send(payload() if callable(payload) else payload, dest)
                timer.record_send(now)
                waiter.result.sent = timer.sent
            wake = timer.wake_at()
            if self._flows is not None and payload is not None:
                wake = min(wake, now + SILENCE_POLL_S)  # new evidence may end it sooner
            await asyncio.wait(wakers, timeout=max(0.0, wake - now),
                               return_when=asyncio.FIRST_COMPLETED)

    def _silence_believed(self, result: Exchange[Any], timer: Retransmissions, dest: Addr,
                          now: float) -> bool:
        """Has this unanswered exchange waited as long as the run's evidence says an answer
        could take (flexdiag.net.flows.FlowLog.silence_wait)? Only for exchanges of a run,
        after a few copies; listen-only waits and the run's deadline are left alone."""
        if self._flows is None or timer.max_sends == 0 or timer.sent < SILENCE_MIN_SENDS:
            return False
        basis = self._flows.silence_wait(dest)
        if basis is None or now - timer.start < max(basis.floor_s, basis.rtts * basis.basis_s):
            return False
        result.gave_up = basis
        return True

    @staticmethod
    def _settle(result: Exchange[Any], future: asyncio.Future[tuple[Any, Addr, float]],
                last_send: float) -> None:
        """Fill in the reply (or the ICMP error) a finished wait got."""
        try:
            value, source, received_at = future.result()
        except _IcmpError as exc:
            result.error = str(exc)
            return
        result.reply, result.reply_from = value, source
        # With retransmissions the reply may answer any copy (Karn): measure from the last.
        result.rtt_s = max(0.0, received_at - last_send)
        result.answered_at = received_at


SO_EE_ORIGIN_ICMP = 2  # linux/errqueue.h


@dataclass(frozen=True)
class QueuedError:
    """One entry of a socket's error queue (ip(7) IP_RECVERR): ``struct sock_extended_err``
    (u32 errno, u8 origin, type, code, pad, u32 info, u32 data), the offender's address that
    follows it (SO_EE_OFFENDER, IPv4 only here), and the destination of the datagram it is
    about (the message's name)."""

    dest: Addr
    errno: int
    origin: int = 0
    icmp_type: int = 0
    icmp_code: int = 0
    offender: str | None = None

    @property
    def icmp(self) -> bool:
        return self.origin == SO_EE_ORIGIN_ICMP


def parse_queued_error(ancdata: list[tuple[int, int, bytes]], addr: Any) -> QueuedError:
    """An error-queue message's control data and name as a :class:`QueuedError`."""
    dest = (str(addr[0]), int(addr[1])) if addr else ("", 0)
    for _level, _type, cdata in ancdata:
        if len(cdata) < 4:
            continue
        code = struct.unpack_from("=I", cdata, 0)[0]
        if len(cdata) < 16:
            return QueuedError(dest, code)
        origin, icmp_type, icmp_code = struct.unpack_from("=BBB", cdata, 4)
        offender = None
        if len(cdata) >= 24 and struct.unpack_from("=H", cdata, 16)[0] == socket.AF_INET:
            offender = socket.inet_ntoa(cdata[20:24])
        return QueuedError(dest, code, origin, icmp_type, icmp_code, offender)
    return QueuedError(dest, 0)


def read_error_queue(sock: socket.socket) -> list[QueuedError]:
    """Everything waiting in ``sock``'s error queue, without blocking."""
    found = []
    for _ in range(64):  # bounded: the queue holds at most a socket buffer's worth
        try:
            _, ancdata, _, addr = sock.recvmsg(1, 512, MSG_ERRQUEUE | socket.MSG_DONTWAIT)
        except OSError:  # empty (BlockingIOError) or gone
            break
        found.append(parse_queued_error(ancdata, addr))
    return found


def os_strerror(code: int) -> str:
    import os

    return os.strerror(code) if code else "socket error"

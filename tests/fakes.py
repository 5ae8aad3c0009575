"""In-process protocol peers on 127.0.0.1 for unit tests: STUN, SIP, NTP and DNS servers whose
behaviour a test chooses (delay, error codes, wrong ports, garbage and spoofed replies, a chosen
clock offset). Real third-party servers are used by the interop tests; these cover behaviours
real servers cannot be made to show."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flexdiag.codec import ntp, sip, stun

Addr = tuple[str, int]


@dataclass
class Reply:
    data: bytes
    from_alt: bool = False  # send from the server's second socket (another port)


Handler = Callable[[bytes, Addr], list[Reply]]


class _Proto(asyncio.DatagramProtocol):
    def __init__(self, server: FakeServer) -> None:
        self.server = server

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.server.received.append((data, (addr[0], addr[1])))
        replies = self.server.handler(data, (addr[0], addr[1]))
        loop = asyncio.get_running_loop()
        for reply in replies:
            transport = self.server.alt_transport if reply.from_alt else self.server.transport
            if self.server.delay_s:
                loop.call_later(self.server.delay_s, transport.sendto, reply.data, addr)
            else:
                transport.sendto(reply.data, addr)


@dataclass
class FakeServer:
    handler: Handler
    delay_s: float = 0.0
    host: str = "127.0.0.1"
    received: list[tuple[bytes, Addr]] = field(default_factory=list)

    async def start(self, port: int = 0) -> FakeServer:
        loop = asyncio.get_running_loop()
        self.transport, _ = await loop.create_datagram_endpoint(
            lambda: _Proto(self), local_addr=(self.host, port))
        self.alt_transport, _ = await loop.create_datagram_endpoint(
            lambda: _Proto(self), local_addr=(self.host, 0))
        return self

    @property
    def port(self) -> int:
        return int(self.transport.get_extra_info("sockname")[1])

    @property
    def addr(self) -> Addr:
        return (self.host, self.port)

    def close(self) -> None:
        self.transport.close()
        self.alt_transport.close()

    async def __aenter__(self) -> FakeServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        self.close()


# --- STUN --------------------------------------------------------------------------------------

def stun_handler(*, port_shift: int = 0, public_ip: str | None = None, error: int | None = None,
                 garbage_first: bool = False, spoof_first: bool = False) -> Handler:
    """Answer Binding requests with the source address (shifted to fake a NAT)."""

    def handle(data: bytes, source: Addr) -> list[Reply]:
        try:
            tid = stun.parse_binding_request(data)
        except ValueError:
            return []
        replies = []
        if garbage_first:
            replies.append(Reply(b"\x01\x01\x00\x04garbage-garbage-garbage"))
        if spoof_first:
            replies.append(Reply(stun.build_binding_response(b"x" * 12, ("203.0.113.66", 1))))
        if error is not None:
            from aioice import stun as aio

            msg = aio.Message(aio.Method.BINDING, aio.Class.ERROR, transaction_id=tid)
            msg.attributes["ERROR-CODE"] = (error, "Bad Request")
            replies.append(Reply(bytes(msg)))
        else:
            mapped = (public_ip or source[0], source[1] + port_shift)
            replies.append(Reply(stun.build_binding_response(tid, mapped)))
        return replies

    return handle


# --- SIP ---------------------------------------------------------------------------------------

def sip_handler(*, code: int = 200, wrong_port: bool = False, silent: bool = False,
                garbage_first: bool = False, spoof_first: bool = False,
                provisional_only: bool = False) -> Handler:
    """A UAS answering OPTIONS with ``code`` as kamailio's sl_send_reply would (rport)."""

    def handle(data: bytes, source: Addr) -> list[Reply]:
        if silent or not data.startswith(b"OPTIONS "):
            return []
        replies = []
        if garbage_first:
            replies.append(Reply(b"SIP/2.0 200\r\nthis is not a header\r\n\r\n"))
        if spoof_first:
            other = data.replace(b"branch=z9hG4bK", b"branch=z9hG4bKspoof")
            replies.append(Reply(sip.build_response(other, 200, source=("203.0.113.9", 1))))
        if provisional_only:
            replies.append(Reply(sip.build_response(data, 100, source=source)))
            return replies
        replies.append(Reply(sip.build_response(data, code, source=source), from_alt=wrong_port))
        return replies

    return handle


# --- NTP ---------------------------------------------------------------------------------------

def ntp_handler(*, offset_s: float = 0.0, stratum: int = 2, leap: int = 0,
                spoof_first: bool = False) -> Handler:
    """An NTP server whose clock is ``offset_s`` ahead of this machine's."""

    def handle(data: bytes, source: Addr) -> list[Reply]:
        try:
            ntp.request_transmit_raw(data)
        except ValueError:
            return []
        now = time.time() + offset_s
        replies = []
        if spoof_first:
            fake = bytearray(data)
            fake[40:48] = b"\x00" * 8
            replies.append(Reply(ntp.build_reply(bytes(fake), receive_s=now + 1000,
                                                 transmit_s=now + 1000)))
        replies.append(Reply(ntp.build_reply(data, receive_s=now, transmit_s=now,
                                             stratum=stratum, leap=leap)))
        return replies

    return handle


# --- DNS ---------------------------------------------------------------------------------------

def dns_handler(records: dict[str, list[str]], *, servfail: bool = False) -> Handler:
    """An authoritative-looking DNS server for ``records`` (name -> addresses); other names
    get NXDOMAIN."""
    import dns.message
    import dns.rcode
    import dns.rdatatype
    import dns.rrset

    def handle(data: bytes, source: Addr) -> list[Reply]:
        try:
            query = dns.message.from_wire(data)
        except Exception:
            return []
        response = dns.message.make_response(query)
        if servfail:
            response.set_rcode(dns.rcode.SERVFAIL)
            return [Reply(response.to_wire())]
        question = query.question[0]
        name = question.name.to_text().rstrip(".").lower()
        if name not in records:
            response.set_rcode(dns.rcode.NXDOMAIN)
            return [Reply(response.to_wire())]
        rdtype = dns.rdatatype.to_text(question.rdtype)
        wanted = [a for a in records[name] if (":" in a) == (rdtype == "AAAA")]
        if wanted and rdtype in ("A", "AAAA"):
            response.answer.append(dns.rrset.from_text(question.name, 60, "IN", rdtype, *wanted))
        return [Reply(response.to_wire())]

    return handle


# --- a whole platform, for runner and CLI tests ------------------------------------------------

@dataclass
class Platform:
    """A fake Flex platform on loopback: STUN, SIP on two ports, NTP and a DNS server."""

    stun: FakeServer
    sip: list[FakeServer]
    ntp: FakeServer
    dns: FakeServer

    def args(self) -> list[str]:
        """Command-line options that point flexdiag at this platform by name."""
        return [
            "--sip-server", "voip.test.invalid",
            "--sip-ports", ",".join(str(s.port) for s in self.sip),
            "--stun-server", f"stun.test.invalid:{self.stun.port}",
            "--ntp-server", f"ntp.test.invalid:{self.ntp.port}",
            "--dns-server", f"127.0.0.1:{self.dns.port}",
            "--platform-ranges", "127.0.0.0/8",
            "--timeout", "3",
        ]

    def settings(self, **overrides: Any) -> Any:
        from flexdiag.settings import load_settings

        argv = self.args()
        cli = dict(zip(argv[::2], argv[1::2], strict=True))
        cli.update({k: str(v) for k, v in overrides.items()})
        return load_settings(cli, {})

    def close(self) -> None:
        for server in (self.stun, *self.sip, self.ntp, self.dns):
            server.close()


NAMES = {name: ["127.0.0.1"] for name in ("voip.test.invalid", "stun.test.invalid",
                                            "ntp.test.invalid")}


async def start_platform(
    *, stun_h: Handler | None = None, sip_h: list[Handler] | None = None,
    ntp_h: Handler | None = None, dns_h: Handler | None = None, delay_s: float = 0.0,
) -> Platform:
    """Start every fake server of the platform (defaults: all healthy)."""
    sip_handlers = sip_h or [sip_handler(), sip_handler()]
    return Platform(
        stun=await FakeServer(stun_h or stun_handler(), delay_s).start(),
        sip=[await FakeServer(h, delay_s).start() for h in sip_handlers],
        ntp=await FakeServer(ntp_h or ntp_handler(), delay_s).start(),
        dns=await FakeServer(dns_h or dns_handler(NAMES), delay_s).start(),
    )


@contextmanager
def platform_in_thread(**kwargs: Any) -> Iterator[Platform]:
    """The fake platform served from a background event loop, for code that runs its own
    loop (the CLI). Stopped and joined on exit."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    platform = asyncio.run_coroutine_threadsafe(start_platform(**kwargs), loop).result(5)
    try:
        yield platform
    finally:
        loop.call_soon_threadsafe(platform.close)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()

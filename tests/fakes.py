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
            tid = stun.parse_binding_request(data).transaction_id
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


class Stun5780:
    """An RFC 5780 STUN server on two loopback addresses and two ports (four sockets), which
    can fake a NAT's mapping and filtering behaviour, or ignore CHANGE-REQUEST."""

    IPS = ("127.0.0.1", "127.0.0.2")

    def __init__(self, *, mapping: str = "eim", filtering: str = "eim",
                 ignore_change: bool = False, public_ip: str | None = None,
                 delay_s: float = 0.0, response_port: bool = True,
                 forget_after_s: float | None = None) -> None:
        self.mapping, self.filtering, self.delay_s = mapping, filtering, delay_s
        self.ignore_change, self.public_ip = ignore_change, public_ip
        # RFC 5780 §7.5 RESPONSE-PORT; ``forget_after_s`` fakes a NAT in front of the client
        # that forgets an idle mapping: an answer to a port not heard from for that long is
        # dropped, as the NAT would drop it.
        self.response_port, self.forget_after_s = response_port, forget_after_s
        self.last_heard: dict[int, float] = {}
        self.transports: dict[tuple[int, int], Any] = {}
        self.ports: list[int] = []

    async def start(self) -> Stun5780:
        loop = asyncio.get_running_loop()

        async def bind(ip_index: int, port_index: int, port: int) -> int:
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _Stun5780Proto(self, ip_index, port_index),
                local_addr=(self.IPS[ip_index], port))
            self.transports[(ip_index, port_index)] = transport
            return int(transport.get_extra_info("sockname")[1])

        for _ in range(20):
            try:
                self.ports = [await bind(0, 0, 0), await bind(0, 1, 0)]
                await bind(1, 0, self.ports[0])
                await bind(1, 1, self.ports[1])
                return self
            except OSError:  # a port is taken on the alternate address: try others
                self.close()
        raise RuntimeError("no free port pair for the RFC 5780 fake")

    @property
    def port(self) -> int:
        return self.ports[0]

    @property
    def addr(self) -> Addr:
        return (self.IPS[0], self.ports[0])

    def close(self) -> None:
        for transport in self.transports.values():
            transport.close()
        self.transports = {}

    def mapped_for(self, source: Addr, ip_index: int, port_index: int) -> Addr:
        shift = {"eim": 0, "ad": ip_index, "apd": ip_index * 2 + port_index}[self.mapping]
        return (self.public_ip or source[0], source[1] + 1000 + shift if self.public_ip
                else source[1] + shift)


class _Stun5780Proto(asyncio.DatagramProtocol):
    def __init__(self, server: Stun5780, ip_index: int, port_index: int) -> None:
        self.server, self.ip_index, self.port_index = server, ip_index, port_index

    def datagram_received(self, data: bytes, addr: Any) -> None:
        server = self.server
        try:
            request = stun.parse_binding_request(data)
        except ValueError:
            return
        tid, flags = request.transaction_id, request.change
        source = (addr[0], addr[1])
        now = asyncio.get_running_loop().time()
        server.last_heard[source[1]] = now
        if request.response_port is not None and server.response_port:
            target = request.response_port
            heard = server.last_heard.get(target)
            if server.forget_after_s is not None and (
                    heard is None or now - heard > server.forget_after_s):
                return  # the faked NAT forgot that mapping: the answer is dropped
            addr = (addr[0], target)
        ip_i = self.ip_index ^ (1 if flags & stun.CHANGE_IP else 0)
        port_i = self.port_index ^ (1 if flags & stun.CHANGE_PORT else 0)
        if server.ignore_change:
            ip_i, port_i = self.ip_index, self.port_index
        changed = (ip_i, port_i) != (self.ip_index, self.port_index)
        # Fake filtering: a NAT would drop what came from an address or port not yet contacted.
        if changed and server.filtering == "apd":
            return
        if changed and server.filtering == "ad" and ip_i != self.ip_index:
            return
        other = (Stun5780.IPS[1 - self.ip_index], server.ports[1 - self.port_index])
        origin = (Stun5780.IPS[ip_i], server.ports[port_i])
        reply = stun.build_binding_response(
            tid, server.mapped_for(source, self.ip_index, self.port_index),
            other_address=other, response_origin=origin)
        transport = server.transports[(ip_i, port_i)]
        if server.delay_s:
            asyncio.get_running_loop().call_later(server.delay_s, transport.sendto, reply, addr)
        else:
            transport.sendto(reply, addr)


# --- SIP ---------------------------------------------------------------------------------------

def sip_handler(*, code: int = 200, wrong_port: bool = False, silent: bool = False,
                garbage_first: bool = False, spoof_first: bool = False,
                provisional_only: bool = False, seen_ip: str | None = None,
                seen_port_shift: int = 0, max_size: int | None = None,
                rewrite_from: bool = False) -> Handler:
    """A UAS answering OPTIONS with ``code`` as kamailio's sl_send_reply would (rport).

    ``seen_ip``/``seen_port_shift`` fake the address a NAT would have shown the server;
    ``max_size`` drops larger requests (lost fragments); ``rewrite_from`` echoes a From that
    differs from the request's (an ALG that does not map it back)."""

    def handle(data: bytes, source: Addr) -> list[Reply]:
        if silent or not data.startswith(b"OPTIONS "):
            return []
        if max_size is not None and len(data) > max_size:
            return []
        seen = (seen_ip or source[0], source[1] + seen_port_shift)
        if rewrite_from:
            data = data.replace(b"From: <sip:flexdiag@", b"From: <sip:flexdiag@x", 1)
        replies = []
        if garbage_first:
            replies.append(Reply(b"SIP/2.0 200\r\nthis is not a header\r\n\r\n"))
        if spoof_first:
            other = data.replace(b"branch=z9hG4bK", b"branch=z9hG4bKspoof")
            replies.append(Reply(sip.build_response(other, 200, source=("203.0.113.9", 1))))
        if provisional_only:
            replies.append(Reply(sip.build_response(data, 100, source=seen)))
            return replies
        replies.append(Reply(sip.build_response(data, code, source=seen), from_alt=wrong_port))
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

    stun: FakeServer | Stun5780
    sip: list[FakeServer]
    ntp: FakeServer
    dns: FakeServer
    local_sip_port: int = field(default_factory=lambda: free_port_pair())

    def args(self) -> list[str]:
        """Command-line options that point flexdiag at this platform by name."""
        return [
            "--sip-server", "voip.test.invalid",
            "--sip-ports", ",".join(str(s.port) for s in self.sip),
            "--stun-server", f"stun.test.invalid:{self.stun.port}",
            "--ntp-server", f"ntp.test.invalid:{self.ntp.port}",
            "--dns-server", f"127.0.0.1:{self.dns.port}",
            "--platform-ranges", "127.0.0.0/8",
            "--timeout", "0.5",  # loopback answers in ms; silence tests wait this long
            # Tests run in parallel: the phones' port (and the alternative, two up) must be
            # free here, not the real 5060 that another test may hold at the same time.
            "--local-sip-port", str(self.local_sip_port),
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


def free_port_pair(host: str = "127.0.0.1") -> int:
    """A UDP port ``p`` with ``p + 2`` free too (the phones' port and its alternative)."""
    import socket

    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as first:
            first.bind((host, 0))
            port = int(first.getsockname()[1])
            if port > 65533:
                continue
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as second:
                try:
                    second.bind((host, port + 2))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free UDP port pair")


SIP_HOST = "127.0.0.3"  # another address than STUN's, as on the platform
NAMES = {"voip.test.invalid": [SIP_HOST], "stun.test.invalid": ["127.0.0.1"],
         "ntp.test.invalid": ["127.0.0.1"]}


async def start_platform(
    *, stun_h: Handler | None = None, sip_h: list[Handler] | None = None,
    ntp_h: Handler | None = None, dns_h: Handler | None = None, delay_s: float = 0.0,
    stun5780: Stun5780 | None = None, sip_ports: list[int] | None = None,
) -> Platform:
    """Start every fake server of the platform (defaults: all healthy; SIP on ``sip_ports``
    when given, else on free ports)."""
    sip_handlers = sip_h or [sip_handler(), sip_handler()]
    ports = sip_ports or [0] * len(sip_handlers)
    stun_server = (await stun5780.start() if stun5780 is not None
                   else await FakeServer(stun_h or stun_handler(), delay_s).start())
    return Platform(
        stun=stun_server,
        sip=[await FakeServer(h, delay_s, host=SIP_HOST).start(port)
             for h, port in zip(sip_handlers, ports, strict=True)],
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
    async def close() -> None:
        platform.close()
        # Transports close their sockets on the next loop iterations: let them, so that the
        # ports are free when this returns.
        for _ in range(3):
            await asyncio.sleep(0)

    try:
        yield platform
    finally:
        asyncio.run_coroutine_threadsafe(close(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()

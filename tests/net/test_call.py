"""The test call's SIP side against an in-process registrar and proxy on loopback, for what a
real kamailio does not do on demand: a 423 with Min-Expires, a stale nonce, a proxy that never
answers an INVITE (so the caller must CANCEL), garbage on the phone's socket. The whole call
through real servers is in tests/interop/place_call.py and tests/lab/place_call.py."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from flexdiag.codec import sipcall
from flexdiag.codec.sip import SipRequest, parse_request
from flexdiag.net.call import Account, CallPlan, Party, Timeline, place_call
from flexdiag.net.udp import UdpEndpoint
from flexdiag.records import Registration

REALM = "voip.test.invalid"
PASSWORDS = {"alice": "pw-a", "bob": "pw-b"}


def _ha(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


@dataclass
class FakeRegistrar(asyncio.DatagramProtocol):
    """Digest-checking registrar and a proxy that answers INVITE with 100 Trying only."""

    min_expires: int = 0
    stale_first: bool = False
    seen: list[SipRequest] = field(default_factory=list)
    transport: asyncio.DatagramTransport | None = None
    nonces: int = 0
    bound: dict[str, int] = field(default_factory=dict)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        req = parse_request(data)
        self.seen.append(req)
        assert self.transport is not None
        send = self.transport.sendto
        if req.method == "REGISTER":
            send(self._register(req), addr)
        elif req.method == "INVITE":
            send(sipcall.reply(req, 100), addr)  # ... and never a final answer
        elif req.method == "CANCEL":
            send(sipcall.reply(req, 200, to_tag="p"), addr)
            invite = next(r for r in self.seen if r.method == "INVITE")
            send(sipcall.reply(invite, 487, to_tag="p"), addr)

    def _challenge(self, req: SipRequest, stale: bool = False) -> bytes:
        self.nonces += 1
        data = sipcall.reply(req, 401, to_tag="r")
        header = (f'WWW-Authenticate: Digest realm="{REALM}", nonce="n{self.nonces}", '
                  f'qop="auth", algorithm=MD5' + (", stale=true" if stale else "") + "\r\n")
        return data.replace(b"Content-Length", header.encode() + b"Content-Length", 1)

    def _register(self, req: SipRequest) -> bytes:
        auth = req.header("authorization")
        user = sipcall.uri_of(req.header("to") or "").split(":")[1].split("@")[0]
        if auth is None:
            return self._challenge(req)
        fields = dict(part.strip().split("=", 1) for part in auth[7:].split(", "))
        fields = {k: v.strip('"') for k, v in fields.items()}
        if self.stale_first and fields["nonce"] == "n1":
            return self._challenge(req, stale=True)
        ha1 = _ha(f"{user}:{REALM}:{PASSWORDS.get(user, '')}")
        ha2 = _ha(f"REGISTER:{fields['uri']}")
        expected = _ha(f"{ha1}:{fields['nonce']}:{fields['nc']}:{fields['cnonce']}:auth:{ha2}")
        if fields["response"] != expected:
            return self._challenge(req)
        expires = int(req.header("expires") or "0")
        if 0 < expires < self.min_expires:
            data = sipcall.reply(req, 423, to_tag="r")
            return data.replace(b"Content-Length",
                                f"Min-Expires: {self.min_expires}\r\nContent-Length".encode())
        self.bound[user] = expires
        return sipcall.reply(req, 200, to_tag="r",
                             contact=f"{req.header('contact')}".split(";expires")[0]
                             + f";expires={expires}")


@pytest.fixture
async def registrar() -> AsyncIterator[tuple[FakeRegistrar, tuple[str, int]]]:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(
        FakeRegistrar, local_addr=("127.0.0.1", 0))
    try:
        yield protocol, transport.get_extra_info("sockname")
    finally:
        transport.close()


async def party(server: tuple[str, int], user: str, password: str) -> Party:
    endpoint = await UdpEndpoint.open("127.0.0.1")
    return Party("A", endpoint, Account(user, password), REALM, server,
                 Timeline(asyncio.get_running_loop().time()))


async def test_register_answers_the_challenge_and_honours_min_expires(
        registrar: tuple[FakeRegistrar, tuple[str, int]]) -> None:
    fake, addr = registrar
    fake.min_expires = 600
    a = await party(addr, "alice", "pw-a")
    record = Registration("alice", a.endpoint.local)
    try:
        await a.register(60, record, asyncio.get_running_loop().time() + 5)
    finally:
        a.endpoint.close()
    assert record.ok and record.granted_s == 600 and record.requested_s == 600
    assert record.algorithm == "MD5" and fake.bound == {"alice": 600}
    assert all("pw-a" not in (r.header("authorization") or "") for r in fake.seen)


async def test_a_wrong_password_is_not_retried_for_ever(
        registrar: tuple[FakeRegistrar, tuple[str, int]]) -> None:
    fake, addr = registrar
    a = await party(addr, "alice", "wrong")
    record = Registration("alice", a.endpoint.local)
    try:
        await a.register(3600, record, asyncio.get_running_loop().time() + 5)
    finally:
        a.endpoint.close()
    assert record.status == 401 and not record.ok and record.error is None
    assert len([r for r in fake.seen if r.method == "REGISTER"]) == 2  # asked, answered once


async def test_a_stale_nonce_is_answered_again(
        registrar: tuple[FakeRegistrar, tuple[str, int]]) -> None:
    fake, addr = registrar
    fake.stale_first = True
    a = await party(addr, "alice", "pw-a")
    record = Registration("alice", a.endpoint.local)
    try:
        await a.register(3600, record, asyncio.get_running_loop().time() + 5)
    finally:
        a.endpoint.close()
    assert record.ok and len([r for r in fake.seen if r.method == "REGISTER"]) == 3


async def test_an_unanswered_invite_is_cancelled_and_the_487_acked(
        registrar: tuple[FakeRegistrar, tuple[str, int]]) -> None:
    fake, addr = registrar
    b = await party(addr, "bob", "pw-b")
    try:
        answer = await b.call("alice", b"v=0\r\n", asyncio.get_running_loop().time() + 1.5)
        assert answer.final is None and answer.provisional[:1] == [100]
        # Timer A stops at the first provisional answer (RFC 3261 §17.1.1.2).
        assert len([r for r in fake.seen if r.method == "INVITE"]) == 1
        await b.cancel()
        await asyncio.sleep(0.2)
    finally:
        b.endpoint.close()
    methods = [r.method for r in fake.seen]
    assert methods == ["INVITE", "CANCEL", "ACK"]
    ack = fake.seen[-1]
    assert ack.vias[0].branch == fake.seen[0].vias[0].branch


async def test_a_call_whose_accounts_are_refused_still_ends_cleanly(
        registrar: tuple[FakeRegistrar, tuple[str, int]]) -> None:
    fake, addr = registrar

    async def sleep(seconds: float) -> bool:
        await asyncio.sleep(min(seconds, 0.01))
        return True

    plan = CallPlan(addr, REALM, Account("alice", "pw-a"), Account("mallory", "x"), 0, 1.0,
                    "given")
    observation = await place_call(plan, sleep=sleep)
    assert observation.a.ok and not observation.b.ok and not observation.invite_sent
    assert observation.a.unregistered is True and fake.bound == {"alice": 0}
    assert observation.b.unregistered is None


async def test_garbage_on_the_phones_socket_is_counted_and_ignored(
        registrar: tuple[FakeRegistrar, tuple[str, int]]) -> None:
    _, addr = registrar
    a = await party(addr, "alice", "pw-a")
    try:
        for junk in (b"\x00\xff", b"SIP/2.0 20 OK\r\n\r\n", b"HELLO\r\n\r\n", b"\r\n\r\n",
                     b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP x;branch=z9hG4bKnone\r\n\r\n"):
            a._datagram(junk, addr, 0.0)
        assert a.ignored == 4  # the CRLF keep-alive is no junk (RFC 5626 §4.4.1)
    finally:
        a.endpoint.close()


async def test_the_phone_answers_keepalives_and_one_call_at_a_time() -> None:
    sender = await UdpEndpoint.open("127.0.0.1")
    got: list[bytes] = []
    sender.on_datagram = lambda data, source, at: got.append(data)
    a = await party(sender.local, "alice", "pw-a")
    a.answer_sdp = b"v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 12000 RTP/AVP 8\r\n"
    offer = b"v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 13000 RTP/AVP 8\r\n"
    try:
        options = (f"OPTIONS sip:a@{a.endpoint.local[0]} SIP/2.0\r\nVia: SIP/2.0/UDP "
                   f"127.0.0.1:{sender.local[1]};branch=z9hG4bKo\r\nFrom: <sip:p@x>;tag=1\r\n"
                   "To: <sip:a@x>\r\nCall-ID: k\r\nCSeq: 1 OPTIONS\r\n\r\n").encode()
        invite = options.replace(b"OPTIONS sip", b"INVITE sip", 1).replace(
            b"1 OPTIONS", b"1 INVITE").replace(b"z9hG4bKo", b"z9hG4bKi").replace(
            b"\r\n\r\n", f"\r\nContent-Length: {len(offer)}\r\n\r\n".encode()) + offer
        sender.send(options, a.endpoint.local)
        sender.send(invite, a.endpoint.local)
        sender.send(invite, a.endpoint.local)  # a retransmission: the same answer again
        sender.send(invite.replace(b"z9hG4bKi", b"z9hG4bKj").replace(b"Call-ID: k",
                                                                     b"Call-ID: other"),
                    a.endpoint.local)
        await asyncio.sleep(0.2)
    finally:
        a.endpoint.close()
        sender.close()
    codes = [g.split(b" ")[1] for g in got]
    assert codes[:4] == [b"200", b"180", b"200", b"200"] and b"486" in codes
    assert a.requests_seen == ["OPTIONS"] and a.offer is not None and a.offer.port == 13000

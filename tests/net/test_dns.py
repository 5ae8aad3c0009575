"""Name resolution over flexdiag's own socket, and the quick run's stable local ports: every
query of a run rides one flow from a random port of its own, a second run sends from exactly
the ports of the first for everything but DNS (so a nearly full NAT table admits it on the
entries the first made), a port in use falls back to an ephemeral one, and the resolver's
answers (CNAME chains, NXDOMAIN, SERVFAIL, silence, several resolvers) are read as before.
Hostile resolvers (issue #21): chains that never end or loop, forged answers with the wrong
letter case, truncated answers (TCP), resolvers that reject EDNS."""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from flexdiag import runner
from flexdiag.addr import Addr
from flexdiag.net import ports
from flexdiag.net.dns import Resolver
from flexdiag.net.ports import Role, stable_port
from flexdiag.records import Resolution
from flexdiag.settings import HostPort
from tests.fakes import FakeServer, Reply, dns_handler, start_platform

NAMES = {"voip.test.invalid": ["127.0.0.3"], "stun.test.invalid": ["127.0.0.1"],
         "ntp.test.invalid": ["127.0.0.1", "::1"]}


@pytest.fixture(autouse=True)
def ports_of_this_test(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """A block of stable ports no other test of a parallel run uses at the same time."""
    for _ in range(100):
        base = random.randrange(20_000, 30_000)
        held = []
        try:
            for offset in range(8):
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                held.append(sock)
                sock.bind(("127.0.0.1", base + offset))
        except OSError:
            continue
        finally:
            for sock in held:
                sock.close()
        monkeypatch.setattr(ports, "BASE", base)
        yield base
        return
    pytest.fail("no free block of ports")


async def test_every_query_of_a_run_rides_one_flow_from_a_random_port() -> None:
    fake = await start_platform(dns_h=dns_handler(NAMES))
    try:
        report = await runner.run(fake.settings())
        first = {source for _, source in fake.dns.received}
        fake.dns.received.clear()
        await runner.run(fake.settings())
        second = {source for _, source in fake.dns.received}
    finally:
        fake.close()
    assert all(report.get(i).status.value == "pass"  # type: ignore[union-attr]
               for i in ("dns.voip", "dns.stun", "dns.ntp"))
    assert len(first) == 1 and len(second) == 1  # one flow per run, none lost
    # RFC 5452 §9.2: the port changes run by run (the kernel's ephemeral choice).
    assert first != second
    assert all(port not in range(ports.BASE, ports.BASE + 8) for _, port in first | second)


def _sources(server: FakeServer) -> set[Addr]:
    return {source for _, source in server.received}


async def ask(server: FakeServer, name: str = "voip.test.invalid",
              timeout_s: float = 0.6) -> Resolution:
    """``name`` resolved through ``server`` alone, by a resolver of its own."""
    resolver = Resolver(HostPort("127.0.0.1", server.port))
    try:
        return await resolver.resolve(name, timeout_s)
    finally:
        resolver.close()


async def test_a_second_run_sends_from_exactly_the_ports_of_the_first() -> None:
    fake = await start_platform(dns_h=dns_handler(NAMES))
    assert isinstance(fake.stun, FakeServer)
    servers = [fake.stun, fake.ntp, *fake.sip]
    try:
        first = await runner.run(fake.settings())
        seen = [_sources(s) for s in servers]
        for server in servers:
            server.received.clear()
        second = await runner.run(fake.settings())
    finally:
        fake.close()
    assert first.status is second.status
    assert [_sources(s) for s in servers] == seen
    # One socket each: the primary (STUN test I and SIP), the port-preservation ones, NTP.
    stun_ports = {port for _, port in seen[0]}
    assert stable_port(Role.PRIMARY) in stun_ports
    assert {stable_port(Role.PRESERVATION, i) for i in range(ports.PRESERVATION_SOCKETS)} \
        <= stun_ports
    assert seen[1] == {("127.0.0.1", stable_port(Role.NTP))}


async def test_a_stable_port_in_use_falls_back_to_an_ephemeral_one() -> None:
    from flexdiag.net.probes import ntp_query

    async with FakeServer(lambda data, source: []) as server:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
            taken.bind(("127.0.0.1", stable_port(Role.NTP)))
            loop = asyncio.get_running_loop()
            exchange = await ntp_query(server.addr, loop.time() + 0.2,
                                       port=stable_port(Role.NTP))
    assert exchange.local[1] not in (0, stable_port(Role.NTP)) and exchange.sent >= 1


def _cname_handler(data: bytes, source: Addr) -> list[Reply]:
    import dns.message
    import dns.rrset

    query = dns.message.from_wire(data)
    response = dns.message.make_response(query)
    qname = query.question[0].name
    response.answer.append(dns.rrset.from_text(qname, 60, "IN", "CNAME", "edge.test.invalid."))
    if query.question[0].rdtype == 1:  # A
        response.answer.append(dns.rrset.from_text("edge.test.invalid.", 60, "IN", "A",
                                                   "127.0.0.9"))
    return [Reply(response.to_wire())]


@pytest.mark.parametrize(("handler", "addresses", "kind", "text"), [
    (_cname_handler, ("127.0.0.9",), None, None),
    (dns_handler({}), (), "nxdomain", "the name does not exist (NXDOMAIN)"),
    (dns_handler({"voip.test.invalid": []}), (), "no-answer",
     "the name exists but has no address records"),
    (dns_handler(NAMES, servfail=True), (), "no-nameservers",
     "every DNS server failed to answer: 127.0.0.1:{port}: answered SERVFAIL"),
    (lambda data, source: [], (), "timeout", "no answer from the DNS server in time"),
])
async def test_what_the_resolver_said(handler: object, addresses: tuple[str, ...],
                                      kind: str | None, text: str | None) -> None:
    async with FakeServer(handler) as server:  # type: ignore[arg-type]
        resolution = await ask(server, "voip.test.invalid", 0.6)
    assert resolution.addresses == addresses
    assert resolution.error_kind == kind
    assert resolution.error == (text.format(port=server.port) if text else None)


async def test_a_silent_resolver_hands_over_to_the_next(monkeypatch: pytest.MonkeyPatch) -> None:
    async with FakeServer(lambda data, source: []) as silent, \
            FakeServer(dns_handler(NAMES)) as answering:
        servers = [silent.addr, answering.addr]
        monkeypatch.setattr(Resolver, "nameservers",
                            lambda self: (servers, "system (two servers)"))
        resolver = Resolver(None)
        try:
            resolution = await resolver.resolve("voip.test.invalid", 2.0)
        finally:
            resolver.close()
    assert resolution.addresses == ("127.0.0.3",) and resolution.error is None
    assert silent.received and answering.received  # asked in turn, within the budget
    assert resolution.rtt_ms is not None and resolution.rtt_ms < 2000


async def test_malformed_and_foreign_answers_are_ignored() -> None:
    import dns.message

    def hostile(data: bytes, source: Addr) -> list[Reply]:
        query = dns.message.from_wire(data)
        other = dns.message.make_response(query)
        other.id = (query.id + 1) % 65536  # a reply to another query
        good = dns_handler(NAMES)(data, source)
        return [Reply(b"\x00\x01garbage"), Reply(other.to_wire()), *good]

    async with FakeServer(hostile) as server:
        resolution = await ask(server, "ntp.test.invalid", 1.0)
    assert set(resolution.addresses) == {"127.0.0.1", "::1"}


# --- hostile resolvers (issue #21) ------------------------------------------------------------

def _chain_handler(links: int, loop_to: int | None = None) -> Any:
    """Answers with a CNAME chain of ``links`` links (the last pointing at an address), or,
    with ``loop_to``, a chain whose last link points back at link ``loop_to``."""
    import dns.message
    import dns.rrset

    def handle(data: bytes, source: Addr) -> list[Reply]:
        query = dns.message.from_wire(data)
        response = dns.message.make_response(query)
        qname = query.question[0].name
        names = [qname] + [f"c{i}.test.invalid." for i in range(1, links + 1)]
        for i in range(links):
            target = names[i + 1] if i + 1 < links or loop_to is None else names[loop_to]
            response.answer.append(dns.rrset.from_text(names[i], 60, "IN", "CNAME",
                                                       str(target)))
        if loop_to is None and query.question[0].rdtype == 1:
            response.answer.append(dns.rrset.from_text(names[-1], 60, "IN", "A", "127.0.0.9"))
        return [Reply(response.to_wire())]

    return handle


@pytest.mark.parametrize(("handler", "addresses", "kind", "text"), [
    (_chain_handler(16), ("127.0.0.9",), None, None),
    (_chain_handler(17), (), "chain-long",
     "the answer's CNAME chain is longer than 16 links"),
    (_chain_handler(40), (), "chain-long",
     "the answer's CNAME chain is longer than 16 links"),
    (_chain_handler(3, loop_to=1), (), "chain-loop", "the answer's CNAME chain loops"),
    (_chain_handler(1, loop_to=0), (), "chain-loop", "the answer's CNAME chain loops"),
], ids=["16-links", "17-links", "40-links", "loop", "self"])
async def test_a_chain_that_never_ends_or_loops_is_the_answer(
        handler: Any, addresses: tuple[str, ...], kind: str | None, text: str | None) -> None:
    async with FakeServer(handler) as server:
        resolution = await ask(server, "voip.test.invalid", 0.6)
    assert resolution.addresses == addresses
    assert resolution.error_kind == kind
    assert resolution.error == text


@pytest.mark.parametrize("kind", ["chain-long", "chain-loop"])
def test_a_chain_is_a_clean_dns_fail_and_the_run_goes_on(kind: str, capsys: Any) -> None:
    """Before: dnspython's ChainTooLong escaped, every check was 'error', exit 3 and
    'Future exception was never retrieved'. Now: dns.* fail with the reason, exit 2."""
    import json

    from tests.commands import in_process
    from tests.fakes import platform_in_thread

    handler = _chain_handler(20) if kind == "chain-long" else _chain_handler(2, loop_to=0)
    with platform_in_thread(dns_h=handler) as fake:
        code, out, err = in_process(["run", "--quick", "--json", *fake.args()], capsys)
    report = json.loads(out)
    assert code == 2, err
    assert "Traceback" not in err and "never retrieved" not in err
    statuses = {c["id"]: c["status"] for c in report["checks"]}
    assert statuses["dns.voip"] == "fail" and "error" not in statuses.values()
    voip = next(c for c in report["checks"] if c["id"] == "dns.voip")
    assert voip["data"]["error"] == kind and "CNAME chain" in voip["summary"]


async def test_a_forged_answer_with_the_wrong_letter_case_is_ignored_and_counted() -> None:
    """0x20: an off-path forger that got port and ID right still writes the name as it
    guesses it (here: lower case); the real answer, echoing our case, is taken."""
    import dns.message
    import dns.name

    sent_names: list[str] = []

    def forger_then_resolver(data: bytes, source: Addr) -> list[Reply]:
        query = dns.message.from_wire(data)
        sent_names.append(query.question[0].name.to_text())
        forged = dns.message.make_query(query.question[0].name.to_text().lower(),
                                        query.question[0].rdtype)
        forged_reply = dns.message.make_response(forged)
        forged_reply.id = query.id
        forged_reply.answer.append(dns.rrset.from_text(forged.question[0].name, 60, "IN",
                                                       "A", "127.0.0.66"))
        return [Reply(forged_reply.to_wire()), *dns_handler(NAMES)(data, source)]

    import dns.rrset

    async with FakeServer(forger_then_resolver) as server:
        resolution = await ask(server, "voip.test.invalid", 1.0)
    # The name went out in mixed case (two 17-letter names all in lower case: 1 in 2^34).
    assert any(n != n.lower() for n in sent_names)
    assert resolution.addresses == ("127.0.0.3",)
    assert "127.0.0.66" not in resolution.addresses
    if any(n != n.lower() for n in sent_names[:1]):
        assert resolution.ignored_count >= 1
        assert any("letter case" in i for i in resolution.ignored)


async def test_ignored_replies_are_counted_in_a_timeout() -> None:
    import dns.message

    def garbage(data: bytes, source: Addr) -> list[Reply]:
        query = dns.message.from_wire(data)
        other = dns.message.make_response(query)
        other.id = (query.id + 1) % 65536
        return [Reply(b"\x00\x01garbage"), Reply(other.to_wire())]

    async with FakeServer(garbage) as server:
        resolution = await ask(server, "voip.test.invalid", 0.6)
    assert resolution.error_kind == "timeout"
    assert resolution.ignored_count >= 4  # two per query, A and AAAA
    assert any("malformed DNS message" in i for i in resolution.ignored)
    assert any("another query" in i for i in resolution.ignored)


async def test_queries_carry_edns_with_a_1232_byte_buffer() -> None:
    import dns.message

    async with FakeServer(dns_handler(NAMES)) as server:
        resolver = Resolver(HostPort("127.0.0.1", server.port))
        try:
            await resolver.resolve("voip.test.invalid", 0.6)
        finally:
            resolver.close()
    queries = [dns.message.from_wire(data) for data, _ in server.received]
    assert queries and all(q.edns == 0 and q.payload == 1232 for q in queries)


async def test_a_resolver_that_rejects_edns_is_asked_without_it() -> None:
    import dns.message
    import dns.rcode

    def old(data: bytes, source: Addr) -> list[Reply]:
        query = dns.message.from_wire(data)
        if query.edns >= 0:
            response = dns.message.make_response(query)
            response.use_edns(False)
            response.set_rcode(dns.rcode.FORMERR)
            return [Reply(response.to_wire())]
        return dns_handler(NAMES)(data, source)

    async with FakeServer(old) as server:
        resolution = await ask(server, "voip.test.invalid", 1.0)
    assert resolution.addresses == ("127.0.0.3",)


async def test_a_truncated_answer_is_asked_again_over_tcp() -> None:
    """RFC 7766 §5: TC=1 over UDP; the whole answer over TCP from the same address and port.
    Before: read as 'the name exists but has no address records'."""
    import struct

    import dns.flags
    import dns.message

    def truncated(data: bytes, source: Addr) -> list[Reply]:
        query = dns.message.from_wire(data)
        response = dns.message.make_response(query)
        response.flags |= dns.flags.TC
        return [Reply(response.to_wire())]

    async def tcp(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        (length,) = struct.unpack("!H", await reader.readexactly(2))
        wire = await reader.readexactly(length)
        (reply,) = dns_handler(NAMES)(wire, ("127.0.0.1", 0))
        writer.write(struct.pack("!H", len(reply.data)) + reply.data)
        await writer.drain()
        writer.close()

    tcp_server = await asyncio.start_server(tcp, "127.0.0.1", 0)
    port = tcp_server.sockets[0].getsockname()[1]
    try:
        server = await FakeServer(truncated).start(port)
        resolver = Resolver(HostPort("127.0.0.1", port))
        try:
            resolution = await resolver.resolve("ntp.test.invalid", 2.0)
        finally:
            resolver.close()
            server.close()
    finally:
        tcp_server.close()
    assert set(resolution.addresses) == {"127.0.0.1", "::1"}


async def test_a_truncated_answer_without_tcp_says_so() -> None:
    import dns.flags
    import dns.message

    def truncated(data: bytes, source: Addr) -> list[Reply]:
        response = dns.message.make_response(dns.message.from_wire(data))
        response.flags |= dns.flags.TC
        return [Reply(response.to_wire())]

    async with FakeServer(truncated) as server:  # nothing listens on TCP there
        resolution = await ask(server, "voip.test.invalid", 0.6)
    assert resolution.addresses == ()
    assert resolution.error is not None and "truncated answer over UDP, and TCP failed" in \
        resolution.error

"""Name resolution over flexdiag's own socket, and the quick run's stable local ports: every
query of a run rides one flow, a second run sends from exactly the ports of the first (so a
nearly full NAT table admits it on the entries the first made), a port in use falls back to an
ephemeral one, and the resolver's answers (CNAME chains, NXDOMAIN, SERVFAIL, silence, several
resolvers) are read as before."""

from __future__ import annotations

import random
import socket
from collections.abc import Iterator

import pytest

from flexdiag import runner
from flexdiag.addr import Addr
from flexdiag.net import ports
from flexdiag.net.dns import Resolver
from flexdiag.net.ports import Role, stable_port
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


async def test_every_query_of_a_run_rides_one_flow_from_the_stable_port() -> None:
    fake = await start_platform(dns_h=dns_handler(NAMES))
    try:
        report = await runner.run(fake.settings())
    finally:
        fake.close()
    assert all(report.get(i).status.value == "pass"  # type: ignore[union-attr]
               for i in ("dns.voip", "dns.stun", "dns.ntp"))
    sources = {source for _, source in fake.dns.received}
    assert len(fake.dns.received) == 6  # three names, A and AAAA each, none lost
    assert sources == {("127.0.0.1", stable_port(Role.DNS))}


def _sources(server: FakeServer) -> set[Addr]:
    return {source for _, source in server.received}


async def test_a_second_run_sends_from_exactly_the_ports_of_the_first() -> None:
    fake = await start_platform(dns_h=dns_handler(NAMES))
    assert isinstance(fake.stun, FakeServer)
    servers = [fake.dns, fake.stun, fake.ntp, *fake.sip]
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
    stun_ports = {port for _, port in seen[1]}
    assert stable_port(Role.PRIMARY) in stun_ports
    assert {stable_port(Role.PRESERVATION, i) for i in range(ports.PRESERVATION_SOCKETS)} \
        <= stun_ports
    assert seen[2] == {("127.0.0.1", stable_port(Role.NTP))}


async def test_a_stable_port_in_use_falls_back_to_an_ephemeral_one() -> None:
    async with FakeServer(dns_handler(NAMES)) as server:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
            taken.bind(("127.0.0.1", stable_port(Role.DNS)))
            resolver = Resolver(HostPort("127.0.0.1", server.port))
            try:
                resolution = await resolver.resolve("voip.test.invalid", 1.0)
            finally:
                resolver.close()
    assert resolution.addresses == ("127.0.0.3",)
    (source,) = _sources(server)
    assert source[1] != stable_port(Role.DNS)


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
        resolver = Resolver(HostPort("127.0.0.1", server.port))
        try:
            resolution = await resolver.resolve("voip.test.invalid", 0.6)
        finally:
            resolver.close()
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
        resolver = Resolver(HostPort("127.0.0.1", server.port))
        try:
            resolution = await resolver.resolve("ntp.test.invalid", 1.0)
        finally:
            resolver.close()
    assert set(resolution.addresses) == {"127.0.0.1", "::1"}

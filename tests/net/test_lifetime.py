"""nat.lifetime's measurement: the scheduler on a fake clock (hours of idle time in
milliseconds, judged by the pure verdict), and the real prober against an in-process server."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from flexdiag.analysis import lifetime as lt
from flexdiag.analysis.lifetime import ESTABLISH_GAP_S
from flexdiag.checks.lifetime import evaluate
from flexdiag.model import Status
from flexdiag.net.lifetime import measure
from flexdiag.records import Measurement
from flexdiag.vocab import FlowKind, Method


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0
        self.interrupt_at: float | None = None

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> bool:
        if self.interrupt_at is not None and self.t + seconds >= self.interrupt_at:
            self.t = max(self.t, self.interrupt_at)
            return False
        self.t += seconds
        return True


@dataclass
class FakeMapping:
    flow: FlowKind
    last_rx: float
    closed: bool = False


class FakeRouter:
    """A prober against a router that forgets established mappings after ``established_s``
    and fresh ones after ``fresh_s``; with ``rebind`` it can only ever see expiry."""

    def __init__(self, clock: FakeClock, established_s: float, fresh_s: float,
                 rebind: bool = False, rtt_s: float = 0.01) -> None:
        self.clock, self.rtt_s = clock, rtt_s
        self.lifetimes = {lt.ESTABLISHED: established_s, lt.FRESH: fresh_s}
        self.method = Method.REBIND if rebind else Method.RFC5780
        self.sent = 0
        self.mappings: list[FakeMapping] = []

    async def new(self, flow: FlowKind) -> FakeMapping:
        self.sent += 1
        mapping = FakeMapping(flow, self.clock.now())
        self.mappings.append(mapping)
        return mapping

    async def refresh(self, mapping: FakeMapping) -> None:
        self.sent += 1
        mapping.last_rx = self.clock.now()

    async def test(self, mapping: FakeMapping, wait_s: float) -> bool | None:
        self.sent += 2
        alive = self.clock.now() - mapping.last_rx < self.lifetimes[mapping.flow]
        self.clock.t += self.rtt_s if alive else wait_s
        self.discard(mapping)
        if self.method == "rebind":
            return None if alive else False
        return alive

    def discard(self, mapping: FakeMapping) -> None:
        mapping.closed = True


async def run(router: FakeRouter, clock: FakeClock, registration_s: float = 3600,
              budget_s: float | None = None) -> Measurement:
    return await measure(router, registration_s=registration_s,
                         budget_s=budget_s or registration_s + 32.5, wait_s=0.25,
                         now=clock.now, sleep=clock.sleep)


def test_ladder_is_fine_enough_everywhere() -> None:
    rungs = lt.ladder(3600)
    assert rungs[0] == 2.0 and rungs[-1] == 3600
    for low, high in zip(rungs, rungs[1:], strict=False):
        assert high - low <= max(5.0, 0.1 * high) + 1e-9  # <= 10 % or <= 5 s
    assert len(rungs) < 80  # sockets per flow for an hour: bounded


async def test_lifetime_longer_than_registration_passes_and_stops_at_it() -> None:
    clock = FakeClock()
    router = FakeRouter(clock, established_s=7200, fresh_s=7200)
    m = await run(router, clock)
    assert m.stopped == "decided"
    finding = evaluate(m, method=Method.RFC5780, registration_s=3600, budget_s=3632.5,
                       sent=router.sent)
    assert finding.status is Status.PASS and finding.data["verdict_on"] == "fresh"
    assert finding.data["alive_s"] >= 3600 and finding.data["expired_s"] is None
    # Close to the physical limit: an hour of waiting, not more.
    assert m.elapsed_s <= 3600 + ESTABLISH_GAP_S + 10
    assert all(mp.closed for mp in router.mappings)  # every socket released


async def test_a_phones_flow_expiring_early_fails_at_once_though_traffic_would_keep_it() -> None:
    # Linux's 30/120 s defaults with a phone registering hourly: the phone's flow (fresh) is
    # gone after 30 s; the established one would live two hours. Decided in about 30 s.
    clock = FakeClock()
    router = FakeRouter(clock, established_s=7200, fresh_s=30)
    m = await run(router, clock)
    finding = evaluate(m, method=Method.RFC5780, registration_s=3600, budget_s=3632.5,
                       sent=router.sent)
    assert finding.status is Status.FAIL and m.stopped == "decided"
    assert finding.data["alive_s"] < 30 <= finding.data["expired_s"]
    assert finding.data["established"]["alive_s"] > 30
    assert m.elapsed_s <= finding.data["expired_s"] + ESTABLISH_GAP_S + 4
    assert "keep-alive" in (finding.advice or "")


@pytest.mark.parametrize(("established", "fresh"), [(25, 15), (300, 30), (1800, 60), (119, 119)])
async def test_short_lifetime_fails_with_a_fine_bracket(established: float,
                                                         fresh: float) -> None:
    clock = FakeClock()
    router = FakeRouter(clock, established_s=established, fresh_s=fresh)
    m = await run(router, clock)
    finding = evaluate(m, method=Method.RFC5780, registration_s=3600, budget_s=3632.5,
                       sent=router.sent)
    alive, expired = finding.data["alive_s"], finding.data["expired_s"]
    assert finding.status is Status.FAIL
    assert alive < fresh <= expired
    assert expired - alive <= max(5.0, 0.1 * expired)
    # Stopped as soon as known: wall time / upper bound near 1.
    assert m.elapsed_s / expired <= 1.2 or m.elapsed_s - expired <= ESTABLISH_GAP_S + 2
    assert finding.advice and "raise the router's UDP timeout" in finding.advice
    # The phone-side remedy is the keep-alive, 80 % of what was seen alive (issue #22); a
    # registration interval only where it stays at or above the 60 s floor.
    keepalive = lt.keepalive_s(lt.Bracket(alive, expired))
    assert keepalive is not None and keepalive < alive
    assert finding.data["advised_keepalive_s"] == keepalive
    assert f"NAT keep-alive every {keepalive} s or less" in finding.advice
    interval = finding.data["advised_registration_time_s"]
    assert (interval is None) == (keepalive < 60), interval
    assert ("registration interval of" in finding.advice) == (interval is not None)
    assert ("REQ-5" in finding.advice) == (expired < 120)
    assert len(finding.data["probes"]) <= 2 * len(m.rungs)


async def test_rebind_never_claims_alive() -> None:
    clock = FakeClock()
    router = FakeRouter(clock, established_s=25, fresh_s=15, rebind=True)
    m = await run(router, clock, registration_s=60)
    finding = evaluate(m, method=Method.REBIND, registration_s=60, budget_s=92.5, sent=router.sent)
    assert finding.status is Status.FAIL
    assert finding.data["alive_s"] is None and 15 <= finding.data["expired_s"] <= 18
    assert all(p["alive"] is not True for p in finding.data["probes"])


async def test_rebind_on_a_long_lived_nat_is_inconclusive_with_a_hint() -> None:
    clock = FakeClock()
    router = FakeRouter(clock, established_s=99999, fresh_s=99999, rebind=True)
    m = await run(router, clock, registration_s=600)
    finding = evaluate(m, method=Method.REBIND, registration_s=600, budget_s=632.5,
                       sent=router.sent)
    assert finding.status is Status.WARN
    assert finding.advice and "RESPONSE-PORT" in finding.advice and "--stun-server" in (
        finding.advice)


async def test_budget_shorter_than_registration_is_inconclusive() -> None:
    clock = FakeClock()
    router = FakeRouter(clock, established_s=7200, fresh_s=7200)
    m = await run(router, clock, registration_s=3600, budget_s=300)
    finding = evaluate(m, method=Method.RFC5780, registration_s=3600, budget_s=300,
                       sent=router.sent)
    assert finding.status is Status.WARN and m.elapsed_s <= 300
    assert finding.data["alive_s"] is not None and finding.data["alive_s"] < 300


async def test_interrupt_reports_the_bracket_so_far() -> None:
    clock = FakeClock()
    clock.interrupt_at = clock.t + 100  # Ctrl-C after 100 s
    router = FakeRouter(clock, established_s=7200, fresh_s=7200)
    m = await run(router, clock)
    assert m.stopped == "interrupted"
    finding = evaluate(m, method=Method.RFC5780, registration_s=3600, budget_s=3632.5,
                       sent=router.sent)
    assert finding.status is Status.WARN and "interrupted" in finding.summary
    assert 80 <= finding.data["alive_s"] <= 100
    assert finding.data["expired_s"] is None
    assert all(mp.closed for mp in router.mappings)


async def test_verdict_data_matches_the_schema(validate_report: Any) -> None:
    from flexdiag.model import CheckResult, Report
    from flexdiag.net.host import environment
    from flexdiag.render.json import to_dict

    clock = FakeClock()
    router = FakeRouter(clock, established_s=25, fresh_s=15)
    m = await run(router, clock, registration_s=60)
    f = evaluate(m, method=Method.RFC5780, registration_s=60, budget_s=92.5, sent=router.sent)
    report = Report("0", "2026-01-01T00:00:00Z", 1.0, {
        "sip_server": "x", "sip_ports": [5060], "stun_server": "x:3478", "ntp_server": "x:123",
        "platform_ranges": [], "registration_time_s": 60},
        (CheckResult("nat.lifetime", "t", f.status, f.summary, f.data, f.advice, f.faq),),
        environment=environment("0", [], None))
    data = validate_report(to_dict(report))
    assert data["summary"]["nat_lifetime_s"] == {"alive": f.data["alive_s"],
                                                 "expired": f.data["expired_s"]}


# --- the real prober against an in-process RFC 5780 server (RESPONSE-PORT, §7.5) -----------

async def test_prober_detects_response_port_and_sees_a_mapping_alive_then_forgotten() -> None:
    import asyncio

    from flexdiag.net.lifetime import Prober
    from tests.fakes import Stun5780

    server = await Stun5780(forget_after_s=0.3).start()
    prober = Prober(server.addr)
    try:
        assert await prober.detect(0.5) is Method.RFC5780
        alive = await prober.new(FlowKind.FRESH)
        idle = await prober.new(FlowKind.FRESH)
        assert alive is not None and idle is not None and prober.rtt_s is not None
        assert await prober.test(alive, 0.3) is True
        await asyncio.sleep(0.45)  # longer than the faked NAT keeps an idle mapping
        assert await prober.test(idle, 0.3) is False
        assert prober.sent >= 5
    finally:
        prober.close()
        server.close()


async def test_prober_without_response_port_falls_back_to_rebind() -> None:
    from flexdiag.net.lifetime import Prober
    from tests.fakes import Stun5780

    server = await Stun5780(response_port=False).start()
    prober = Prober(server.addr)
    try:
        assert await prober.detect(0.3) is Method.REBIND
        mapping = await prober.new(FlowKind.ESTABLISHED)
        assert mapping is not None
        # Same public port after re-binding proves nothing on a port-preserving NAT.
        assert await prober.test(mapping, 0.3) is None
    finally:
        prober.close()
        server.close()

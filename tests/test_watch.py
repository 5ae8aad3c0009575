"""The watch loop on a fake clock, status-change detection, and health decisions."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest

from flexdiag.watch import WatchPlan, assess_health, status_changes, watch


def report(status: str = "pass", **checks: str) -> dict[str, Any]:
    return {"status": status, "started_at": "2026-11-25T10:00:00Z", "duration_s": 1.0,
            "checks": [{"id": k.replace("_", "."), "status": v} for k, v in checks.items()]}


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> bool:
        self.sleeps.append(seconds)
        self.t += seconds
        await asyncio.sleep(0)  # a background run gets its turn, as it would in real time
        return True


async def test_runs_on_the_interval_with_bounded_jitter_and_no_overlap() -> None:
    clock = FakeClock()
    starts: list[float] = []

    async def run_once(with_lifetime: bool, interrupt: asyncio.Event) -> dict[str, Any]:
        starts.append(clock.t)
        clock.t += 3.0  # a run takes 3 s
        return report()

    runs = await watch(WatchPlan(300.0), run_once, on_report=lambda r: None,
                       on_failure=lambda e: None, stop=asyncio.Event(), clock=clock.now,
                       sleep=clock.sleep, rng=random.Random(1), max_runs=50)
    assert runs == 50
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert all(285.0 <= gap <= 315.0 for gap in gaps)  # 300 s +- 5 % jitter
    assert len({round(g, 3) for g in gaps}) > 10  # jitter really varies
    assert all(s >= 0 for s in clock.sleeps)


async def test_lifetime_check_every_n() -> None:
    clock = FakeClock()
    started: list[tuple[float, bool]] = []

    async def run_once(with_lifetime: bool, interrupt: asyncio.Event) -> dict[str, Any]:
        started.append((clock.t, with_lifetime))
        return report()

    runs = await watch(WatchPlan(3600.0, lifetime_every_s=6 * 3600.0, jitter_ratio=0),
                       run_once, on_report=lambda r: None, on_failure=lambda e: None,
                       stop=asyncio.Event(), clock=clock.now, sleep=clock.sleep, max_runs=13)
    assert runs == 13
    assert [t / 3600 for t, lifetime in started if not lifetime] == list(range(13))
    # The lifetime run starts after the quick run of ticks 0, 6 and 12, in the background.
    flags = [lifetime for _, lifetime in started]
    assert flags == [False, True] + [False] * 6 + [True] + [False] * 6 + [True]


async def test_quick_runs_keep_their_schedule_while_a_lifetime_run_goes_on() -> None:
    # The issue: with --lifetime-every, quick runs stopped for up to an hour and health
    # turned unhealthy. Now the lifetime run goes on beside them.
    clock = FakeClock()
    measured = asyncio.Event()
    recorded: list[tuple[float, bool]] = []

    async def run_once(with_lifetime: bool, interrupt: asyncio.Event) -> dict[str, Any]:
        if with_lifetime:
            await measured.wait()  # the measurement: until the fifth quick run
        elif clock.t >= 4 * 300:
            measured.set()
        return {**report(), "lifetime": with_lifetime}

    runs = await watch(WatchPlan(300.0, lifetime_every_s=24 * 3600.0, jitter_ratio=0),
                       run_once, on_report=lambda r: recorded.append((clock.t, r["lifetime"])),
                       on_failure=lambda e: None, stop=asyncio.Event(), clock=clock.now,
                       sleep=clock.sleep, max_runs=8)
    assert runs == 8
    quick = [t for t, lifetime in recorded if not lifetime]
    assert quick == [300.0 * i for i in range(8)]  # every tick, on time
    assert [lifetime for _, lifetime in recorded].count(True) == 1  # handed on when it ended


async def test_a_quick_run_follows_the_slow_run_at_once() -> None:
    # The slow run's verdict is carried by the next quick run: that run starts as soon as the
    # slow run ends, not a tick later (an hour at --interval 1h).
    t = 0.0
    slow_done = asyncio.Event()
    runs: list[tuple[float, bool]] = []
    handed: list[dict[str, Any]] = []

    async def run_once(slow: bool, interrupt: asyncio.Event) -> dict[str, Any]:
        runs.append((t, slow))
        if slow:
            await slow_done.wait()
        return {**report(), "slow": slow}

    async def sleep(seconds: float) -> bool:
        nonlocal t
        if not slow_done.is_set():
            slow_done.set()  # the slow run ends ten minutes into the first hour's nap
            for _ in range(5):
                await asyncio.sleep(0)
            t += 600.0
            await asyncio.Event().wait()  # woken: never reaches its tick
        t += seconds
        return True

    quick = await watch(WatchPlan(3600.0, lifetime_every_s=24 * 3600.0, jitter_ratio=0),
                        run_once, on_report=lambda r: None, on_slow=handed.append,
                        on_failure=lambda e: None, stop=asyncio.Event(), clock=lambda: t,
                        sleep=sleep, max_runs=3)
    assert quick == 3
    assert runs == [(0.0, False), (0.0, True), (600.0, False), (4200.0, False)]
    assert [r["slow"] for r in handed] == [True]


async def test_a_failing_run_is_reported_and_the_loop_goes_on() -> None:
    clock = FakeClock()
    failures: list[BaseException] = []
    reports: list[dict[str, Any]] = []
    calls = 0

    async def run_once(with_lifetime: bool, interrupt: asyncio.Event) -> dict[str, Any]:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("resolver exploded")
        return report()

    runs = await watch(WatchPlan(60.0), run_once, on_report=reports.append,
                       on_failure=failures.append, stop=asyncio.Event(), clock=clock.now,
                       sleep=clock.sleep, max_runs=4)
    assert runs == 4 and len(reports) == 3
    assert [str(f) for f in failures] == ["resolver exploded"]


async def test_stop_during_sleep_ends_the_loop() -> None:
    stop = asyncio.Event()
    calls = 0

    async def run_once(with_lifetime: bool, interrupt: asyncio.Event) -> dict[str, Any]:
        nonlocal calls
        calls += 1
        return report()

    async def sleep(seconds: float) -> bool:
        stop.set()  # SIGTERM arrives while waiting for the next run
        return False

    runs = await watch(WatchPlan(60.0), run_once, on_report=lambda r: None,
                       on_failure=lambda e: None, stop=stop, clock=lambda: 0.0, sleep=sleep)
    assert runs == 1 and calls == 1


async def test_stop_during_a_run_finishes_it_within_the_grace_or_abandons_it() -> None:
    stop = asyncio.Event()
    reports: list[dict[str, Any]] = []

    async def finishing(with_lifetime: bool, interrupt: asyncio.Event) -> dict[str, Any]:
        stop.set()
        await interrupt.wait()  # the run sees the interrupt and ends early
        return report("warn")

    await watch(WatchPlan(60.0, stop_grace_s=5), finishing, on_report=reports.append,
                on_failure=lambda e: None, stop=stop, clock=lambda: 0.0,
                sleep=FakeClock().sleep)
    assert [r["status"] for r in reports] == ["warn"]

    stop = asyncio.Event()
    cancelled = False

    async def hanging(with_lifetime: bool, interrupt: asyncio.Event) -> dict[str, Any]:
        nonlocal cancelled
        stop.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled = True
            raise
        return report()

    reports.clear()
    runs = await watch(WatchPlan(60.0, stop_grace_s=0.05), hanging, on_report=reports.append,
                       on_failure=lambda e: None, stop=stop, clock=lambda: 0.0,
                       sleep=FakeClock().sleep)
    assert runs == 1 and reports == [] and cancelled


def test_status_changes() -> None:
    before = report(dns_voip="pass", sip_alg="pass", ntp_offset="warn")
    after = report(dns_voip="pass", sip_alg="fail", ntp_offset="pass", sip_large="pass")
    assert status_changes(before, after) == ["sip.alg pass -> fail", "ntp.offset warn -> pass",
                                             "sip.large new -> pass"]
    assert status_changes(None, after) == []
    assert status_changes(after, after) == []


@pytest.mark.parametrize(("latest", "age", "healthy", "needle"), [
    (None, None, False, "no run recorded"),
    (report("pass", dns_voip="pass"), 60.0, True, "healthy: last run 60 s ago pass"),
    (report("warn", stun_binding="warn"), 60.0, True, "healthy"),
    # Liveness: the network's failures are said, but do not make the watch unhealthy (an
    # orchestrator would restart it forever over a customer's SIP ALG).
    (report("fail", sip_alg="fail"), 60.0, True, "healthy: last run 60 s ago fail (sip.alg fail)"),
    (report("error", runner="error"), 60.0, True, "(runner error)"),
    (report("pass", dns_voip="pass"), 3600.0, False, "older than 900 s"),
])
def test_health(latest: Any, age: float | None, healthy: bool, needle: str) -> None:
    ok, line = assess_health(latest, age, 900.0)
    assert ok is healthy and needle in line and len(line) < 4096


@pytest.mark.parametrize(("latest", "age", "ready", "needle"), [
    (None, None, False, "no run recorded"),
    (report("pass", dns_voip="pass"), 60.0, True, "ready: last run 60 s ago pass"),
    (report("warn", stun_binding="warn"), 60.0, True, "ready"),
    (report("fail", sip_alg="fail", nat_lifetime="fail"), 60.0, False,
     "not ready: last run 60 s ago fail: sip.alg fail, nat.lifetime fail"),
    (report("error", runner="error"), 60.0, False, "runner error"),
    (report("pass", dns_voip="pass"), 3600.0, False, "older than 900 s"),
])
def test_health_verdict(latest: Any, age: float | None, ready: bool, needle: str) -> None:
    ok, line = assess_health(latest, age, 900.0, verdict=True)
    assert ok is ready and needle in line and len(line) < 4096


async def test_a_run_cut_short_by_the_stop_signal_is_not_recorded() -> None:
    import asyncio

    from flexdiag.watch import WatchPlan, watch

    stop = asyncio.Event()
    reports: list[dict[str, Any]] = []

    async def once(with_lifetime: bool, interrupt: asyncio.Event) -> dict[str, Any]:
        stop.set()  # SIGTERM arrives while the lifetime measurement runs
        return {"status": "warn", "checks": [{"id": "nat.lifetime", "status": "warn",
                                              "data": {"stopped": "interrupted"}}]}

    async def sleep(seconds: float) -> bool:
        await asyncio.sleep(0.01)  # the lifetime run, in the background, gets under way
        return not stop.is_set()

    runs = await watch(WatchPlan(60, 3600), once, on_report=reports.append,
                       on_failure=lambda exc: None, stop=stop, clock=lambda: 0.0, sleep=sleep)
    assert runs == 1 and reports == []


def _check(cid: str, status: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"id": cid, "title": cid, "status": status, "summary": "s", "advice": None,
            "faq": [6], "duration_ms": 1.0, "data": data, "reason_code": None}


def _slow_report(*checks: dict[str, Any]) -> dict[str, Any]:
    return {"schema": "flexdiag.report/1", "version": "0", "started_at": "2026-12-06T10:00:00Z",
            "duration_s": 40.0, "profile": {}, "status": "fail", "summary": {}, "plan": [],
            "checks": list(checks), "environment": {}}


def test_carried_verdicts_stand_in_for_what_a_quick_run_leaves_unmeasured() -> None:
    from flexdiag.model import CheckResult, Status
    from flexdiag.runner import carry_forward
    from flexdiag.watch import Carried

    carried = Carried()
    lifetime = _check("nat.lifetime", "fail", {"alive_s": 8.0, "expired_s": 10.0})
    taken = carried.keep(_slow_report(
        lifetime, _check("media.ports", "pass", {"verdict": "forwarded"}),
        _check("media.quality", "warn", {"stopped": "interrupted"})), ended_at=1000.0)
    assert taken == ["nat.lifetime", "media.ports"]  # an interrupted measurement is no verdict
    now = carried.now(1090.4)
    assert now["nat.lifetime"].status is Status.FAIL
    assert now["nat.lifetime"].data["carried"] == {"measured_at": "1970-01-01T00:16:40Z",
                                                  "age_s": 90}
    quick = (CheckResult("nat.lifetime", "t", Status.SKIP, "not measured",
                         {"reason": "not-measured"}),
             CheckResult("media.ports", "t", Status.PASS, "measured now", {"verdict": "x"}),
             CheckResult("sip.alg", "t", Status.PASS, "ok"))
    merged = carry_forward(quick, now)
    assert [r.status for r in merged] == [Status.FAIL, Status.PASS, Status.PASS]
    assert merged[1].summary == "measured now"  # measured in this run: its own verdict


def test_carried_verdicts_survive_a_restart_with_their_measuring_time() -> None:
    from flexdiag.watch import Carried

    record = _slow_report(_check("nat.lifetime", "fail", {
        "expired_s": 10.0, "carried": {"measured_at": "2026-12-06T09:00:00Z", "age_s": 60}}),
        _check("sip.alg", "pass", {}))
    carried = Carried()
    carried.seed(record)
    at = carried.now(1_796_547_600.0 + 3600)["nat.lifetime"].data["carried"]
    assert at["measured_at"] == "2026-12-06T09:00:00Z" and at["age_s"] > 0
    assert "carried" not in carried.now(0)["nat.lifetime"].data["carried"]
    assert set(carried.now(0)) == {"nat.lifetime", "sip.alg"}
    Carried().seed(None)  # no history yet


def test_a_carried_verdict_arriving_is_a_change_and_an_unmeasured_run_is_not() -> None:
    unmeasured = {"id": "nat.lifetime", "status": "skip", "data": {"reason": "not-measured"}}
    carried = {"id": "nat.lifetime", "status": "fail", "data": {"carried": {"age_s": 3}}}
    quick = {"status": "pass", "checks": [unmeasured]}
    after = {"status": "fail", "checks": [carried]}
    assert status_changes(quick, after) == ["nat.lifetime skip -> fail"]
    assert status_changes(after, quick) == []  # a quick run without it says nothing new
    assert status_changes(after, after) == []
    assert status_changes({"status": "pass", "checks": []}, after) == []  # first measured

"""``flexdiag watch``: the diagnostic on a schedule, for a container or a monitoring host.

One run at a time (never overlapping), every ``interval`` plus a small random jitter, with the
slow lifetime check every ``lifetime_every``. Each report goes out as one JSON line, into the
history and the metrics; a changed check status is logged as ``sip.alg pass -> fail``. A run
that raises is logged and counted, and the loop goes on. Stopping (SIGTERM/SIGINT) lets the
current run finish within a bound, ending slow checks early, or abandons it.
"""

from __future__ import annotations

import asyncio
import datetime
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from flexdiag.facts import interrupted, unmeasured
from flexdiag.model import CheckResult, Status
from flexdiag.render.json import from_dict
from flexdiag.vocab import CheckId

MIN_INTERVAL_S = 10.0  # --interval floor: a quick run takes a few seconds, and every run
# opens flows in the router's table (FLEXDIAG_MIN_INTERVAL, in seconds, lowers it for tests)
JITTER_RATIO = 0.05  # of the interval, either way: sites started together drift apart
STOP_GRACE_S = 4.0  # how long a stopping loop lets the current run finish: with the last
# push (2 s) and the history (1 s), a stop ends well within `docker stop`'s 10 s


@dataclass(frozen=True)
class WatchPlan:
    """When to run: the interval, the lifetime check's, the jitter and the stop grace."""

    interval_s: float
    lifetime_every_s: float | None = None
    jitter_ratio: float = JITTER_RATIO
    stop_grace_s: float = STOP_GRACE_S


RunOnce = Callable[[bool, asyncio.Event], Awaitable[dict[str, Any]]]


class Carried:
    """The latest verdicts of what the quick runs leave unmeasured (``nat.lifetime``, the audio
    path), from the watch's slow run: every quick run carries them forward, with their age,
    until a later slow run says otherwise. So a lifetime that fails stays failing in every
    record, metric and ``health --verdict``, not only in the slow run's own report."""

    def __init__(self) -> None:
        self._kept: dict[str, tuple[CheckResult, float]] = {}

    def keep(self, report: dict[str, Any], ended_at: float) -> list[str]:
        """Take a slow run's measured verdicts (one cut short by a stop is no verdict);
        returns the ids taken."""
        taken = []
        for check in from_dict(report).checks:
            data = dict(check.data)
            measured_at = data.pop("carried", None)
            if unmeasured(data) or interrupted(data):
                continue
            when = ended_at
            if isinstance(measured_at, dict):  # seeded from an earlier record: keep its time
                when = _epoch(measured_at.get("measured_at")) or ended_at
            self._kept[check.id] = (replace(check, data=data), when)
            taken.append(check.id)
        return taken

    def seed(self, report: dict[str, Any] | None) -> None:
        """After a restart: the verdicts the last record carried (or measured)."""
        if report is not None:
            self.keep(report, _epoch(report.get("started_at")) or 0.0)

    def now(self, wall: float) -> dict[str, CheckResult]:
        """The kept verdicts as a quick run carries them: ``data.carried`` says when they were
        measured and how long ago."""
        return {cid: replace(r, data={**r.data, "carried": {
                    "measured_at": _iso(at), "age_s": max(0, round(wall - at))}})
                for cid, (r, at) in self._kept.items()}


def _iso(epoch: float) -> str:
    when = datetime.datetime.fromtimestamp(epoch, datetime.UTC)
    return when.isoformat(timespec="seconds").replace("+00:00", "Z")


def _utc(text: str) -> datetime.datetime:
    """A report's ``started_at`` (ISO 8601, ``Z``) as a datetime; ``ValueError`` if it is not
    one."""
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _epoch(text: Any) -> float | None:
    try:
        return _utc(str(text)).timestamp()
    except ValueError:
        return None


def min_interval_s(environ: Mapping[str, str]) -> float:
    """The floor of ``--interval``: :data:`MIN_INTERVAL_S`, or ``FLEXDIAG_MIN_INTERVAL``."""
    try:
        return max(0.0, float(environ["FLEXDIAG_MIN_INTERVAL"]))
    except (KeyError, ValueError):
        return MIN_INTERVAL_S


def status_changes(previous: dict[str, Any] | None, current: dict[str, Any]) -> list[str]:
    """``"<id> <old> -> <new>"`` for every check whose status changed (new checks: ``new``)."""
    if previous is None:
        return []
    before = {c["id"]: c for c in previous["checks"]}
    lines = []
    for check in current["checks"]:
        old = before.get(check["id"])
        if old is not None and old["status"] == check["status"]:
            continue
        # A run that did not measure it (a quick run before the first slow run's verdict)
        # says nothing new; the verdict arriving is a change ("nat.lifetime skip -> fail").
        if _unmeasured(check):
            continue
        if old is None and check["id"] == CheckId.NAT_LIFETIME:
            continue
        lines.append(f"{check['id']} {old['status'] if old else 'new'} -> {check['status']}")
    return lines


def _unmeasured(check: dict[str, Any] | None) -> bool:
    return check is not None and unmeasured(check.get("data", {}))


async def watch(
    plan: WatchPlan,
    run_once: RunOnce,
    *,
    on_report: Callable[[dict[str, Any]], None],
    on_failure: Callable[[BaseException], None],
    stop: asyncio.Event,
    clock: Callable[[], float],
    sleep: Callable[[float], Awaitable[bool]],
    on_slow: Callable[[dict[str, Any]], None] | None = None,
    rng: random.Random | None = None,
    max_runs: int | None = None,
) -> int:
    """Run until ``stop`` is set (or ``max_runs``); returns the number of quick runs.

    The slow run (``run_once(True, ...)``: the lifetime check and the audio path, up to an
    hour) starts after the quick run of its tick and goes on in the background on sockets of
    its own, while the quick runs keep their schedule and their local ports. Its report goes
    to ``on_slow`` (which keeps its verdicts for the quick runs to carry), never to the
    history as the latest run; then a quick run starts at once, so that the verdict shows in
    a record, the metrics and the change log within seconds. ``sleep(seconds)`` returns
    ``False`` when ``stop`` was set meanwhile.
    """
    rng = rng or random.Random()
    runs = 0
    record = _Recorder(stop, plan.stop_grace_s, on_report, on_failure)
    wake = asyncio.Event()  # a slow run ended: run now
    slow = _Slow(plan.lifetime_every_s, clock(),
                 _Recorder(stop, plan.stop_grace_s, on_slow or on_report, on_failure,
                           after=wake.set))
    try:
        while not stop.is_set() and (max_runs is None or runs < max_runs):
            started = clock()
            await record(run_once(False, stop))
            runs += 1
            if not stop.is_set():
                slow.start_if_due(started, lambda: run_once(True, stop))
            jitter = rng.uniform(-plan.jitter_ratio, plan.jitter_ratio) * plan.interval_s
            delay = max(0.0, started + plan.interval_s + jitter - clock())
            if stop.is_set() or (max_runs is not None and runs >= max_runs):
                break
            if not await _nap(sleep, delay, wake):
                break
    finally:
        await slow.finish()  # once stopped, bounded by the grace (see _bounded)
    return runs


class _Slow:
    """The slow run: due every ``every_s`` (``None``: never), one at a time, in the
    background."""

    def __init__(self, every_s: float | None, first_at: float, record: _Recorder) -> None:
        self.every_s, self.next_at, self.record = every_s, first_at, record
        self.task: asyncio.Future[None] | None = None

    def start_if_due(self, now: float, run: Callable[[], Awaitable[dict[str, Any]]]) -> None:
        if self.every_s is None or now < self.next_at:
            return
        if self.task is not None and not self.task.done():
            return
        self.task = asyncio.ensure_future(self.record(run()))
        self.next_at = now + self.every_s

    async def finish(self) -> None:
        if self.task is not None:
            await self.task


async def _nap(sleep: Callable[[float], Awaitable[bool]], seconds: float,
               wake: asyncio.Event) -> bool:
    """Sleep until the next tick, or until ``wake`` is set; ``False`` when stopped."""
    if wake.is_set():
        wake.clear()
        return True
    napping = asyncio.ensure_future(sleep(seconds))
    woken = asyncio.ensure_future(wake.wait())
    try:
        await asyncio.wait({napping, woken}, return_when=asyncio.FIRST_COMPLETED)
        wake.clear()  # the tick's own run carries the slow run's verdict just as well
        return napping.result() if napping.done() else True
    finally:
        napping.cancel()
        woken.cancel()


@dataclass(frozen=True)
class _Recorder:
    """Awaits one run and records its report, or its failure."""

    stop: asyncio.Event
    grace_s: float
    on_report: Callable[[dict[str, Any]], None]
    on_failure: Callable[[BaseException], None]
    after: Callable[[], None] | None = None  # once a report was recorded

    async def __call__(self, run: Awaitable[dict[str, Any]]) -> None:
        try:
            report = await _bounded(run, self.stop, self.grace_s)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # a run that breaks must not stop the loop
            self.on_failure(exc)
            return
        # A run that the stop signal cut short (its lifetime measurement interrupted) is no
        # finding about the network: not recorded, so it cannot turn health to WARN.
        if report is not None and not (self.stop.is_set() and cut_short(report)):
            self.on_report(report)
            if self.after is not None:
                self.after()


def cut_short(report: dict[str, Any]) -> bool:
    """Did an interruption end part of this run early (a lifetime measurement)?"""
    return any(interrupted(c.get("data", {})) for c in report["checks"])


async def _bounded(run: Awaitable[dict[str, Any]], stop: asyncio.Event,
                   grace_s: float) -> dict[str, Any] | None:
    """Await the run; once ``stop`` is set, give it ``grace_s`` more, then abandon it."""
    task = asyncio.ensure_future(run)
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if not task.done():
            done, _ = await asyncio.wait({task}, timeout=grace_s)
            if not done:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                return None
        return task.result()
    finally:
        stopper.cancel()


def assess_health(latest: dict[str, Any] | None, finished_age_s: float | None,
                  max_age_s: float, verdict: bool = False) -> tuple[bool, str]:
    """One line for Docker's HEALTHCHECK log, and whether it is good news.

    Liveness (``flexdiag health``): is the watch alive and on schedule, i.e. did a run end
    within ``max_age_s``? What the network is like does not make it unhealthy (a site with a
    permanent SIP ALG would otherwise be restarted forever). ``verdict`` (``health
    --verdict``): is the site ready, i.e. is the latest run recent and without failures,
    the carried lifetime and audio verdicts included?"""
    if latest is None or finished_age_s is None:
        return False, "unhealthy: no run recorded yet"
    status = latest["status"]
    age = f"{finished_age_s:.0f} s ago"
    bad = [f"{c['id']} {c['status']}" for c in latest["checks"]
           if Status(c["status"]).rank >= Status.FAIL.rank]
    if finished_age_s > max_age_s:
        return False, f"unhealthy: last run {age} (older than {max_age_s:.0f} s), {status}"
    failing = ", ".join(bad)[:3000]
    if verdict:
        if bad:
            return False, f"not ready: last run {age} {status}: {failing}"
        return True, f"ready: last run {age} {status}"
    return True, f"healthy: last run {age} {status}" + (f" ({failing})" if bad else "")


def run_age_s(report: dict[str, Any], now: datetime.datetime) -> float:
    """Seconds since a stored report's run finished (started_at + duration)."""
    started = _utc(report["started_at"])
    return (now - started).total_seconds() - float(report["duration_s"])

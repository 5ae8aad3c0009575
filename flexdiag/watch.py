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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from flexdiag.facts import interrupted, unmeasured
from flexdiag.model import Status
from flexdiag.vocab import CheckId

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
        # The quick runs between two lifetime runs do not measure it: no change to report.
        if _unmeasured(old) or _unmeasured(check):
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
    rng: random.Random | None = None,
    max_runs: int | None = None,
) -> int:
    """Run until ``stop`` is set (or ``max_runs``); returns the number of quick runs.

    A run with the lifetime check (up to an hour) starts after the quick run of its tick and
    goes on in the background, its measurement on sockets of its own, while the quick runs
    keep their schedule: the history, the metrics and ``health`` stay current throughout, and
    its report is recorded when it ends. ``sleep(seconds)`` returns ``False`` when ``stop``
    was set meanwhile.
    """
    rng = rng or random.Random()
    runs = 0
    next_lifetime = clock()
    record = _Recorder(stop, plan.stop_grace_s, on_report, on_failure)
    lifetime: asyncio.Future[None] | None = None
    try:
        while not stop.is_set() and (max_runs is None or runs < max_runs):
            started = clock()
            await record(run_once(False, stop))
            runs += 1
            if (plan.lifetime_every_s is not None and started >= next_lifetime
                    and (lifetime is None or lifetime.done()) and not stop.is_set()):
                # Started once the quick run is done: its quick checks then ride the same
                # local ports, so the same NAT entries (flexdiag.net.ports).
                lifetime = asyncio.ensure_future(record(run_once(True, stop)))
                next_lifetime = started + plan.lifetime_every_s
            jitter = rng.uniform(-plan.jitter_ratio, plan.jitter_ratio) * plan.interval_s
            delay = max(0.0, started + plan.interval_s + jitter - clock())
            if stop.is_set() or (max_runs is not None and runs >= max_runs):
                break
            if not await sleep(delay):
                break
    finally:
        if lifetime is not None:  # once stopped, bounded by the grace (see _bounded)
            await lifetime
    return runs


@dataclass(frozen=True)
class _Recorder:
    """Awaits one run and records its report, or its failure."""

    stop: asyncio.Event
    grace_s: float
    on_report: Callable[[dict[str, Any]], None]
    on_failure: Callable[[BaseException], None]

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
                  max_age_s: float) -> tuple[bool, str]:
    """Healthy when the latest run is recent and not failing (``fail``/``error``); one line
    for Docker's HEALTHCHECK log."""
    if latest is None or finished_age_s is None:
        return False, "unhealthy: no run recorded yet"
    status = latest["status"]
    age = f"{finished_age_s:.0f} s ago"
    bad = [f"{c['id']} {c['status']}" for c in latest["checks"]
           if Status(c["status"]).rank >= Status.FAIL.rank]
    if finished_age_s > max_age_s:
        return False, f"unhealthy: last run {age} (older than {max_age_s:.0f} s), {status}"
    if bad:
        return False, f"unhealthy: last run {age} {status}: " + ", ".join(bad)[:3000]
    return True, f"healthy: last run {age} {status}"


def run_age_s(report: dict[str, Any], now: datetime.datetime) -> float:
    """Seconds since a stored report's run finished (started_at + duration)."""
    started = datetime.datetime.fromisoformat(report["started_at"].replace("Z", "+00:00"))
    return (now - started).total_seconds() - float(report["duration_s"])

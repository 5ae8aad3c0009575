"""Runs checks: all started at once, each bounded, results reported in a fixed order.

A check that raises, or overruns its bound, becomes an ``error`` result; the others still report
(the Flutter-doctor model: concurrent work, deterministic output).
"""

from __future__ import annotations

import asyncio
import datetime
import time
from collections.abc import Callable, Sequence

from flexdiag import __version__, advice
from flexdiag.checks import Check, Context, Finding, checks_for
from flexdiag.model import CheckResult, Report, Status
from flexdiag.settings import Settings

# A check's own waits end at the run's deadline; this extra bound only catches a check that
# hangs despite that (a bug), so it is generous.
OVERRUN_GRACE_S = 2.0

ProgressFn = Callable[[CheckResult, int, int], None]


async def run(
    settings: Settings,
    checks: Sequence[Check] | None = None,
    *,
    on_result: ProgressFn | None = None,
    on_progress: Callable[[str, str], None] | None = None,
    interrupt: asyncio.Event | None = None,
    wall_clock: Callable[[], float] = time.time,
) -> Report:
    """Run ``checks`` (default: the quick run) and return the report.

    ``on_result(result, done, total)`` is called as each check finishes, in finishing order;
    ``on_progress(check_id, text)`` as slow checks progress. Setting ``interrupt`` ends slow
    checks early with what they found so far.
    """
    checks = list(checks) if checks is not None else checks_for(settings)
    loop = asyncio.get_running_loop()
    started_at = datetime.datetime.fromtimestamp(wall_clock(), datetime.UTC)
    ctx = Context(settings, wall_clock=wall_clock, start=loop.time(), interrupt=interrupt,
                  on_progress=on_progress)
    done = 0

    async def one(check: Check) -> CheckResult:
        nonlocal done
        budget_s = (check.budget_s or settings.timeout_s) + OVERRUN_GRACE_S
        begin = loop.time()
        try:
            finding = await asyncio.wait_for(check.run(ctx), budget_s)
        except TimeoutError:
            finding = Finding(Status.ERROR, advice.text("runner.timeout", budget_s=budget_s))
        except Exception as exc:  # a crashing check is evidence, not an abort
            finding = Finding(
                Status.ERROR,
                advice.text("runner.crash", error=f"{type(exc).__name__}: {exc}"),
                {"exception": type(exc).__name__},
            )
        result = CheckResult(
            id=check.id,
            title=advice.title(check.id),
            status=finding.status,
            summary=finding.summary,
            data=dict(finding.data),
            advice=finding.advice,
            faq=finding.faq,
            duration_ms=round((loop.time() - begin) * 1000, 1),
        )
        done += 1
        if on_result is not None:
            on_result(result, done, len(checks))
        return result

    try:
        results = await asyncio.gather(*(one(c) for c in checks))
    finally:
        ctx.close()
    return Report(
        version=__version__,
        started_at=started_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
        duration_s=round(loop.time() - ctx.start, 3),
        profile=settings.profile(),
        checks=tuple(results),
    )

"""Runs a diagnosis: observe everything at once, judge each check as soon as what it needs is
in, then plan over all results. Fixed report order.

Every observation the run's checks need starts at once (:class:`~flexdiag.observe.Observer`),
each bounded by the run's deadline. A check waits only for the observations it declared, then
its pure judgement runs. An observation or judgement that raises, or overruns its bound,
becomes an ``error`` result; the others still report (the Flutter-doctor model: concurrent
work, deterministic output).
"""

from __future__ import annotations

import asyncio
import datetime
import signal
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from flexdiag import __version__, advice, planner
from flexdiag.checks import (
    Check,
    Finding,
    as_mode,
    checks_for,
    evaluate,
    observations_needed,
)
from flexdiag.evidence import MAX_LINE, bound, bound_text
from flexdiag.facts import unmeasured
from flexdiag.model import CheckResult, Report, Status
from flexdiag.net import host
from flexdiag.observe import Observer
from flexdiag.settings import Settings
from flexdiag.vocab import Code, LifetimeMode

# An observation's own waits end at the run's deadline; this extra bound only catches one
# that hangs despite that (a bug), so it is generous.
OVERRUN_GRACE_S = 2.0

ProgressFn = Callable[[CheckResult, int, int], None]


def _crash(exc: BaseException) -> Finding:
    return Finding(Status.ERROR, advice.text("runner.crash", error=f"{type(exc).__name__}: {exc}"),
                   {"exception": type(exc).__name__}, code=Code.FLEXDIAG_ERROR)


async def _finding(check: Check, observer: Observer, budget_s: float) -> Finding:
    """Wait (bounded) for what the check needs, then judge it."""
    try:
        await asyncio.wait_for(observer.wait((*check.requires, *check.needs)), budget_s)
    except TimeoutError:
        return Finding(Status.ERROR, advice.text("runner.timeout", budget_s=budget_s),
                       code=Code.FLEXDIAG_TIMEOUT)
    except Exception as exc:  # a crashing observation is evidence, not an abort
        return _crash(exc)
    try:
        return evaluate(check, observer.snapshot((*check.requires, *check.needs)))
    except Exception as exc:
        return _crash(exc)


async def run(
    settings: Settings,
    checks: Sequence[Check] | None = None,
    *,
    on_result: ProgressFn | None = None,
    on_progress: Callable[[str, str], None] | None = None,
    interrupt: asyncio.Event | None = None,
    wall_clock: Callable[[], float] = time.time,
    argv: Sequence[str] = (),
    lifetime: LifetimeMode = LifetimeMode.QUICK,
    carried: Mapping[str, CheckResult] | None = None,
    call_passwords: Sequence[str] = (),
) -> Report:
    """Run ``checks`` (default: the quick run) and return the report.

    ``on_result(result, done, total)`` is called as each check finishes, in finishing order;
    ``on_progress(check_id, text)`` as slow checks progress. Setting ``interrupt`` ends slow
    checks early with what they found so far. ``carried``: earlier verdicts (the watch's slow
    run's) that stand in for the checks this run leaves unmeasured, planned with the rest.
    """
    checks = list(checks) if checks is not None else checks_for(settings, lifetime)
    loop = asyncio.get_running_loop()
    started_at = datetime.datetime.fromtimestamp(wall_clock(), datetime.UTC)
    observer = Observer(settings, wall_clock=wall_clock, start=loop.time(),
                        interrupt=interrupt, on_progress=on_progress,
                        lifetime_mode=(LifetimeMode.HORIZON if lifetime is LifetimeMode.HORIZON
                                       else LifetimeMode.FULL),
                        call_passwords=tuple(call_passwords))
    done = 0

    async def one(check: Check) -> CheckResult:
        nonlocal done
        begin = loop.time()
        budget_s = (check.budget_s or settings.timeout_s) + OVERRUN_GRACE_S
        finding = await _finding(check, observer, budget_s)
        # Evidence carries what peers chose to send: bounded here, once (flexdiag.evidence).
        result = CheckResult(
            id=check.id, title=advice.title(check.id), status=finding.status,
            summary=bound_text(finding.summary, MAX_LINE), data=bound(finding.data),
            advice=None if finding.advice is None else bound_text(finding.advice, MAX_LINE * 2),
            faq=finding.faq, duration_ms=round((loop.time() - begin) * 1000, 1),
            code=finding.code,
        )
        done += 1
        if on_result is not None:
            on_result(result, done, len(checks))
        return result

    try:
        observer.start_all(observations_needed(checks))
        results = carry_forward(tuple(await asyncio.gather(*(one(c) for c in checks))),
                                carried or {})
    finally:
        observer.close()
    plan = planner.plan(results, settings)
    primary = observer.primary_address()
    return Report(
        version=__version__,
        started_at=started_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
        duration_s=round(loop.time() - observer.start, 3),
        profile=settings.profile(),
        checks=planner.reconcile(results, plan),
        plan=plan,
        environment=host.environment(__version__, argv, primary),
    )


def carry_forward(results: tuple[CheckResult, ...],
                  carried: Mapping[str, CheckResult]) -> tuple[CheckResult, ...]:
    """Each result this run left unmeasured, replaced by the carried verdict of that check."""
    return tuple(carried.get(r.id, r) if unmeasured(r.data) else r for r in results)


# SIGHUP does not exist on Windows: the signals this OS has.
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
                     if hasattr(signal, name))


async def run_interruptible(settings: Settings, lifetime: bool | LifetimeMode,
                            progress: Any = None,
                            interrupt: asyncio.Event | None = None,
                            argv: Sequence[str] = (),
                            on_signal: Callable[[signal.Signals], None] | None = None,
                            checks: Sequence[Check] | None = None,
                            carried: Mapping[str, CheckResult] | None = None,
                            call_passwords: Sequence[str] = ()) -> Report:
    """Run the checks. Without an ``interrupt`` event given, the first Ctrl-C (or SIGTERM,
    SIGHUP: a ``docker stop``, a closed terminal) ends slow checks early (they report what
    they found) and a second one aborts; ``on_signal`` hears of each."""
    loop = asyncio.get_running_loop()
    own = interrupt is None
    event = interrupt if interrupt is not None else asyncio.Event()
    main_task = asyncio.current_task()

    def on_stop(signum: signal.Signals) -> None:
        if on_signal is not None:
            on_signal(signum)
        if event.is_set() and main_task is not None:
            main_task.cancel()
        event.set()

    if own:
        try:
            for signum in STOP_SIGNALS:
                loop.add_signal_handler(signum, on_stop, signum)
        except (NotImplementedError, RuntimeError):  # not the main thread (tests)
            own = False
    try:
        mode = as_mode(lifetime)
        return await run(
            settings, checks if checks is not None else checks_for(settings, mode),
            on_result=getattr(progress, "update", None),
            on_progress=getattr(progress, "note", None),
            interrupt=event, argv=argv, lifetime=mode, carried=carried,
            call_passwords=call_passwords,
        )
    except asyncio.CancelledError:
        raise KeyboardInterrupt from None
    finally:
        if own:
            for signum in STOP_SIGNALS:
                loop.remove_signal_handler(signum)

"""The long-running side behind ``flexdiag watch``, ``history`` and ``health``: wires the
watch loop (:mod:`flexdiag.watch`) to signals, the history file, the metrics endpoint or
textfile, and the JSON-lines output. Kept out of ``cli.py`` so that it stays thin."""

from __future__ import annotations

import asyncio
import datetime
import json
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, NoReturn

from flexdiag import __version__
from flexdiag.history import History, HistoryError, default_path
from flexdiag.settings import HostPort, Settings
from flexdiag.watch import WatchPlan, assess_health, run_age_s, status_changes, watch


def _log(line: str) -> None:
    stamp = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    sys.stderr.write(f"{stamp.replace('+00:00', 'Z')} flexdiag: {line}\n")
    sys.stderr.flush()


def run_watch(
    settings: Settings, *, interval_s: float, lifetime_every_s: float | None,
    output: str | None, listen: HostPort | None, metrics_file: str | None,
    history_path: str | None, keep: int, run_checks: Callable[..., Any],
    fail: Callable[[str], NoReturn],
) -> int:
    """Run the watch loop until SIGTERM/SIGINT; exit code 0 after a clean stop."""
    from flexdiag.render.json import to_dict
    from flexdiag.render.metrics import Metrics

    try:
        store = History(Path(history_path) if history_path else default_path(), keep=keep)
        previous_run = store.latest()
    except HistoryError as exc:
        fail(str(exc))
    metrics = Metrics(__version__)
    if listen is not None:
        try:
            server = metrics.serve(listen.host, listen.port)
        except OSError as exc:
            fail(f"--metrics-listen {listen}: {exc.strerror or exc}")
        _log(f"metrics on http://{listen}/metrics")
    else:
        server = None
    try:
        sink: IO[str] = open(output, "a", encoding="utf-8") if output else sys.stdout
    except OSError as exc:
        fail(f"--output {output}: {exc.strerror or exc}")
    previous: dict[str, Any] | None = previous_run.report if previous_run else None

    def on_report(report: dict[str, Any]) -> None:
        nonlocal previous
        sink.write(json.dumps(report, ensure_ascii=False) + "\n")
        sink.flush()
        try:
            store.add(report)
        except Exception as exc:  # a full disk must not stop the monitoring
            _log(f"history not written: {exc}")
        metrics.update(report, time.time())
        if metrics_file:
            try:
                metrics.write_textfile(metrics_file)
            except OSError as exc:
                _log(f"metrics file not written: {exc}")
        for change in status_changes(previous, report):
            _log(change)
        previous = report

    def on_failure(exc: BaseException) -> None:
        metrics.run_failed()
        _log(f"run failed: {type(exc).__name__}: {exc}")

    async def main() -> int:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)

        async def once(with_lifetime: bool, interrupt: asyncio.Event) -> dict[str, Any]:
            report = await run_checks(settings, with_lifetime, None, interrupt)
            return to_dict(report)

        async def sleep(seconds: float) -> bool:
            try:
                await asyncio.wait_for(stop.wait(), seconds)
            except TimeoutError:
                return True
            return False

        plan = WatchPlan(interval_s, lifetime_every_s)
        _log(f"watching every {interval_s:g} s"
             + (f", lifetime every {lifetime_every_s:g} s" if lifetime_every_s else ""))
        runs = await watch(plan, once, on_report=on_report, on_failure=on_failure, stop=stop,
                           clock=loop.time, sleep=sleep)
        _log(f"stopped after {runs} run(s)")
        return 0

    try:
        return asyncio.run(main())
    finally:
        store.close()
        if output:
            sink.close()
        if server is not None:
            server.shutdown()


def show_history(path: str | None, limit: int, fail: Callable[[str], NoReturn]) -> int:
    """Print the recent runs, oldest first, with the status changes between them."""
    try:
        store = History(Path(path) if path else default_path(), create=False)
        runs = list(reversed(store.recent(limit + 1)))
    except HistoryError as exc:
        fail(str(exc))
    store.close()
    if not runs:
        sys.stdout.write("no runs recorded yet\n")
        return 0
    shown = runs[-limit:]
    before = runs[0].report if len(runs) > limit else None
    for run in shown:
        changes = status_changes(before, run.report)
        line = f"{run.started_at}  {run.status.upper():5}  {run.duration_s:6.1f} s"
        if changes:
            line += "  " + "; ".join(changes)
        sys.stdout.write(line + "\n")
        before = run.report
    return 0


def check_health(path: str | None, max_age_s: float) -> int:
    """Exit 0 when healthy, 1 when not; one line under 4 KiB either way."""
    try:
        store = History(Path(path) if path else default_path(), create=False)
        latest = store.latest()
        store.close()
    except HistoryError as exc:
        sys.stdout.write(f"unhealthy: {exc}"[:4000] + "\n")
        return 1
    report = latest.report if latest else None
    age = run_age_s(report, datetime.datetime.now(datetime.UTC)) if report else None
    healthy, line = assess_health(report, age, max_age_s)
    sys.stdout.write(line[:4000] + "\n")
    return 0 if healthy else 1

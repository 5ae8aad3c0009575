"""The long-running side behind ``flexdiag watch``, ``history`` and ``health``: wires the
watch loop (:mod:`flexdiag.watch`) to signals, the history file, the metrics endpoint or
textfile, and the JSON-lines output. Kept out of ``cli.py`` so that it stays thin."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import json
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from flexdiag import __version__
from flexdiag.history import History, HistoryError, Writer, default_path
from flexdiag.metrics_http import MetricsServer
from flexdiag.push import CLOSE_WAIT_S, Pusher, PushTarget, ReportPoster, ReportTarget, one_line
from flexdiag.render.metrics import Metrics
from flexdiag.render.safe import printable
from flexdiag.settings import HostPort, Settings
from flexdiag.watch import Carried, WatchPlan, assess_health, run_age_s, status_changes, watch


class ServiceError(Exception):
    """The watch, history or health command cannot start; the message is one line."""


def serve_metrics(metrics: Metrics, host: str, port: int) -> MetricsServer:
    """Serve ``/metrics`` over HTTP from a background thread; returns the server."""
    server = MetricsServer(metrics.registry, host, port).start()
    if ipaddress.ip_address(host).is_unspecified:
        _log(f"metrics on {host}:{port} are reachable from every network this host is on; "
             "give --metrics-listen an address to limit that")
    return server


def write_metrics_file(metrics: Metrics, path: str) -> None:
    """Write for node-exporter's textfile collector; atomic (temporary file + rename)."""
    from prometheus_client import write_to_textfile

    write_to_textfile(path, metrics.registry)


def _log(line: str) -> None:
    stamp = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    sys.stderr.write(f"{stamp.replace('+00:00', 'Z')} flexdiag: {line}\n")
    sys.stderr.flush()


class _Guard:
    """One outlet of the watch (the JSON lines, the metrics file): a failure is logged once,
    and once again when the outlet works again; it never stops the watch."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.failing = False

    def __call__(self, write: Callable[[], object]) -> None:
        try:
            write()
        except (OSError, ValueError) as exc:  # a full disk, /dev/full, a closed pipe
            if not self.failing:
                _log(f"{self.name} not written: {printable(one_line(exc))} (the watch goes "
                     "on; retried after every run)")
            self.failing = True
            return
        if self.failing:
            _log(f"{self.name} written again")
        self.failing = False


def _open_history(path: str | None, keep: int) -> tuple[History, Any]:
    """The history database and its latest run (``ServiceError``: it cannot be opened)."""
    try:
        store = History(Path(path) if path else default_path(), keep=keep)
        latest = store.latest()
        if store.skipped:
            _log(f"history {store.path}: skipped {store.skipped} unreadable run(s)")
    except HistoryError as exc:
        raise ServiceError(str(exc)) from None
    return store, latest


def _announce(what: str, whose: str, plain_http_auth: bool) -> None:
    """The start line of an HTTP outlet, and the warning when its password crosses the network
    readable."""
    _log(what)
    if plain_http_auth:
        _log(f"warning: basic auth over plain http: {whose} password crosses the network "
             "readable; use an https:// URL")


def _pusher(push: PushTarget | None, metrics: Metrics) -> Pusher | None:
    if push is None:
        return None
    _announce(f"pushing to {push.url} as site {push.site}", "the Pushgateway",
              push.plain_http_auth)
    return Pusher(push, metrics.registry, _log)


def _poster(report: ReportTarget | None) -> ReportPoster | None:
    if report is None:
        return None
    _announce(f"posting reports to {report.url}", "the report intake's",
              report.plain_http_auth)
    return ReportPoster(report, _log)


def _serve(metrics: Metrics, listen: HostPort | None) -> MetricsServer | None:
    """The metrics endpoint, where ``--metrics-listen`` asks for one."""
    if listen is None:
        return None
    try:
        server = serve_metrics(metrics, listen.host, listen.port)
    except OSError as exc:
        raise ServiceError(f"--metrics-listen {listen}: {exc.strerror or exc}") from None
    _log(f"metrics on http://{listen}/metrics")
    return server


def _sink(output: str | None) -> IO[bytes]:
    """Where the JSON lines go. Unbuffered: a write that fails (a full disk) leaves nothing
    behind to fail again with the next line."""
    try:
        return open(output, "ab", buffering=0) if output else sys.stdout.buffer  # noqa: SIM115
    except OSError as exc:
        raise ServiceError(f"--output {output}: {exc.strerror or exc}") from None


class Outlets:
    """Where every report of the watch loop goes: the JSON-lines sink, the history, the
    metrics (endpoint and textfile) and the status-change log. Opened by :meth:`open`
    (raising :class:`ServiceError` with one line when one cannot be), closed by
    :meth:`close`."""

    def __init__(self, store: History, metrics: Metrics, sink: IO[bytes], own_sink: bool,
                 server: Any, metrics_file: str | None,
                 previous: dict[str, Any] | None, pusher: Pusher | None = None,
                 poster: ReportPoster | None = None) -> None:
        self.writer = Writer(store, _log)
        self.metrics, self.sink = metrics, sink
        self.own_sink, self.server, self.metrics_file = own_sink, server, metrics_file
        self.previous = previous  # the last report, for status-change lines across restarts
        self.pusher = pusher
        self.poster = poster
        self._lines = _Guard("JSON lines (--output)" if own_sink else "JSON lines (stdout)")
        self._metrics_file = _Guard(f"metrics file {metrics_file}")
        self.closed = False

    @classmethod
    def open(cls, *, history_path: str | None, keep: int, listen: HostPort | None,
             output: str | None, metrics_file: str | None, site: str | None = None,
             push: PushTarget | None = None, report: ReportTarget | None = None) -> Outlets:
        store, latest = _open_history(history_path, keep)
        metrics = Metrics(__version__, site)
        pusher = _pusher(push, metrics)
        server = None
        try:
            server = _serve(metrics, listen)
            sink = _sink(output)
        except ServiceError:
            store.close()
            if server is not None:
                server.shutdown()
            raise
        return cls(store, metrics, sink, bool(output), server, metrics_file,
                   latest.report if latest else None, pusher, _poster(report))

    def report(self, report: dict[str, Any]) -> None:
        """Hand the report to every outlet; none of them can stop the watch or block the
        event loop (the history writes in its own thread, the push in its own)."""
        self.writer.add(report)
        line = (json.dumps(report, ensure_ascii=False) + "\n").encode("utf-8")
        self._lines(lambda: self._write_line(line))
        self.metrics.update(report, time.time())
        if self.metrics_file:
            metrics_file = self.metrics_file
            self._metrics_file(lambda: write_metrics_file(self.metrics, metrics_file))
        if self.pusher is not None:
            self.pusher.push()
        if self.poster is not None:
            self.poster.post(report)
        for change in status_changes(self.previous, report):
            _log(change)
        self.previous = report

    def failure(self, exc: BaseException) -> None:
        self.metrics.run_failed()
        _log(f"run failed: {type(exc).__name__}: {exc}")

    def _write_line(self, line: bytes) -> None:
        view = memoryview(line)
        while view:
            written = self.sink.write(view)
            if not written:
                raise OSError("nothing written")
            view = view[written:]
        self.sink.flush()

    def close(self) -> None:
        """Bounded: the last push (:data:`flexdiag.push.CLOSE_WAIT_S`), the waiting history
        rows (1 s), then the files and the metrics server. Idempotent."""
        if self.closed:
            return
        self.closed = True
        deadline = time.monotonic() + CLOSE_WAIT_S  # the push and the reports, side by side
        if self.poster is not None:
            self.poster.stop()
        if self.pusher is not None:
            self.pusher.close()
        if self.poster is not None:
            self.poster.close(max(0.0, deadline - time.monotonic()))
        self.writer.close()
        if self.own_sink:
            try:
                self.sink.close()
            except OSError:
                pass
        if self.server is not None:
            self.server.shutdown()


class _Signals:
    """The watch's signals, taken by a thread of their own with ``sigwait`` while every
    thread blocks them, from the moment the outlets are open until the process has ended.

    asyncio's handlers are removed with its loop, and Python resets every handler while it
    shuts down: either way a second SIGTERM in that window killed the watch (exit 143) after
    "stopped", its history possibly half-closed. A blocked signal cannot kill.

    SIGTERM, SIGINT and SIGHUP (a closed terminal, a supervisor's reload) stop the watch, each
    said in one line; another one says so and changes nothing. SIGUSR1/2, which would end the
    process silently by default, are said and ignored.
    """

    STOP = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP")
                 if hasattr(signal, name))
    IGNORED = (signal.SIGUSR1, signal.SIGUSR2)

    def __init__(self, grace_s: float) -> None:
        self.grace_s = grace_s
        self.stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._mask: set[int | signal.Signals] = set()

    def block(self) -> None:
        """Block the signals in this thread, and so in every thread started from now on
        (the outlets' threads among them): call before any of those starts."""
        self._mask = signal.pthread_sigmask(signal.SIG_BLOCK, self.STOP + self.IGNORED)

    def unblock(self) -> None:
        """Undo :meth:`block` (the watch did not start)."""
        signal.pthread_sigmask(signal.SIG_SETMASK, self._mask)

    def start(self) -> None:
        """Start the thread that waits for the signals."""
        threading.Thread(target=self._wait, name="flexdiag-signals", daemon=True).start()

    def attach(self, loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
        self._loop, self._stop = loop, stop
        if self.stopping:
            stop.set()

    def _wait(self) -> None:
        while True:
            signum = signal.sigwait(self.STOP + self.IGNORED)
            name = signal.Signals(signum).name
            if signum in self.IGNORED:
                _log(f"{name} ignored (SIGTERM stops the watch)")
                continue
            if self.stopping:
                _log(f"{name} again: already stopping")
                continue
            _log(f"{name}: stopping (the current run gets {self.grace_s:g} s)")
            self.stopping = True
            loop, stop = self._loop, self._stop
            if loop is not None and stop is not None:
                try:
                    loop.call_soon_threadsafe(stop.set)
                except RuntimeError:  # the loop has closed: nothing left to stop
                    pass


async def _watch_until_signalled(settings: Settings, plan: WatchPlan, outlets: Outlets,
                                 signals: _Signals, argv: Sequence[str] = ()) -> int:
    from flexdiag.checks import deferred_checks
    from flexdiag.render.json import to_dict
    from flexdiag.runner import run_interruptible

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals.attach(loop, stop)
    carried = Carried()
    carried.seed(outlets.previous)

    async def once(slow: bool, interrupt: asyncio.Event) -> dict[str, Any]:
        if slow:  # only what the quick runs leave unmeasured, on sockets of its own
            report = await run_interruptible(settings, True, None, interrupt, argv=argv,
                                             checks=deferred_checks(settings))
        else:
            report = await run_interruptible(settings, False, None, interrupt, argv=argv,
                                             carried=carried.now(time.time()))
        return to_dict(report)

    def on_slow(report: dict[str, Any]) -> None:
        taken = carried.keep(report, time.time())
        _log("slow run done: " + (", ".join(
            f"{c['id']} {c['status']}" for c in report["checks"] if c["id"] in taken)
            or "nothing measured"))

    async def sleep(seconds: float) -> bool:
        try:
            await asyncio.wait_for(stop.wait(), seconds)
        except TimeoutError:
            return True
        return False

    _log(f"watching every {plan.interval_s:g} s"
         + (f", lifetime every {plan.lifetime_every_s:g} s" if plan.lifetime_every_s else ""))
    try:
        runs = await watch(plan, once, on_report=outlets.report, on_failure=outlets.failure,
                           stop=stop, clock=loop.time, sleep=sleep, on_slow=on_slow)
    finally:
        # Closed while the signal handlers are still ours: a second SIGTERM now is said,
        # not a kill between "stopped" and a history left half-closed.
        await asyncio.to_thread(outlets.close)
    _log(f"stopped after {runs} run(s)")
    return 0


def run_watch(
    settings: Settings, *, interval_s: float, lifetime_every_s: float | None,
    output: str | None, listen: HostPort | None, metrics_file: str | None,
    history_path: str | None, keep: int, site: str | None = None,
    push: PushTarget | None = None, argv: Sequence[str] = (),
    report: ReportTarget | None = None,
) -> int:
    """Run the watch loop until SIGTERM/SIGINT; exit code 0 after a clean stop. Raises
    :class:`ServiceError` when it cannot start."""
    plan = WatchPlan(interval_s, lifetime_every_s)
    signals = _Signals(plan.stop_grace_s)
    signals.block()
    try:
        outlets = Outlets.open(history_path=history_path, keep=keep, listen=listen,
                               output=output, metrics_file=metrics_file, site=site, push=push,
                               report=report)
    except BaseException:
        signals.unblock()
        raise
    signals.start()
    try:
        return asyncio.run(_watch_until_signalled(settings, plan, outlets, signals, argv))
    finally:
        outlets.close()


def show_history(path: str | None, limit: int) -> int:
    """Print the recent runs, oldest first, with the status changes between them."""
    try:
        store = History(Path(path) if path else default_path(), create=False)
        runs = list(reversed(store.recent(limit + 1)))
    except HistoryError as exc:
        raise ServiceError(str(exc)) from None
    store.close()
    if store.skipped:
        _log(f"history {store.path}: skipped {store.skipped} unreadable run(s)")
    if not runs:
        sys.stdout.write("no runs recorded yet\n")
        return 0
    shown = runs[-limit:]
    before = runs[0].report if len(runs) > limit else None
    sys.stdout.write(f"{'started (UTC)':<20}  {'status':5}  {'duration':>8}  changes\n")
    for run in shown:
        changes = status_changes(before, run.report)
        line = f"{run.started_at}  {run.status.upper():5}  {run.duration_s:6.1f} s"
        if changes:
            line += "  " + "; ".join(changes)
        sys.stdout.write(line + "\n")
        before = run.report
    return 0


def check_health(path: str | None, max_age_s: float, verdict: bool = False) -> int:
    """Exit 0 when healthy (``verdict``: ready), 1 when not; one line under 4 KiB either
    way."""
    try:
        store = History(Path(path) if path else default_path(), create=False)
        latest = store.latest()
        store.close()
    except HistoryError as exc:
        sys.stdout.write(f"unhealthy: {exc}"[:4000] + "\n")
        return 1
    except Exception as exc:  # the contract is 0 or 1, whatever the file holds
        sys.stdout.write(f"unhealthy: history unreadable: {type(exc).__name__}"[:4000] + "\n")
        return 1
    report = latest.report if latest else None
    age = run_age_s(report, datetime.datetime.now(datetime.UTC)) if report else None
    healthy, line = assess_health(report, age, max_age_s, verdict)
    sys.stdout.write(line[:4000] + "\n")
    return 0 if healthy else 1

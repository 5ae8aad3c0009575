"""The long-running side behind ``flexdiag watch``, ``history`` and ``health``: wires the
watch loop (:mod:`flexdiag.watch`) to signals, the history file, the metrics endpoint or
textfile, and the JSON-lines output. Kept out of ``cli.py`` so that it stays thin."""

from __future__ import annotations

import asyncio
import datetime
import http.server
import ipaddress
import json
import signal
import socket
import socketserver
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from flexdiag import __version__
from flexdiag.history import History, HistoryError, default_path
from flexdiag.render.metrics import Metrics
from flexdiag.settings import HostPort, Settings
from flexdiag.watch import WatchPlan, assess_health, run_age_s, status_changes, watch


class ServiceError(Exception):
    """The watch, history or health command cannot start; the message is one line."""


METRICS_MAX_CONNECTIONS = 16  # served at once; more are closed at once, not queued forever
METRICS_TIMEOUT_S = 5.0  # per connection: a client that sends nothing is dropped
METRICS_BACKLOG = 64
PUSH_JOB = "flexdiag"  # the Pushgateway's job label; the grouping key adds the site
PUSH_TIMEOUT_S = 10.0  # one push, connection included


class _MetricsHandler(http.server.BaseHTTPRequestHandler):
    server: _MetricsServer

    def setup(self) -> None:
        super().setup()
        # StreamRequestHandler.setup applies the class's timeout; this server's instead.
        self.connection.settimeout(self.server.connection_timeout_s)

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        if self.path.split("?", 1)[0] != "/metrics":
            self.send_error(404, "only /metrics is served here")
            return
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        body = generate_latest(self.server.registry)
        self.send_response(200)
        self.send_header("Content-Type", CONTENT_TYPE_LATEST)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # scrapes are not news


class _MetricsServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """``/metrics`` only, with bounded connections and per-connection timeouts (the stdlib's
    threading server, and prometheus_client's, hold one thread per connection forever)."""

    daemon_threads = True
    request_queue_size = METRICS_BACKLOG

    def __init__(self, address: tuple[str, int], registry: Any,
                 connection_timeout_s: float = METRICS_TIMEOUT_S) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.registry = registry
        self.connection_timeout_s = connection_timeout_s
        self._slots = threading.BoundedSemaphore(METRICS_MAX_CONNECTIONS)
        super().__init__(address, _MetricsHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            self.shutdown_request(request)  # full: refuse now rather than pile up threads
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


def serve_metrics(metrics: Metrics, host: str, port: int) -> Any:
    """Serve ``/metrics`` over HTTP from a background thread; returns the server."""
    server = _MetricsServer((host, port), metrics.registry)
    threading.Thread(target=server.serve_forever, name="flexdiag-metrics", daemon=True).start()
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


@dataclass(frozen=True)
class PushTarget:
    """Where ``watch --pushgateway`` pushes: the gateway's URL, the site (the grouping key),
    and optional basic-auth credentials."""

    url: str
    site: str
    user: str | None = None
    password: str | None = None


class Pusher:
    """Pushes the exposed metrics to a Prometheus Pushgateway after every run (sites behind
    NAT cannot be scraped), under the job ``flexdiag`` and the grouping key ``site``.

    Each push runs in a thread of its own, one at a time, bounded by :data:`PUSH_TIMEOUT_S`:
    a slow or failing gateway delays no run and never stops the watch. A push that fails is
    logged once (and again when pushing works again); the next run's push carries the newer
    state, and the gateway keeps serving the last good one meanwhile, its
    ``push_time_seconds`` showing how old it is.
    """

    def __init__(self, target: PushTarget, registry: Any) -> None:
        self.target, self.registry = target, registry
        self._thread: threading.Thread | None = None
        self.failing = False
        self.pushed = 0

    def push(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return  # the previous push is still under way; the next run pushes again
        self._thread = threading.Thread(target=self._push, name="flexdiag-push", daemon=True)
        self._thread.start()

    def _push(self) -> None:
        from prometheus_client import push_to_gateway
        from prometheus_client.exposition import basic_auth_handler, default_handler

        target = self.target

        def handler(url: str, method: str, timeout: float | None,
                    headers: list[tuple[str, str]], data: bytes) -> Callable[[], None]:
            if target.user is None:
                return default_handler(url, method, timeout, headers, data)
            return basic_auth_handler(url, method, timeout, headers, data, target.user,
                                      target.password)

        try:
            push_to_gateway(target.url, job=PUSH_JOB, registry=self.registry,
                            grouping_key={"site": target.site}, timeout=PUSH_TIMEOUT_S,
                            handler=handler)
        except Exception as exc:  # any failure: logged, retried after the next run
            if not self.failing:
                _log(f"push to {target.url} failed: {_one_line(exc)} (retried after every "
                     "run)")
            self.failing = True
            return
        if self.failing:
            _log(f"push to {target.url} works again")
        self.failing = False
        self.pushed += 1

    def close(self) -> None:
        """Wait (bounded) for the last push, so that a stopping watch's last run arrives."""
        if self._thread is not None:
            self._thread.join(PUSH_TIMEOUT_S + 1)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]


class Outlets:
    """Where every report of the watch loop goes: the JSON-lines sink, the history, the
    metrics (endpoint and textfile) and the status-change log. Opened by :meth:`open`
    (raising :class:`ServiceError` with one line when one cannot be), closed by
    :meth:`close`."""

    def __init__(self, store: History, metrics: Metrics, sink: IO[str], own_sink: bool,
                 server: Any, metrics_file: str | None,
                 previous: dict[str, Any] | None, pusher: Pusher | None = None) -> None:
        self.store, self.metrics, self.sink = store, metrics, sink
        self.own_sink, self.server, self.metrics_file = own_sink, server, metrics_file
        self.previous = previous  # the last report, for status-change lines across restarts
        self.pusher = pusher

    @classmethod
    def open(cls, *, history_path: str | None, keep: int, listen: HostPort | None,
             output: str | None, metrics_file: str | None, site: str | None = None,
             push: PushTarget | None = None) -> Outlets:
        try:
            store = History(Path(history_path) if history_path else default_path(), keep=keep)
            latest = store.latest()
            if store.skipped:
                _log(f"history {store.path}: skipped {store.skipped} unreadable run(s)")
        except HistoryError as exc:
            raise ServiceError(str(exc)) from None
        metrics = Metrics(__version__, site)
        pusher = Pusher(push, metrics.registry) if push is not None else None
        if push is not None:
            _log(f"pushing to {push.url} as site {push.site}")
        server = None
        try:
            if listen is not None:
                try:
                    server = serve_metrics(metrics, listen.host, listen.port)
                except OSError as exc:
                    raise ServiceError(
                        f"--metrics-listen {listen}: {exc.strerror or exc}") from None
                _log(f"metrics on http://{listen}/metrics")
            try:
                sink: IO[str] = open(output, "a", encoding="utf-8") if output else sys.stdout
            except OSError as exc:
                raise ServiceError(f"--output {output}: {exc.strerror or exc}") from None
        except ServiceError:
            store.close()
            if server is not None:
                server.shutdown()
            raise
        return cls(store, metrics, sink, bool(output), server, metrics_file,
                   latest.report if latest else None, pusher)

    def report(self, report: dict[str, Any]) -> None:
        try:
            self.store.add(report)
        except Exception as exc:  # a full disk must not stop the monitoring
            _log(f"history not written: {exc}")
        self.sink.write(json.dumps(report, ensure_ascii=False) + "\n")
        self.sink.flush()
        self.metrics.update(report, time.time())
        if self.metrics_file:
            try:
                write_metrics_file(self.metrics, self.metrics_file)
            except OSError as exc:
                _log(f"metrics file not written: {exc}")
        if self.pusher is not None:
            self.pusher.push()
        for change in status_changes(self.previous, report):
            _log(change)
        self.previous = report

    def failure(self, exc: BaseException) -> None:
        self.metrics.run_failed()
        _log(f"run failed: {type(exc).__name__}: {exc}")

    def close(self) -> None:
        if self.pusher is not None:
            self.pusher.close()
        self.store.close()
        if self.own_sink:
            self.sink.close()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


async def _watch_until_signalled(settings: Settings, plan: WatchPlan, outlets: Outlets) -> int:
    from flexdiag.render.json import to_dict
    from flexdiag.runner import run_interruptible

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    # SIGHUP too: a closed terminal or a supervisor's reload stops the watch cleanly, with
    # its "stopped" line, instead of killing it mid-run.
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        loop.add_signal_handler(signum, stop.set)

    async def once(with_lifetime: bool, interrupt: asyncio.Event) -> dict[str, Any]:
        return to_dict(await run_interruptible(settings, with_lifetime, None, interrupt))

    async def sleep(seconds: float) -> bool:
        try:
            await asyncio.wait_for(stop.wait(), seconds)
        except TimeoutError:
            return True
        return False

    _log(f"watching every {plan.interval_s:g} s"
         + (f", lifetime every {plan.lifetime_every_s:g} s" if plan.lifetime_every_s else ""))
    runs = await watch(plan, once, on_report=outlets.report, on_failure=outlets.failure,
                       stop=stop, clock=loop.time, sleep=sleep)
    _log(f"stopped after {runs} run(s)")
    return 0


def run_watch(
    settings: Settings, *, interval_s: float, lifetime_every_s: float | None,
    output: str | None, listen: HostPort | None, metrics_file: str | None,
    history_path: str | None, keep: int, site: str | None = None,
    push: PushTarget | None = None,
) -> int:
    """Run the watch loop until SIGTERM/SIGINT; exit code 0 after a clean stop. Raises
    :class:`ServiceError` when it cannot start."""
    outlets = Outlets.open(history_path=history_path, keep=keep, listen=listen, output=output,
                           metrics_file=metrics_file, site=site, push=push)
    try:
        return asyncio.run(_watch_until_signalled(
            settings, WatchPlan(interval_s, lifetime_every_s), outlets))
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


def check_health(path: str | None, max_age_s: float) -> int:
    """Exit 0 when healthy, 1 when not; one line under 4 KiB either way."""
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
    healthy, line = assess_health(report, age, max_age_s)
    sys.stdout.write(line[:4000] + "\n")
    return 0 if healthy else 1

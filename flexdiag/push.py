"""What leaves a site over HTTP: ``watch --pushgateway`` (the metrics PUT to a Prometheus
Pushgateway after every run, for sites behind NAT that cannot be scraped) and ``watch
--report-url`` (every JSON report, with its plan, POSTed to an operator's intake).

prometheus_client builds the request (path, grouping key, exposition format); the HTTP exchange
is flexdiag's own, so that it has a *total* deadline: urllib's timeout bounds each socket
operation, and a gateway that trickles a byte every few seconds (a slow-loris, or a proxy that
hangs) would hold the push forever. Here a watchdog shuts the socket down when the deadline
comes, whatever the exchange is doing.

Every line a gateway can influence (its status text, an error) is logged through
:func:`flexdiag.render.safe.printable`: ``docker logs`` shows it on a terminal.
"""

from __future__ import annotations

import base64
import collections
import http.client
import json
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flexdiag.render.safe import printable

PUSH_JOB = "flexdiag"  # the Pushgateway's job label; the grouping key adds the site
PUSH_DEADLINE_S = 5.0  # one push, start to end: connection, request and answer
CLOSE_WAIT_S = 2.0  # how long a stopping watch waits for its last push
MAX_ANSWER_BYTES = 64 * 1024  # of a gateway's answer body that is read (for the log line)


@dataclass(frozen=True)
class PushTarget:
    """Where ``watch --pushgateway`` pushes: the gateway's URL, the site (the grouping key),
    and optional basic-auth credentials."""

    url: str
    site: str
    user: str | None = None
    password: str | None = None

    @property
    def plain_http_auth(self) -> bool:
        """Basic auth over plain http: the password crosses the network readable."""
        return plain_http_auth(self.url, self.user)


def plain_http_auth(url: str, user: str | None) -> bool:
    """Basic auth over plain http: the password crosses the network readable."""
    return user is not None and url.lower().startswith("http://")


def basic_auth(user: str | None, password: str | None) -> list[tuple[str, str]]:
    """The RFC 7617 ``Authorization`` header, or none."""
    if user is None:
        return []
    token = f"{user}:{password or ''}".encode()
    return [("Authorization", "Basic " + base64.b64encode(token).decode())]


class PushError(Exception):
    """One push failed; the message is one printable line."""


def put(url: str, body: bytes, headers: list[tuple[str, str]], deadline_s: float,
        method: str = "PUT") -> int:
    """Send ``body`` to ``url``; the HTTP status, or :class:`PushError`. Everything — DNS,
    connect, TLS, sending, the answer — ends by ``deadline_s`` from now."""
    parts = urllib.parse.urlsplit(url)
    secure = parts.scheme == "https"
    host = parts.hostname or ""
    port = parts.port or (443 if secure else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    end = time.monotonic() + deadline_s
    conn: http.client.HTTPConnection = (
        http.client.HTTPSConnection(host, port, timeout=deadline_s) if secure
        else http.client.HTTPConnection(host, port, timeout=deadline_s))
    expired = threading.Event()

    def watchdog() -> None:
        expired.set()
        sock = conn.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes a blocked send or recv at once
            except OSError:
                pass

    timer = threading.Timer(deadline_s, watchdog)
    timer.daemon = True
    timer.start()
    try:
        conn.request(method, path, body=body, headers=dict(headers))
        response = conn.getresponse()
        answer = response.read(MAX_ANSWER_BYTES)
        if expired.is_set() or time.monotonic() > end:
            raise PushError(f"no complete answer within {deadline_s:g} s")
        if response.status >= 400:
            text = " ".join(answer.decode("utf-8", "replace").split())[:200]
            reason = " ".join(str(response.reason).split())[:100]
            raise PushError(printable(f"HTTP {response.status} {reason}"
                                      + (f": {text}" if text else "")))
        return int(response.status)
    except PushError:
        raise
    except (OSError, http.client.HTTPException, ValueError) as exc:
        if expired.is_set():
            raise PushError(f"no complete answer within {deadline_s:g} s (the gateway "
                            "hangs)") from None
        raise PushError(printable(one_line(exc))) from None
    finally:
        timer.cancel()
        conn.close()


def one_line(exc: BaseException) -> str:
    """An exception as one log line: whitespace folded, at most 300 characters."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]


class Pusher:
    """Pushes the exposed metrics to a Prometheus Pushgateway after every run, under the job
    ``flexdiag`` and the grouping key ``site``.

    Each push runs in a thread of its own, one at a time, bounded by :data:`PUSH_DEADLINE_S`:
    a slow or failing gateway delays no run and never stops the watch. A push that fails is
    logged in one line (once, and once again when pushing works again), saying how many later
    pushes were skipped because it had not ended; the next run's push carries the newer state,
    and the gateway keeps serving the last good one meanwhile, its ``push_time_seconds``
    showing how old it is.
    """

    def __init__(self, target: PushTarget, registry: Any, log: Callable[[str], None],
                 deadline_s: float = PUSH_DEADLINE_S) -> None:
        self.target, self.registry, self.log = target, registry, log
        self.deadline_s = deadline_s
        self._thread: threading.Thread | None = None
        self.failing = False
        self.skipped = 0  # pushes skipped while the previous one had not ended
        self.pushed = 0

    def push(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            self.skipped += 1  # said with the push's failure, if it fails
            return
        self._thread = threading.Thread(target=self._push, name="flexdiag-push", daemon=True)
        self._thread.start()

    def _push(self) -> None:
        from prometheus_client import push_to_gateway

        target = self.target

        def handler(url: str, method: str, timeout: float | None,
                    headers: list[tuple[str, str]], data: bytes) -> Callable[[], None]:
            # prometheus_client builds the URL (grouping key), body and headers; the
            # exchange is ours, for its total deadline.
            def send() -> None:
                put(url, data, [*headers, *basic_auth(target.user, target.password)],
                    self.deadline_s, method)

            return send

        try:
            push_to_gateway(target.url, job=PUSH_JOB, registry=self.registry,
                            grouping_key={"site": target.site}, timeout=self.deadline_s,
                            handler=handler)
        except Exception as exc:  # any failure: logged once, retried after the next run
            if not self.failing:
                skipped = (f"{self.skipped} later push(es) skipped meanwhile; "
                           if self.skipped else "")
                self.log(f"push to {target.url} failed: {printable(str(exc))} "
                         f"({skipped}retried after every run)")
            self.failing = True
            self.skipped = 0
            return
        self.skipped = 0
        if self.failing:
            self.log(f"push to {target.url} works again")
        self.failing = False
        self.pushed += 1

    def close(self, wait_s: float = CLOSE_WAIT_S) -> None:
        """Wait (bounded) for the last push, so that a stopping watch's last run arrives;
        one that has not ended by then is said, once."""
        if self._thread is not None:
            self._thread.join(wait_s)
            if self._thread.is_alive() and not self.failing:
                skipped = (f"; {self.skipped} later push(es) skipped meanwhile"
                           if self.skipped else "")
                self.log(f"push to {self.target.url} abandoned at stop: no answer within "
                         f"{wait_s:g} s{skipped}")


REPORT_QUEUE = 100  # reports held while the intake fails (then the oldest is dropped)
REPORT_BACKOFF_S = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0)  # between attempts, then every 60 s


@dataclass(frozen=True)
class ReportTarget:
    """Where ``watch --report-url`` POSTs each report; the site goes in a header
    (``X-Flexdiag-Site``), the credentials in basic auth."""

    url: str
    site: str | None = None
    user: str | None = None
    password: str | None = None

    @property
    def plain_http_auth(self) -> bool:
        return plain_http_auth(self.url, self.user)


class ReportPoster:
    """POSTs every report (the JSON contract, its plan included) to an HTTP intake, in order,
    from a thread of its own: the schedule never waits for it.

    Reports wait in a bounded queue (:data:`REPORT_QUEUE`; when full the oldest is dropped and
    counted). A report the intake refuses or does not take is retried with backoff
    (:data:`REPORT_BACKOFF_S`), the newer ones waiting behind it; each attempt is bounded by
    the push deadline. Trouble is logged once, and once again when posting works again
    (with how many reports were dropped meanwhile).
    """

    def __init__(self, target: ReportTarget, log: Callable[[str], None],
                 deadline_s: float = PUSH_DEADLINE_S,
                 backoff_s: tuple[float, ...] = REPORT_BACKOFF_S) -> None:
        self.target, self.log = target, log
        self.deadline_s, self.backoff_s = deadline_s, backoff_s
        self.queue: collections.deque[bytes] = collections.deque()
        self.cond = threading.Condition()
        self.closing = False
        self.failing = False
        self.dropped = 0
        self.posted = 0
        self._thread = threading.Thread(target=self._run, name="flexdiag-report", daemon=True)
        self._thread.start()

    def post(self, report: dict[str, Any]) -> None:
        """Queue a report (never blocks)."""
        body = json.dumps(report, ensure_ascii=False).encode("utf-8")
        with self.cond:
            if len(self.queue) >= REPORT_QUEUE:
                self.queue.popleft()
                self.dropped += 1
            self.queue.append(body)
            self.cond.notify()

    def _headers(self) -> list[tuple[str, str]]:
        headers = [("Content-Type", "application/json")]
        if self.target.site is not None:
            headers.append(("X-Flexdiag-Site", self.target.site))
        return headers + basic_auth(self.target.user, self.target.password)

    def _next(self) -> bytes | None:
        with self.cond:
            while not self.queue and not self.closing:
                self.cond.wait()
            return self.queue[0] if self.queue else None

    def _run(self) -> None:
        attempt = 0
        while (body := self._next()) is not None:
            try:
                put(self.target.url, body, self._headers(), self.deadline_s, "POST")
            except PushError as exc:
                self._failed(exc)
                if self.closing:
                    return
                with self.cond:  # back off; a stop ends the wait
                    self.cond.wait(self.backoff_s[min(attempt, len(self.backoff_s) - 1)])
                attempt += 1
                continue
            attempt = 0
            with self.cond:
                self.queue.popleft()
            self._worked()

    def _failed(self, exc: PushError) -> None:
        if not self.failing:
            self.log(f"report to {self.target.url} not taken: {printable(str(exc))} "
                     "(retried with backoff; reports wait meanwhile)")
        self.failing = True

    def _worked(self) -> None:
        self.posted += 1
        if self.failing:
            dropped = f" ({self.dropped} report(s) dropped meanwhile)" if self.dropped else ""
            self.log(f"report to {self.target.url} works again{dropped}")
            self.dropped = 0
        self.failing = False

    def stop(self) -> None:
        """No more backoff: post what is queued, then end (see :meth:`close`)."""
        with self.cond:
            self.closing = True
            self.cond.notify_all()

    def close(self, wait_s: float = CLOSE_WAIT_S) -> None:
        """Post what is queued within ``wait_s``, then give up (said, once)."""
        self.stop()
        self._thread.join(wait_s)
        left = len(self.queue)
        if left and not self.failing:
            self.log(f"report to {self.target.url}: {left} report(s) not posted at stop")

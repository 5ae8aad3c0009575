"""``watch --pushgateway``: the metrics PUT to a Prometheus Pushgateway after every run, for
sites behind NAT that cannot be scraped.

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
import http.client
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
        return self.user is not None and self.url.lower().startswith("http://")


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
                sent = list(headers)
                if target.user is not None:  # RFC 7617 basic auth
                    token = f"{target.user}:{target.password or ''}".encode()
                    sent.append(("Authorization", "Basic " + base64.b64encode(token).decode()))
                put(url, data, sent, self.deadline_s, method)

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

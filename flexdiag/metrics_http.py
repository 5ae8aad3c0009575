"""``watch --metrics-listen``: ``/metrics`` over HTTP for Prometheus to scrape.

An asyncio server on an event loop of its own (a thread), so that a connection costs a small
task, not a thread: clients that connect and send nothing (a port scanner, a half-open load
balancer probe, an attacker) wait out their own timeout without holding up anybody else's
scrape. (The stdlib's threading server with a cap made the 17th client wait for the 16 idle
ones.) One request per connection (HTTP/1.1 with ``Connection: close``, RFC 9112 §9.6); only
``GET``/``HEAD /metrics``.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Any

CONNECTION_TIMEOUT_S = 5.0  # per connection, to send its request head
MAX_CONNECTIONS = 512  # open at once; beyond it a new connection is closed at once
MAX_HEAD_BYTES = 8192  # request line and headers


class MetricsServer:
    """Serves ``registry`` on ``host:port``; :meth:`start` binds (raising ``OSError`` here, in
    the caller's thread) and serves from a background thread; :meth:`shutdown` stops it."""

    def __init__(self, registry: Any, host: str, port: int,
                 connection_timeout_s: float = CONNECTION_TIMEOUT_S,
                 max_connections: int = MAX_CONNECTIONS) -> None:
        self.registry = registry
        self.connection_timeout_s = connection_timeout_s
        self.max_connections = max_connections
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._sock = socket.create_server((host, port), family=family, backlog=128)
        self.server_address: tuple[str, int] = self._sock.getsockname()[:2]
        self._loop = asyncio.new_event_loop()
        self._open = 0
        self._tasks: set[asyncio.Task[Any]] = set()
        self._ready = threading.Event()
        self._server: asyncio.base_events.Server | None = None
        self._thread = threading.Thread(target=self._run, name="flexdiag-metrics", daemon=True)

    def start(self) -> MetricsServer:
        self._thread.start()
        self._ready.wait(5)
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def serve() -> None:
            self._server = await asyncio.start_server(self._handle, sock=self._sock,
                                                      limit=MAX_HEAD_BYTES)
            self._ready.set()

        self._loop.run_until_complete(serve())
        self._loop.run_forever()
        # Stopped: end every connection's task, so that nothing is left on a closed loop.
        for task in self._tasks:
            task.cancel()
        self._loop.run_until_complete(asyncio.gather(*self._tasks, return_exceptions=True))
        self._loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._open >= self.max_connections:
            writer.close()
            return
        self._open += 1
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            async with asyncio.timeout(self.connection_timeout_s):
                head = await reader.readuntil(b"\r\n\r\n")
                writer.write(self._answer(head))
                await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                ConnectionError, OSError):
            pass
        finally:
            self._open -= 1
            self._tasks.discard(task)
            writer.close()

    def _answer(self, head: bytes) -> bytes:
        parts = head.split(b"\r\n", 1)[0].split()
        method = parts[0] if parts else b""
        path = parts[1].split(b"?", 1)[0] if len(parts) > 1 else b""
        if method not in (b"GET", b"HEAD"):
            return _response(405, "Method Not Allowed", b"only GET /metrics\n", "text/plain")
        if path != b"/metrics":
            return _response(404, "Not Found", b"only /metrics is served here\n",
                             "text/plain")
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        body = generate_latest(self.registry)
        return _response(200, "OK", body, CONTENT_TYPE_LATEST, head_only=method == b"HEAD")

    def shutdown(self) -> None:
        """Stop serving and close the socket (bounded)."""
        def stop() -> None:
            if self._server is not None:
                self._server.close()
            self._loop.stop()

        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(stop)
            self._thread.join(2)
        self._sock.close()

    server_close = shutdown  # the stdlib server's name for the second half


def _response(status: int, reason: str, body: bytes, content_type: str,
              head_only: bool = False) -> bytes:
    head = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    return head + (b"" if head_only else body)

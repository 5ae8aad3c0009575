"""Issue #21: nothing a sink, a peer or a signal does stops the watch, loses a row, freezes the
event loop or ends a process silently. Each case as it was observed, with its before."""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.commands import ENV, in_process
from tests.fakes import platform_in_thread


def _watch(tmp_path: Path, fake: Any, *args: str,
           env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "flexdiag", "watch", "--interval", "1", "--history",
         str(tmp_path / "h.sqlite"), *args, *fake.args()],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env or ENV)


def _rows(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT count(*) FROM runs").fetchone()[0])


def _stop(watcher: subprocess.Popen[str]) -> tuple[str, str, float]:
    """SIGTERM, then wait: (stdout, stderr, seconds the stop took)."""
    started = time.monotonic()
    watcher.send_signal(signal.SIGTERM)
    out, err = watcher.communicate(timeout=30)
    return out, err, time.monotonic() - started


def _lines_until(watcher: subprocess.Popen[str], count: int) -> list[str]:
    assert watcher.stdout is not None
    return [watcher.stdout.readline() for _ in range(count)]


def test_a_full_disk_under_output_never_ends_the_watch(tmp_path: Path) -> None:
    """Before: `watch --output /dev/full` ended the watch for good, exit 3."""
    with platform_in_thread() as fake:
        watcher = _watch(tmp_path, fake, "--output", "/dev/full")
        time.sleep(3.5)  # three runs or so, each failing to write its line
        _, err, _ = _stop(watcher)
    assert watcher.returncode == 0, err
    assert err.count("JSON lines (--output) not written") == 1, err  # once, not every run
    assert "No space left on device" in err and "Traceback" not in err
    runs = int(err.split("stopped after ")[1].split()[0])
    assert runs >= 2 and _rows(tmp_path / "h.sqlite") == runs  # the history has every run


def test_a_locked_history_loses_no_row_and_freezes_nothing(tmp_path: Path) -> None:
    """Before: while another writer held the history (60 s), every run was lost (11 of 11),
    each waiting out sqlite's 5 s busy timeout inside the event loop."""
    history = tmp_path / "h.sqlite"
    with platform_in_thread() as fake:
        watcher = _watch(tmp_path, fake)
        first = _lines_until(watcher, 1)
        holder = sqlite3.connect(history, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")  # a backup or a hand-run sqlite3 holding it
        locked_at = time.monotonic()
        during = _lines_until(watcher, 4)  # the schedule goes on while it is locked
        locked_for = time.monotonic() - locked_at
        holder.execute("COMMIT")
        holder.close()
        after = _lines_until(watcher, 2)
        out, err, took = _stop(watcher)
    assert watcher.returncode == 0, err
    lines = [json.loads(x) for x in first + during + after + out.splitlines() if x.strip()]
    assert 3.0 < locked_for < 6.5, locked_for  # one run a second, no 5 s stalls per run
    assert err.count("not written: database is locked") == 1, err
    assert "written again" in err
    assert _rows(history) == len(lines), err  # no lost row
    assert took < 10


class _SlowLoris:
    """A gateway that accepts, then answers one byte every ``every_s`` forever."""

    def __init__(self, every_s: float = 0.5) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.every_s = every_s
        self.stopped = threading.Event()
        self.accepted = 0
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(1)
            try:
                conn.recv(65536)
                for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 10_000:
                    if self.stopped.wait(self.every_s):
                        return
                    conn.sendall(bytes([byte]))
            except OSError:
                return

    def close(self) -> None:
        self.stopped.set()
        self.sock.close()


@pytest.fixture
def slow_loris() -> Iterator[_SlowLoris]:
    gateway = _SlowLoris()
    try:
        yield gateway
    finally:
        gateway.close()


def test_a_slow_loris_gateway_is_abandoned_at_the_push_deadline(slow_loris: _SlowLoris) -> None:
    """Before: one byte every 3 s hung the push thread forever (urllib's timeout is per
    socket operation), later pushes were skipped without a line."""
    from flexdiag.push import Pusher, PushTarget
    from flexdiag.render.metrics import Metrics

    said: list[str] = []
    pusher = Pusher(PushTarget(slow_loris.url, "ams-01"), Metrics("0", "ams-01").registry,
                    said.append, deadline_s=1.0)
    started = time.monotonic()
    pusher.push()
    pusher.push()  # while the first hangs
    pusher.push()
    pusher.close(wait_s=3)
    took = time.monotonic() - started
    assert took < 2.0, took
    assert pusher.failing and pusher.pushed == 0
    # One line for one trouble (before: "skipped" and "failed" in the same second).
    assert said == [f"push to {slow_loris.url} failed: no complete answer within 1 s (the "
                    "gateway hangs) (2 later push(es) skipped meanwhile; retried after every "
                    "run)"], said


def test_a_watch_pushing_to_a_slow_loris_stops_well_within_10_s(slow_loris: _SlowLoris,
                                                                tmp_path: Path) -> None:
    """Before: SIGTERM took 11.3 s (beyond `docker stop`'s default 10 s)."""
    with platform_in_thread() as fake:
        watcher = _watch(tmp_path, fake, "--pushgateway", slow_loris.url, "--site", "ams-01")
        _lines_until(watcher, 2)
        _, err, took = _stop(watcher)
    assert watcher.returncode == 0, err
    assert took < 8, (took, err)
    # One line: the push that hung, abandoned at the stop, with the skips in it.
    assert err.count("push to") == 1 and "abandoned at stop" in err, err


def test_a_gateways_text_is_escaped_in_the_log(tmp_path: Path) -> None:
    """Escape sequences in a gateway's answer reach `docker logs` on a terminal."""
    import http.server

    class Evil(http.server.BaseHTTPRequestHandler):
        def do_PUT(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            body = b"\x1b[2J\x1b]0;owned\x07 bad \x00\xff"
            self.send_response(400, "Bad \x1b[31mRequest")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    from flexdiag.push import Pusher, PushTarget
    from flexdiag.render.metrics import Metrics

    server = http.server.HTTPServer(("127.0.0.1", 0), Evil)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    said: list[str] = []
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        pusher = Pusher(PushTarget(url, "x"), Metrics("0", "x").registry, said.append)
        pusher.push()
        pusher.close()
    finally:
        server.shutdown()
        server.server_close()
    (line,) = said
    assert "HTTP 400" in line and "\\x1b" in line
    assert not any(ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f for c in line), repr(line)


def test_a_second_sigterm_while_stopping_is_said_and_the_history_is_closed(
        tmp_path: Path) -> None:
    """Before: a second SIGTERM during shutdown killed the watch (exit 143) after "stopped"
    but before the history was closed (its WAL left behind)."""
    with platform_in_thread() as fake:
        watcher = _watch(tmp_path, fake)
        _lines_until(watcher, 1)
        watcher.send_signal(signal.SIGTERM)
        time.sleep(0.05)
        watcher.send_signal(signal.SIGTERM)
        _, err = watcher.communicate(timeout=30)
    assert watcher.returncode == 0, err
    assert "SIGTERM: stopping" in err and "stopped after" in err
    assert not (tmp_path / "h.sqlite-wal").exists()  # closed: checkpointed and removed


def test_sigusr1_is_said_and_ignored(tmp_path: Path) -> None:
    """Before: SIGUSR1 killed the watch without a word."""
    with platform_in_thread() as fake:
        watcher = _watch(tmp_path, fake)
        _lines_until(watcher, 1)
        watcher.send_signal(signal.SIGUSR1)
        _lines_until(watcher, 1)  # still running
        _, err, _ = _stop(watcher)
    assert watcher.returncode == 0, err
    assert "SIGUSR1 ignored (SIGTERM stops the watch)" in err


def test_sigterm_during_run_says_so_and_reports(tmp_path: Path) -> None:
    """Before: SIGTERM killed `flexdiag run` silently (exit -15, no report)."""
    with platform_in_thread() as fake:
        runner = subprocess.Popen(
            [sys.executable, "-m", "flexdiag", "run", "--json", "--lifetime", *fake.args()],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
        time.sleep(2.0)  # into the lifetime measurement
        runner.send_signal(signal.SIGTERM)
        out, err = runner.communicate(timeout=30)
    assert runner.returncode in (0, 1, 2), (runner.returncode, err)
    assert "SIGTERM: stopping; the report shows what was found so far" in err
    report = json.loads(out)
    lifetime = next(c for c in report["checks"] if c["id"] == "nat.lifetime")
    assert lifetime["data"].get("stopped") == "interrupted"


@pytest.mark.parametrize(("args", "env", "needle"), [
    (["--pushgateway", "http://127.0.0.1:9091/a b"], {}, "has no spaces, tabs, newlines"),
    (["--pushgateway", "http://127.0.0.1:9091\n"], {}, "has no spaces, tabs, newlines"),
    (["--pushgateway", "http://127.0.\t0.1:9091"], {}, "has no spaces, tabs, newlines"),
    (["--pushgateway", "http://127.0.0.1:9091", "--pushgateway-user", "u"], {},
     "set the password in FLEXDIAG_PUSHGATEWAY_PASSWORD too"),
    (["--keep", "9223372036854775807"], {}, "--keep: must be 1 to 1000000"),
    (["--keep", "0"], {}, "--keep: must be 1 to 1000000"),
])
def test_bad_watch_input_is_one_line_exit_3(args: list[str], env: dict[str, str],
                                             needle: str, capsys: Any,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLEXDIAG_PUSHGATEWAY_PASSWORD", raising=False)
    code, _, err = in_process(["watch", "--site", "x", *args], capsys)
    assert code == 3 and needle in err, err
    assert len(err.strip().splitlines()) == 1


def test_basic_auth_over_plain_http_warns(tmp_path: Path) -> None:
    with platform_in_thread() as fake:
        watcher = _watch(tmp_path, fake, "--pushgateway", "http://127.0.0.1:9", "--site", "x",
                         "--pushgateway-user", "u",
                         env={**ENV, "FLEXDIAG_PUSHGATEWAY_PASSWORD": "s3cr3t-pw"})
        _lines_until(watcher, 1)
        _, err, _ = _stop(watcher)
    assert watcher.returncode == 0, err
    assert "warning: basic auth over plain http" in err and "s3cr3t-pw" not in err

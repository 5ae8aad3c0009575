"""``watch --report-url URL``: every JSON report, with its plan, POSTed to an HTTP intake (a
real HTTP server on loopback here; across the lab's NAT in tests/lab/test_fleet.py), in order,
from a thread of its own, retried with backoff, logged once when it fails and once when it
works again."""

from __future__ import annotations

import base64
import http.server
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flexdiag.push import ReportPoster, ReportTarget
from tests.commands import ENV, in_process
from tests.fakes import platform_in_thread


class Intake:
    """An HTTP intake on loopback: answers each POST with the next status of ``statuses``
    (then 200), or hangs while ``hang`` is set; keeps what it took."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.taken: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.hang = threading.Event()
        intake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                while intake.hang.is_set():
                    time.sleep(0.05)
                status = intake.statuses.pop(0) if intake.statuses else 200
                if status == 200:
                    intake.taken.append((dict(self.headers), json.loads(body)))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/flexdiag?token=t"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.hang.clear()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def intake() -> Iterator[Intake]:
    it = Intake()
    try:
        yield it
    finally:
        it.close()


def _until(condition: Any, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)


def test_a_watch_posts_every_report_with_its_plan(intake: Intake, tmp_path: Path) -> None:
    with platform_in_thread() as fake:
        watcher = subprocess.Popen(
            [sys.executable, "-m", "flexdiag", "watch", "--interval", "1", "--history",
             str(tmp_path / "h.sqlite"), "--site", "ams-01", "--report-url", intake.url,
             "--report-user", "ops", *fake.args()],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**ENV, "FLEXDIAG_REPORT_PASSWORD": "s3cret"})
        try:
            _until(lambda: len(intake.taken) >= 2)
        finally:
            watcher.send_signal(signal.SIGTERM)
            out, err = watcher.communicate(timeout=30)
    assert watcher.returncode == 0, err
    assert len(intake.taken) >= 2, err
    headers, report = intake.taken[0]
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Flexdiag-Site"] == "ams-01"
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"ops:s3cret").decode()
    assert report["schema"] == "flexdiag.report/1" and "plan" in report
    assert report["summary"]["phone_settings"]["sip_server"]
    # The same reports as the JSON lines, in order.
    lines = [json.loads(line) for line in out.splitlines()]
    assert [r["started_at"] for _, r in intake.taken] == [r["started_at"] for r in
                                                          lines][:len(intake.taken)]
    assert "s3cret" not in err and f"posting reports to {intake.url}" in err


def test_an_intake_that_fails_is_said_once_and_once_again_when_it_works() -> None:
    intake = Intake(statuses=[500, 503, 500])
    said: list[str] = []
    poster = ReportPoster(ReportTarget(intake.url), said.append, deadline_s=2.0,
                          backoff_s=(0.05,))
    try:
        for n in range(3):
            poster.post({"n": n})
        _until(lambda: len(intake.taken) == 3)
    finally:
        poster.close(2.0)
        intake.close()
    assert [body["n"] for _, body in intake.taken] == [0, 1, 2]  # in order, none lost
    assert said == [f"report to {intake.url} not taken: HTTP 500 Internal Server Error "
                    "(retried with backoff; reports wait meanwhile)",
                    f"report to {intake.url} works again"], said


def test_a_hanging_intake_never_blocks_the_schedule_and_drops_the_oldest() -> None:
    from flexdiag import push

    intake = Intake()
    intake.hang.set()
    said: list[str] = []
    poster = ReportPoster(ReportTarget(intake.url), said.append, deadline_s=0.5,
                          backoff_s=(0.05,))
    try:
        started = time.monotonic()
        for n in range(push.REPORT_QUEUE + 5):
            poster.post({"n": n})
        assert time.monotonic() - started < 0.5  # queued, never waited for
        _until(lambda: bool(said))
        intake.hang.clear()
        _until(lambda: len(intake.taken) >= push.REPORT_QUEUE - 1)
    finally:
        poster.close(2.0)
        intake.close()
    assert said[0].endswith("(retried with backoff; reports wait meanwhile)")
    assert "no complete answer within 0.5 s" in said[0]
    taken = [body["n"] for _, body in intake.taken]
    assert taken[-1] == push.REPORT_QUEUE + 4 and taken == sorted(taken)  # newest kept
    assert "report(s) dropped meanwhile" in said[-1]


def test_an_intake_that_is_down_does_not_delay_a_stop() -> None:
    said: list[str] = []
    poster = ReportPoster(ReportTarget("http://127.0.0.1:9/x"), said.append, deadline_s=1.0,
                          backoff_s=(30.0,))
    poster.post({"n": 1})
    _until(lambda: bool(said))
    started = time.monotonic()
    poster.close(2.0)
    assert time.monotonic() - started < 2.5
    assert len(said) == 1 and "Connection refused" in said[0]


@pytest.mark.parametrize(("args", "env", "needle"), [
    (["--report-url", "ftp://x"], {}, "is not a report intake URL"),
    (["--report-url", "http://u:p@x/"], {}, "put no credentials in the URL: use --report-user"),
    (["--report-url", "http://x/#f"], {}, "a report intake URL has no fragment"),
    (["--report-url", "http://x/", "--report-user", "u"], {},
     "set the password in FLEXDIAG_REPORT_PASSWORD too"),
    (["--report-user", "u"], {}, "only with --report-url"),
    (["--report-url", "http://x/"], {"FLEXDIAG_REPORT_PASSWORD": "p"}, "give --report-user"),
])
def test_report_url_bad_input(args: list[str], env: dict[str, str], needle: str, capsys: Any,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code, _, err = in_process(["watch", *args], capsys)
    assert code == 3 and needle in err and "Traceback" not in err

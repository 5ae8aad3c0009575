"""``watch --pushgateway URL --site NAME`` against a real Prometheus Pushgateway (Debian's
prometheus-pushgateway, on loopback): what arrives carries the site on every series, the
gateway's push_time_seconds moves with each run, a gateway that is down is logged and never
stops the watch; basic auth and the grouping key's URL, seen by a loopback HTTP server."""

from __future__ import annotations

import base64
import http.server
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.commands import ENV, free_port
from tests.daemons import Daemon, require
from tests.fakes import platform_in_thread

pytestmark = [pytest.mark.interop, pytest.mark.xdist_group("interop")]


@pytest.fixture
def pushgateway(tmp_path: Path) -> Iterator[str]:
    require("prometheus-pushgateway")
    port = free_port()
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            return bool(urllib.request.urlopen(url + "/-/ready", timeout=1).status == 200)
        except OSError:
            return False

    # Memory only: Debian's default persistence file would carry pushes from run to run.
    daemon = Daemon("pushgateway", ["prometheus-pushgateway",
                                    f"--web.listen-address=127.0.0.1:{port}",
                                    "--persistence.file="],
                    tmp_path / "pushgateway.log").start(ready)
    try:
        yield url
    finally:
        daemon.stop()


def gateway_series(url: str) -> list[tuple[str, dict[str, str], float]]:
    text = urllib.request.urlopen(url + "/metrics", timeout=5).read().decode()
    return [(s.name, s.labels, s.value) for f in text_string_to_metric_families(text)
            for s in f.samples]


def watch(args: list[str], tmp_path: Path, fake: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "flexdiag", "watch", "--interval", "1", "--history",
         str(tmp_path / "h.sqlite"), *args, *fake.args()],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)


def test_watch_pushes_every_series_with_its_site(pushgateway: str, tmp_path: Path) -> None:
    with platform_in_thread() as fake:
        watcher = watch(["--pushgateway", pushgateway, "--site", "ams-01"], tmp_path, fake)
        try:
            assert watcher.stdout is not None
            watcher.stdout.readline()  # first run stored (and its push started)
            pushed: list[float] = []
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and len(set(pushed)) < 2:
                pushed = [v for n, labels, v in gateway_series(pushgateway)
                          if n == "push_time_seconds" and labels.get("site") == "ams-01"] \
                    + pushed
                time.sleep(0.2)
        finally:
            watcher.send_signal(signal.SIGTERM)
            _, err = watcher.communicate(timeout=30)
    assert watcher.returncode == 0, err
    assert "pushing to " + pushgateway + " as site ams-01" in err
    assert len(set(pushed)) >= 2, "push_time_seconds did not move with the second run"
    ours = [(n, labels) for n, labels, _ in gateway_series(pushgateway)
            if n.startswith("flexdiag_")]
    names = {n for n, _ in ours}
    assert {"flexdiag_check_status", "flexdiag_last_run_timestamp_seconds",
            "flexdiag_registration_interval_seconds", "flexdiag_nat_behavior",
            "flexdiag_runs_total"} <= names
    assert all(labels.get("site") == "ams-01" and labels.get("job") == "flexdiag"
               for _, labels in ours), [x for x in ours if x[1].get("site") != "ams-01"]


def test_a_gateway_that_is_down_is_logged_and_the_watch_goes_on(tmp_path: Path) -> None:
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with platform_in_thread() as fake:
        watcher = watch(["--pushgateway", down, "--site", "ams-01"], tmp_path, fake)
        try:
            assert watcher.stdout is not None
            lines = [watcher.stdout.readline(), watcher.stdout.readline()]  # two runs
        finally:
            watcher.send_signal(signal.SIGTERM)
            _, err = watcher.communicate(timeout=30)
    assert watcher.returncode == 0 and all(line.startswith("{") for line in lines)
    assert err.count(f"push to {down} failed") == 1, err  # once, not at every run
    assert "Traceback" not in err


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: list[tuple[str, str, str | None]] = []

    def do_PUT(self) -> None:  # noqa: N802 - the stdlib's name
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        _Recorder.seen.append((self.command, self.path, self.headers.get("Authorization")))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


def test_basic_auth_and_the_grouping_key(monkeypatch: pytest.MonkeyPatch) -> None:
    from flexdiag.push import Pusher, PushTarget
    from flexdiag.render.metrics import Metrics

    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Recorder.seen.clear()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        pusher = Pusher(PushTarget(url, "utrecht.2", "partner", "s3cret"),
                        Metrics("0", "utrecht.2").registry, lambda line: None)
        pusher.push()
        pusher.close()
    finally:
        server.shutdown()
        server.server_close()
    assert pusher.pushed == 1 and not pusher.failing
    ((method, path, auth),) = _Recorder.seen
    assert method == "PUT" and path == "/metrics/job/flexdiag/site/utrecht.2"
    assert auth == "Basic " + base64.b64encode(b"partner:s3cret").decode()

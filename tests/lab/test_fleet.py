"""A site behind the lab's NAT pushes to a real Prometheus Pushgateway on the "internet" side
(Debian's prometheus-pushgateway in the ISP namespace): ``watch --pushgateway URL --site NAME``
runs on the LAN host, and what the gateway holds carries the site on every series."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.daemons import Daemon, require
from tests.lab.topology import ISP, LAN, PLATFORM_RANGE, Lab, sh

pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("lab")]  # one lab: one worker

GATEWAY_IP, GATEWAY_PORT = "198.51.100.91", 9091
GATEWAY = f"http://{GATEWAY_IP}:{GATEWAY_PORT}"


def _gateway_text() -> str:
    """The gateway's /metrics, fetched from inside the ISP namespace (bounded)."""
    fetch = ("import urllib.request,sys; sys.stdout.write(urllib.request.urlopen("
             f"'{GATEWAY}/metrics', timeout=3).read().decode())")
    return sh(sys.executable, "-c", fetch, ns=ISP, check=False, timeout=10).stdout


def _listening() -> bool:
    out = sh("ss", "-ltnH", f"sport = :{GATEWAY_PORT}", ns=ISP, check=False).stdout
    return GATEWAY_IP in out


def test_a_site_behind_nat_pushes_to_a_real_pushgateway(lab: Lab, tmp_path: Path) -> None:
    require("prometheus-pushgateway", root=True)
    sh("ip", "addr", "add", f"{GATEWAY_IP}/32", "dev", "lo", ns=ISP)
    gateway = Daemon("pushgateway", ["ip", "netns", "exec", ISP, "prometheus-pushgateway",
                                     f"--web.listen-address={GATEWAY_IP}:{GATEWAY_PORT}",
                                     "--persistence.file="],  # memory only, not Debian's file
                     tmp_path / "pushgateway.log")
    try:
        gateway.start(_listening)
        watcher = subprocess.Popen(
            ["ip", "netns", "exec", LAN, sys.executable, "-m", "flexdiag", "watch",
             "--interval", "2", "--history", str(tmp_path / "h.sqlite"), "--site", "lab-01",
             "--pushgateway", GATEWAY, "--platform-ranges", PLATFORM_RANGE,
             "--timeout", "4"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "FLEXDIAG_MIN_INTERVAL": "1"})
        try:
            assert watcher.stdout is not None
            first: dict[str, Any] = json.loads(watcher.stdout.readline())
            samples: list[tuple[str, dict[str, str]]] = []
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and not any(
                    n == "flexdiag_check_status" for n, _ in samples):
                samples = [(s.name, s.labels) for f in text_string_to_metric_families(
                    _gateway_text()) for s in f.samples]
                time.sleep(0.3)
        finally:
            watcher.send_signal(signal.SIGTERM)
            _, err = watcher.communicate(timeout=30)
    finally:
        gateway.stop()
        sh("ip", "addr", "del", f"{GATEWAY_IP}/32", "dev", "lo", ns=ISP, check=False)
    assert watcher.returncode == 0, err
    assert "failed" not in err, err
    ours = [(n, labels) for n, labels in samples if n.startswith("flexdiag_")]
    assert ours, "nothing arrived at the gateway"
    assert all(labels.get("site") == "lab-01" and labels.get("job") == "flexdiag"
               for _, labels in ours), [x for x in ours if x[1].get("job") != "flexdiag"
                                        or x[1].get("site") != "lab-01"][:5]
    status = {labels["check"]: labels["status"] for n, labels in ours
              if n == "flexdiag_check_status" and "check" in labels}
    assert set(status) >= {c["id"] for c in first["checks"]}
    assert any(n == "push_time_seconds" and labels.get("site") == "lab-01"
               for n, labels in samples)


INTAKE_IP, INTAKE_PORT = "198.51.100.92", 8080
INTAKE = f"http://{INTAKE_IP}:{INTAKE_PORT}/flexdiag"
# An operator's report intake on the "internet" side: appends every POSTed body to a file.
INTAKE_CODE = """
import http.server, pathlib, sys
out = pathlib.Path(sys.argv[1])
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with out.open("ab") as f:
            f.write(body + b"\\n")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.HTTPServer((sys.argv[2], int(sys.argv[3])), H).serve_forever()
"""


def _lines(stream: Any, into: list[dict[str, Any]]) -> None:
    for line in stream:
        if line.startswith("{"):
            into.append(json.loads(line))


def _lifetime(report: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in report["checks"] if c["id"] == "nat.lifetime")


def test_a_fleet_site_with_a_10_40_s_router(lab: Lab, tmp_path: Path) -> None:
    """Issue #26's acceptance: after the slow run, the lifetime verdict is in every record,
    the change log, health --verdict, the pushed metrics (flexdiag_finding) and the POSTed
    report's plan, while plain health (liveness) stays 0."""
    import threading

    require("prometheus-pushgateway", root=True)
    lab.set_mode("timeouts-10-40")
    history = tmp_path / "h.sqlite"
    posted = tmp_path / "posted.jsonl"
    for ip in (GATEWAY_IP, INTAKE_IP):
        sh("ip", "addr", "add", f"{ip}/32", "dev", "lo", ns=ISP)
    gateway = Daemon("pushgateway", ["ip", "netns", "exec", ISP, "prometheus-pushgateway",
                                     f"--web.listen-address={GATEWAY_IP}:{GATEWAY_PORT}",
                                     "--persistence.file="], tmp_path / "pushgateway.log")
    intake = Daemon("intake", ["ip", "netns", "exec", ISP, sys.executable, "-c", INTAKE_CODE,
                               str(posted), INTAKE_IP, str(INTAKE_PORT)],
                    tmp_path / "intake.log")
    records: list[dict[str, Any]] = []
    try:
        gateway.start(_listening)
        intake.start(lambda: INTAKE_IP in sh("ss", "-ltnH", f"sport = :{INTAKE_PORT}",
                                             ns=ISP, check=False).stdout)
        watcher = subprocess.Popen(
            ["ip", "netns", "exec", LAN, sys.executable, "-m", "flexdiag", "watch",
             "--interval", "3", "--lifetime-every", "1h", "--registration-time", "60",
             "--history", str(history), "--site", "lab-01", "--pushgateway", GATEWAY,
             "--report-url", INTAKE, "--platform-ranges", PLATFORM_RANGE, "--timeout", "4"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "FLEXDIAG_MIN_INTERVAL": "1"})
        reader = threading.Thread(target=_lines, args=(watcher.stdout, records), daemon=True)
        reader.start()
        try:
            deadline = time.monotonic() + 150
            while time.monotonic() < deadline and not any(
                    _lifetime(r)["status"] == "fail" for r in records):
                time.sleep(0.5)
            time.sleep(4)  # one more push and post after the carried verdict
            health = sh(sys.executable, "-m", "flexdiag", "health", "--history", str(history),
                        check=False)
            verdict = sh(sys.executable, "-m", "flexdiag", "health", "--verdict",
                         "--history", str(history), check=False)
            pushed = _gateway_text()
        finally:
            watcher.send_signal(signal.SIGTERM)
            _, err = watcher.communicate(timeout=30)
    finally:
        gateway.stop()
        intake.stop()
        for ip in (GATEWAY_IP, INTAKE_IP):
            sh("ip", "addr", "del", f"{ip}/32", "dev", "lo", ns=ISP, check=False)
        lab.set_mode("masquerade")  # the lab's default, for the tests after this one
    assert watcher.returncode == 0, err
    failing = [r for r in records if _lifetime(r)["status"] == "fail"]
    assert failing, (err, [_lifetime(r)["status"] for r in records])
    first = failing[0]
    carried = _lifetime(first)["data"]["carried"]
    assert carried["age_s"] < 30 and _lifetime(first)["reason_code"] == (
        "lifetime_shorter_than_registration")
    assert first["status"] == "fail"
    assert all(_lifetime(r)["status"] == "fail" for r in records[records.index(first):])
    assert "nat.lifetime skip -> fail" in err, err
    assert re.search(r"slow run done: .*nat\.lifetime fail", err), err
    # Liveness stays 0 while the watch runs; readiness names the lifetime.
    assert health.returncode == 0, health.stdout
    assert verdict.returncode == 1 and "nat.lifetime fail" in verdict.stdout, verdict.stdout
    findings = [s.labels for f in text_string_to_metric_families(pushed) for s in f.samples
                if s.name == "flexdiag_finding"]
    assert {"check": "nat.lifetime", "reason": "lifetime_shorter_than_registration",
            "faq": "6", "site": "lab-01", "job": "flexdiag", "instance": ""}.items() <= {
        k: v for f in findings if f.get("check") == "nat.lifetime" for k, v in f.items()}.items(
    ), findings
    # The plan left the site: the POSTed report carries the lifetime step and the keep-alive.
    reports = [json.loads(line) for line in posted.read_text().splitlines()]
    last = reports[-1]
    assert _lifetime(last)["status"] == "fail"
    assert any("nat.lifetime" in step["checks"] for step in last["plan"]), last["plan"]
    assert last["summary"]["phone_settings"]["keepalive_s"] is not None

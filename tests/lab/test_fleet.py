"""A site behind the lab's NAT pushes to a real Prometheus Pushgateway on the "internet" side
(Debian's prometheus-pushgateway in the ISP namespace): ``watch --pushgateway URL --site NAME``
runs on the LAN host, and what the gateway holds carries the site on every series."""

from __future__ import annotations

import json
import os
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

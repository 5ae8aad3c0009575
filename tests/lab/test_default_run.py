"""Issue #22: "Ready" means ready. On a router with Linux's default conntrack timeouts (UDP
30 s, stream 120 s) the plain default run measures FAQ item 6 and fails it in well under a
minute, with a keep-alive as the phone setting and no registration interval below 60 s; the
quick run is sub-second and never says plain "Ready"."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

import pytest

from tests.lab.topology import LAN, PLATFORM_RANGE, Lab, checks

pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("lab")]


def test_the_default_run_fails_a_30_s_router_within_45_s(lab: Lab, validate_report: Any) -> None:
    lab.set_mode("masquerade")  # conntrack UDP 30 s / stream 120 s: the kernel's defaults
    started = time.monotonic()
    code, report = lab.flexdiag(quick=False, timeout=120)
    took = time.monotonic() - started
    validate_report(report)
    lifetime = checks(report)["nat.lifetime"]
    fresh = lifetime["data"]["fresh"]
    print(f"\ndefault run: {took:.1f} s, nat.lifetime {lifetime['status']}: "
          f"{lifetime['summary']}; phone_settings {report['summary']['phone_settings']}")
    assert lifetime["status"] == "fail", lifetime["summary"]
    assert fresh["alive_s"] < 30 <= fresh["expired_s"], fresh
    assert took < 45, took
    settings = report["summary"]["phone_settings"]
    assert settings["keepalive_s"] is not None and settings["keepalive_s"] < 30, settings
    assert settings["registration_time_s"] >= 60
    assert lifetime["data"]["advised_registration_time_s"] is None  # 23 s: below the floor
    step = next(s for s in report["plan"] if "nat.lifetime" in s["checks"])
    assert step["text"].index("raise the router's UDP timeout") < step["text"].index(
        "keep-alive")
    assert code == 2


def test_quick_is_sub_second_and_its_headline_is_not_ready(lab: Lab) -> None:
    lab.set_mode("masquerade")
    code, report = lab.flexdiag("--quick")
    assert report["duration_s"] < 1.0, report["duration_s"]
    lifetime = checks(report)["nat.lifetime"]
    assert lifetime["status"] == "skip" and lifetime["data"]["reason"] == "not-measured"
    quiet = subprocess.run(
        ["ip", "netns", "exec", LAN, sys.executable, "-m", "flexdiag", "run", "--quick",
         "--quiet", "--platform-ranges", PLATFORM_RANGE], capture_output=True, text=True,
        timeout=60)
    line = quiet.stdout.strip()
    assert "Ready:" not in line and "Ready so far" in line, line
    assert "NAT mapping lifetime vs registration interval (FAQ item 6: flexdiag run)" in line, line

"""nat.lifetime across the real Linux NAT with short conntrack timeouts (15 s fresh, 25 s
established): the measured brackets must contain the configured timeouts, for both methods
(coturn with RESPONSE-PORT, and a coturn without RFC 5780), measured at once. (Whether the
verdict is the one a real phone confirms: tests/lab/test_phone.py.)"""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from tests.lab.topology import PLAIN_STUN_IP, Lab, parse_report

pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("lab")]  # one lab: one worker

FRESH_S, ESTABLISHED_S = 15, 25  # the short-timeouts modes' conntrack settings
REGISTRATION_S = 60


@pytest.mark.parametrize("mode_lab", ["short-timeouts-random"], indirect=True)
def test_lifetime_brackets_contain_the_conntrack_timeouts(mode_lab: Lab,
                                                          validate_report: Any) -> None:
    common = ("--lifetime", "--registration-time", str(REGISTRATION_S), "--max-wait", "90")
    runs = {
        "rfc5780": subprocess.Popen(mode_lab.flexdiag_argv(*common), stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True),
        "rebind": subprocess.Popen(mode_lab.flexdiag_argv(*common, "--stun-server",
                                                          PLAIN_STUN_IP),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True),
    }
    reports = {}
    try:
        for method, process in runs.items():
            out, err = process.communicate(timeout=150)
            reports[method] = parse_report(process.returncode, out, err)
    finally:
        for process in runs.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    for method, (code, report) in reports.items():
        validate_report(report)
        check = next(c for c in report["checks"] if c["id"] == "nat.lifetime")
        data = check["data"]
        assert data["method"] == method
        assert check["status"] == "fail" and code == 2  # 15 s < the 60 s registration
        # The verdict rests on a phone's flow (register, then quiet): the fresh one.
        assert data["verdict_on"] == "fresh" and data["fresh"]["expired_s"] == data["expired_s"]
        assert data["expired_s"] >= FRESH_S
        established = data["established"]
        assert established["expired_s"] is None or established["expired_s"] >= ESTABLISHED_S
        if method == "rfc5780":
            assert data["alive_s"] < FRESH_S <= data["expired_s"]
            assert data["expired_s"] - data["alive_s"] <= 5
            # Seen to outlive the phone's flow, the established one need not be decided.
            assert data["expired_s"] < established["alive_s"] < ESTABLISHED_S
            assert "keep-alive" in check["advice"]
        else:  # re-binding can only see expiry: a new random port
            assert data["alive_s"] is None
            assert data["expired_s"] <= FRESH_S + 5
        assert data["stopped"] == "decided"  # stopped once known (bench/lifetime.py: speed)
        assert "registration interval" in check["advice"]
        assert report["summary"]["nat_lifetime_s"] == {"alive": data["alive_s"],
                                                       "expired": data["expired_s"]}

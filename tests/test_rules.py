"""The shipped Prometheus rules (deploy/prometheus): valid under ``promtool check rules``, their
unit tests pass under ``promtool test rules``, and every flexdiag series they use is one that
flexdiag exports."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from flexdiag.render.metrics import Metrics
from tests.daemons import require

RULES = Path(__file__).parent.parent / "deploy" / "prometheus"

pytestmark = [pytest.mark.interop, pytest.mark.xdist_group("interop")]


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    require("promtool")
    return subprocess.run(["promtool", *args], cwd=RULES, capture_output=True, text=True,
                          timeout=60, check=False)


def test_rules_are_valid() -> None:
    result = promtool("check", "rules", "flexdiag-rules.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 8 rules found" in result.stdout


def test_rules_unit_tests_pass() -> None:
    result = promtool("test", "rules", "flexdiag-rules.test.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_series_the_rules_use_is_exported() -> None:
    metrics = Metrics("0", site="x")
    metrics.update({"checks": [{"id": "sip.alg", "status": "pass", "duration_ms": 1, "data": {}}],
                    "summary": {}, "duration_s": 1.0, "status": "pass",
                    "profile": {"registration_time_s": 3600}}, 1.7e9)
    text = metrics.text()
    exported = set(re.findall(r"^(flexdiag_\w+?)(?:\{| )", text, re.M))
    used = set(re.findall(r"\b(flexdiag_\w+)", (RULES / "flexdiag-rules.yml").read_text()))
    assert used and used <= exported, used - exported

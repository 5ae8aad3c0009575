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
    import yaml

    metrics = Metrics("0", site="x")
    metrics.update({"checks": [{"id": "sip.alg", "status": "fail", "duration_ms": 1, "data": {},
                                "faq": [5], "reason_code": "sip_alg_rewrites"}],
                    "summary": {}, "duration_s": 1.0, "status": "fail",
                    "profile": {"registration_time_s": 3600}}, 1.7e9)
    text = metrics.text()
    exported = set(re.findall(r"^(flexdiag_\w+?)(?:\{| )", text, re.M))
    rules = yaml.safe_load((RULES / "flexdiag-rules.yml").read_text())["groups"][0]["rules"]
    used = {name for r in rules for name in re.findall(r"\b(flexdiag_\w+)", r["expr"])}
    assert used and used <= exported, used - exported


ALERTMANAGER = RULES.parent / "alertmanager"


def amtool(*args: str) -> subprocess.CompletedProcess[str]:
    require("amtool")
    return subprocess.run(["amtool", *args], cwd=ALERTMANAGER, capture_output=True, text=True,
                          timeout=60, check=False)


def test_the_alertmanager_example_is_valid() -> None:
    result = amtool("check-config", "alertmanager.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@pytest.mark.parametrize(("labels", "receiver"), [
    (["severity=page", "site=ams-01", "alertname=FlexdiagPhonesCannotRegister"], "on-call"),
    (["severity=page", "alertname=FlexdiagSiteStale"], "on-call"),
    (["severity=ticket", "site=ams-01", "alertname=FlexdiagFinding",
      "reason=sip_alg_rewrites"], "tickets"),
    (["alertname=SomethingElse"], "tickets"),
])
def test_pages_and_tickets_are_routed_apart(labels: list[str], receiver: str) -> None:
    result = amtool("config", "routes", "test", "--config.file=alertmanager.yml",
                    f"--verify.receivers={receiver}", *labels)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == receiver


def test_every_rule_says_its_severity_and_every_finding_alert_its_runbook() -> None:
    import yaml

    rules = yaml.safe_load((RULES / "flexdiag-rules.yml").read_text())["groups"][0]["rules"]
    assert {r["labels"]["severity"] for r in rules} == {"page", "ticket"}
    assert all(r["annotations"]["runbook_url"].startswith("https://") for r in rules)
    pages = {r["alert"] for r in rules if r["labels"]["severity"] == "page"}
    assert pages == {"FlexdiagPhonesCannotRegister", "FlexdiagPlatformNameFails",
                     "FlexdiagSiteStale", "FlexdiagSiteDown"}

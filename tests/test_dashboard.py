"""The shipped Grafana dashboard (deploy/grafana/flexdiag.json): every PromQL expression in it
is valid under ``promtool check rules``, and each returns data over the series flexdiag really
exports (a ``promtool test rules`` unit test over sample series made by the real exporter): a
renamed or dropped metric breaks the build."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from flexdiag.render.metrics import Metrics
from tests.daemons import require

DASHBOARD = Path(__file__).parent.parent / "deploy" / "grafana" / "flexdiag.json"

pytestmark = [pytest.mark.interop, pytest.mark.xdist_group("interop")]


def _expressions() -> list[tuple[str, str]]:
    """(panel title and ref, expression) of every query, ``$site`` set to the sample site."""
    dashboard = json.loads(DASHBOARD.read_text())
    found = [(f"{p['title']} {t['refId']}", t["expr"]) for p in dashboard["panels"]
             for t in p.get("targets", [])]
    return [(name, expr.replace("$site", "x")) for name, expr in found]


def _exported() -> str:
    """The exposition of a watch whose last run failed with a finding and measured audio."""
    metrics = Metrics("0", site="x")
    metrics.update({
        "checks": [
            {"id": "sip.alg", "status": "fail", "duration_ms": 1, "data": {}, "faq": [5],
             "reason_code": "sip_alg_rewrites"},
            {"id": "sip.udp.5060", "status": "pass", "duration_ms": 1, "data": {"rtt_ms": 20}},
            {"id": "media.quality", "status": "pass", "duration_ms": 1,
             "data": {"rtt_ms": 30}}],
        "summary": {"ntp_offset_s": 0.01, "sip_alg": True,
                    "nat_lifetime_s": {"alive": 28.0, "expired": 31.0},
                    "media": {"jitter_ms": 2.0, "loss_pct": 1.0, "mos": 4.3}},
        "duration_s": 1.0, "status": "fail", "profile": {"registration_time_s": 60}}, 1.7e9)
    return metrics.text()


def _series() -> list[dict[str, str]]:
    series = []
    for family in text_string_to_metric_families(_exported()):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            value = "NaN" if sample.value != sample.value else repr(float(sample.value))
            series.append({"series": f"{sample.name}{{{labels}}}", "values": f"{value}x10"})
    series.append({"series": 'push_time_seconds{job="flexdiag",site="x"}', "values": "0x10"})
    return series


def test_every_dashboard_metric_is_one_flexdiag_exports() -> None:
    exported = set(re.findall(r"^(flexdiag_\w+?)(?:\{| )", _exported(), re.M))
    used = {n for _, expr in _expressions() for n in re.findall(r"\b(flexdiag_\w+)", expr)}
    used |= set(re.findall(r"\b(flexdiag_\w+)", json.dumps(
        json.loads(DASHBOARD.read_text())["templating"])))
    assert used and used <= exported, used - exported


def test_every_dashboard_expression_is_valid_and_returns_data(tmp_path: Path) -> None:
    require("promtool")
    expressions = _expressions()
    rules: list[dict[str, Any]] = [
        {"alert": f"panel_{n}", "expr": f"count({expr}) > 0"}
        for n, (_, expr) in enumerate(expressions)]
    (tmp_path / "dashboard.rules.yml").write_text(yaml.safe_dump(
        {"groups": [{"name": "dashboard", "rules": rules}]}))
    checked = subprocess.run(["promtool", "check", "rules", "dashboard.rules.yml"],
                             cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    test = {"rule_files": ["dashboard.rules.yml"], "evaluation_interval": "1m", "tests": [{
        "interval": "1m", "input_series": _series(),
        "alert_rule_test": [{"eval_time": "5m", "alertname": f"panel_{n}",
                             "exp_alerts": [{"exp_labels": {}}]}
                            for n in range(len(expressions))]}]}
    (tmp_path / "dashboard.test.yml").write_text(yaml.safe_dump(test))
    result = subprocess.run(["promtool", "test", "rules", "dashboard.test.yml"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    names = {f"panel_{n}": name for n, (name, _) in enumerate(expressions)}
    failing = [names[a] for a in re.findall(r"alertname: (panel_\d+)", result.stdout)]
    assert result.returncode == 0, (failing, result.stdout[-3000:])

"""The watch's metrics (flexdiag/render/metrics.py): the finding series come and go with the
finding."""

from __future__ import annotations

from typing import Any

from flexdiag.render.metrics import Metrics


def _report(*checks: dict[str, Any]) -> dict[str, Any]:
    return {"checks": list(checks), "summary": {}, "duration_s": 1.0, "status": "fail",
            "profile": {"registration_time_s": 3600}}


ALG = {"id": "sip.alg", "status": "fail", "duration_ms": 1, "data": {}, "faq": [5],
       "reason_code": "sip_alg_rewrites"}
LIFETIME = {"id": "nat.lifetime", "status": "fail", "duration_ms": 1, "data": {}, "faq": [6],
            "reason_code": "lifetime_shorter_than_registration"}


def test_a_finding_is_a_series_while_it_lasts() -> None:
    metrics = Metrics("0", site="ams-01")
    metrics.update(_report(ALG, LIFETIME), 1.7e9)
    text = metrics.text()
    assert ('flexdiag_finding{check="sip.alg",faq="5",reason="sip_alg_rewrites",site="ams-01"} '
            "1.0") in text
    assert 'reason="lifetime_shorter_than_registration"' in text
    metrics.update(_report({**ALG, "status": "pass", "reason_code": None}, LIFETIME), 1.7e9)
    text = metrics.text()
    assert "sip_alg_rewrites" not in text
    assert 'reason="lifetime_shorter_than_registration"' in text


def test_a_report_of_an_older_flexdiag_without_codes_exports_no_findings() -> None:
    metrics = Metrics("0")
    old = {k: v for k, v in ALG.items() if k != "reason_code"}
    metrics.update(_report(old), 1.7e9)
    assert "flexdiag_finding{" not in metrics.text()


def test_the_last_runs_overall_status_is_the_one_set() -> None:
    metrics = Metrics("0")
    metrics.update(_report(ALG), 1.7e9)
    text = metrics.text()
    assert 'flexdiag_last_run_status{status="fail"} 1.0' in text
    assert 'flexdiag_last_run_status{status="pass"} 0.0' in text
    assert 'flexdiag_runs_total{status="fail"} 1.0' in text

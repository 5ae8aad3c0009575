"""Status ordering and exit codes (monitoring-plugin convention)."""

from __future__ import annotations

import pytest

from flexdiag.model import CheckResult, Report, Status, worst


@pytest.mark.parametrize(("statuses", "expected"), [
    ([], Status.PASS),
    ([Status.PASS, Status.SKIP], Status.PASS),
    ([Status.SKIP, Status.WARN, Status.PASS], Status.WARN),
    ([Status.FAIL, Status.WARN], Status.FAIL),
    ([Status.FAIL, Status.ERROR, Status.WARN], Status.ERROR),
])
def test_worst(statuses: list[Status], expected: Status) -> None:
    assert worst(statuses) is expected


def test_exit_codes() -> None:
    assert [s.exit_code for s in Status] == [0, 0, 1, 2, 3]


def test_report_of_skips_passes() -> None:
    report = Report("0", "2026-01-01T00:00:00Z", 0.0, {},
                    (CheckResult("a.b", "A", Status.SKIP, "skipped"),))
    assert report.status is Status.PASS
    assert report.get("a.b") is not None and report.get("x.y") is None

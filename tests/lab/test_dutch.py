"""Every lab mode's report in Dutch (issue #27): decimal commas, glossary terms only
(docs/glossary-nl.md), and the ALG mode's Markdown ticket opening with the verdict and holding
the phone settings in words. The same runs make docs/lab-reports.nl.md
(scripts/lab_reports_nl.py)."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.lab.topology import Lab
from tests.test_i18n import NOT_GLOSSARY

sys.path.insert(0, str(Path(__file__).parent.parent.parent / "scripts"))

pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("lab")]  # one lab: one worker

# A decimal number written with a point (not an address, a version, a FAQ or RFC section).
POINT_DECIMAL = re.compile(r"(?<![\w.§])\d+\.\d+(?![\d.])")


def _texts(report: dict[str, Any]) -> list[str]:
    texts = [s["text"] for s in report["plan"]]
    for check in report["checks"]:
        texts += [check["summary"], check["advice"] or "", check["title"]]
    return [re.sub(r"FAQ \d+\.\d+", "", t) for t in texts]


def test_every_lab_modes_dutch_report_is_dutch_as_written(lab: Lab) -> None:
    from lab_reports_nl import markdown_nl, page, reports

    try:
        runs = list(reports(lab))
    finally:
        lab.set_mode("masquerade")  # the lab's default, for the tests after this one
    for mode, report in runs:
        for text in _texts(report):
            assert not POINT_DECIMAL.search(text), (mode, text)
            unquoted = re.sub(r"'[^']*'", "''", text)
            assert not [p for p in NOT_GLOSSARY if re.search(p, unquoted, re.IGNORECASE)], (
                mode, text)
    alg = dict(runs)["sip-alg"]
    ticket = markdown_nl(alg).splitlines()
    assert ticket[0] == "## flexdiag-rapport: FOUT", ticket[:3]
    assert ticket[2].startswith("**FOUT: Niet klaar"), ticket[:3]
    settings = ticket[ticket.index("### Instellen op de toestellen"):]
    assert any(line.startswith("| SIP-server") for line in settings), settings[:8]
    assert "SIP-ALG" in "\n".join(ticket)
    assert page(runs).count("\n## `") == len(runs)

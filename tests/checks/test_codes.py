"""Reason codes (vocab.Code): every warning and failure has one, nothing else has one, every code
is used by a check and documented in docs/reasons.md."""

from __future__ import annotations

import json
import re
from pathlib import Path

from flexdiag.model import Status
from flexdiag.vocab import Code

ROOT = Path(__file__).parent.parent.parent


def test_every_warning_and_failure_in_the_golden_findings_has_a_code() -> None:
    seen = 0
    for path in sorted((ROOT / "tests" / "data" / "golden").glob("checks_*.json")):
        for nodeid, findings in json.loads(path.read_text()).items():
            for finding in findings:
                if not isinstance(finding, dict) or "code" not in finding:
                    continue
                bad = Status(finding["status"]).rank > Status.PASS.rank
                assert (finding["code"] is not None) == bad, (nodeid, finding["summary"])
                if bad:
                    Code(finding["code"])
                    seen += 1
    assert seen > 40


def test_every_code_is_used_and_documented() -> None:
    source = "\n".join(p.read_text() for p in (ROOT / "flexdiag").rglob("*.py")
                       if p.name != "vocab.py")
    doc = (ROOT / "docs" / "reasons.md").read_text()
    anchors = set(re.findall(r"^### (\w+)$", doc, re.MULTILINE))
    for code in Code:
        assert f"Code.{code.name}" in source, f"{code} is used by no check"
    assert anchors == {c.value for c in Code}

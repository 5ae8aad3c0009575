"""The plan: what to do about a run's findings, decided over all results at once. Pure.

Checks judge one concern each; the planner is where findings meet. It orders the advice
(failures before warnings, then report order), merges advice that several findings share
(one cause, one step), and derives the phone settings for the network as it is.
"""

from __future__ import annotations

from collections.abc import Sequence

from flexdiag.model import CheckResult, Plan, Status, Step

_ACTIONABLE = (Status.FAIL, Status.WARN)


def plan(results: Sequence[CheckResult]) -> Plan:
    """The ordered steps for ``results`` (in report order)."""
    ranked = sorted((r for r in results if r.status in _ACTIONABLE and r.advice),
                    key=lambda r: -r.status.rank)  # stable: report order within a status
    merged: dict[str, tuple[set[int], list[str]]] = {}
    for result in ranked:
        assert result.advice is not None
        faq, ids = merged.setdefault(result.advice, (set(), []))
        faq.update(result.faq)
        ids.append(result.id)
    steps = tuple(Step(text, tuple(sorted(faq)), tuple(ids))
                  for text, (faq, ids) in merged.items())
    return Plan(steps=steps)

"""Result types shared by every layer: pure, frozen data with no I/O.

A check produces one :class:`CheckResult`; the runner collects them into a :class:`Report`.
Statuses are ordered so that :func:`worst` gives the report's verdict and the exit code
(monitoring-plugin convention: 0 pass, 1 warn, 2 fail, 3 could not diagnose).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flexdiag.facts import unmeasured
from flexdiag.vocab import Code


class Status(enum.Enum):
    """Outcome of a check. ``error`` means flexdiag itself failed, not the network."""

    PASS = "pass"
    SKIP = "skip"
    WARN = "warn"
    FAIL = "fail"
    ERROR = "error"

    @property
    def rank(self) -> int:
        """Severity used by :func:`worst`; a skip weighs as much as a pass."""
        return _RANK[self]

    @property
    def exit_code(self) -> int:
        """Process exit code when this is the worst status of a run."""
        return _EXIT[self]


_RANK = {Status.PASS: 0, Status.SKIP: 0, Status.WARN: 1, Status.FAIL: 2, Status.ERROR: 3}
_EXIT = _RANK  # the monitoring-plugin convention: the exit code is the severity
# A report's overall status (a run of skips only is a pass).
REPORT_STATUSES = tuple(s for s in Status if s is not Status.SKIP)


def worst(statuses: Iterable[Status]) -> Status:
    """The most severe status; ``pass`` for an empty run or one made only of skips."""
    result = Status.PASS
    for status in statuses:
        if status.rank > result.rank:
            result = status
    return result


@dataclass(frozen=True)
class CheckResult:
    """What one check found: a verdict, one line, evidence and what to do about it.

    ``data`` holds evidence in base units (seconds, milliseconds where the key says ``_ms``)
    with addresses as ``"ip:port"`` strings; ``faq`` lists the platform FAQ items the finding
    rests on; ``advice`` is ``None`` when there is nothing to change.
    """

    id: str
    title: str
    status: Status
    summary: str
    data: Mapping[str, Any] = field(default_factory=dict)
    advice: str | None = None
    faq: tuple[int, ...] = ()
    duration_ms: float = 0.0
    code: Code | None = None  # the finding's reason code (vocab.Code): warnings and failures


@dataclass(frozen=True)
class Step:
    """One step of the plan: what to do, the FAQ items it rests on, and the checks whose
    findings it answers."""

    text: str
    faq: tuple[int, ...] = ()
    checks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    """What to do about a run's findings, decided over all of them (:mod:`flexdiag.planner`):
    ordered steps, and the phone settings that make phones work on the network as it is
    (design.md's ``summary.phone_settings``: the whole "Set on the phones" block, ``None``
    for a setting that is to be off)."""

    steps: tuple[Step, ...] = ()
    phone_settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    """The outcome of one run: every check in a fixed order, the effective profile, and the
    plan."""

    version: str
    started_at: str
    duration_s: float
    profile: Mapping[str, Any]
    checks: tuple[CheckResult, ...]
    plan: Plan = field(default_factory=Plan)
    environment: Mapping[str, Any] = field(default_factory=dict)  # design.md: for support
    note: str | None = None  # the installer's own words for the ticket (run --note)

    @property
    def status(self) -> Status:
        """Worst status of all checks; a run of skips only counts as a pass."""
        status = worst(c.status for c in self.checks)
        return Status.PASS if status is Status.SKIP else status

    @property
    def unmeasured(self) -> tuple[CheckResult, ...]:
        """Checks that were not measured in this run (the quick run's ``nat.lifetime``)."""
        return tuple(c for c in self.checks if unmeasured(c.data))

    def get(self, check_id: str) -> CheckResult | None:
        """The result with this id, or ``None`` if the check was not part of the run."""
        for check in self.checks:
            if check.id == check_id:
                return check
        return None

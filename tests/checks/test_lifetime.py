"""nat.lifetime verdicts over hand-made measurements: boundaries and exact values."""

from __future__ import annotations

import pytest

from flexdiag.analysis import lifetime as lt
from flexdiag.checks.lifetime import evaluate
from flexdiag.model import Status
from flexdiag.records import Measurement
from flexdiag.vocab import FlowKind, Method, Stopped

E, F = FlowKind.ESTABLISHED, FlowKind.FRESH


def measured(*probes: tuple[FlowKind, float, bool | None],
             stopped: Stopped = Stopped.DECIDED) -> Measurement:
    return Measurement(probes=[lt.Probe(flow, idle, alive) for flow, idle, alive in probes],
                       stopped=stopped, elapsed_s=100.0)


@pytest.mark.parametrize(("probes", "registration", "status"), [
    ([(E, 60.0, True)], 60, Status.PASS),  # alive exactly at the interval
    ([(E, 59.0, True)], 60, Status.WARN),  # not yet known
    ([(E, 58.0, True), (E, 60.0, False)], 60, Status.FAIL),  # expired exactly at it
    ([(E, 58.0, True), (E, 61.0, False)], 60, Status.WARN),  # expired after: undecided
])
def test_boundaries(probes: list[tuple[FlowKind, float, bool | None]], registration: int,
                    status: Status) -> None:
    finding = evaluate(measured(*probes), method=Method.RFC5780, registration_s=registration,
                       budget_s=100.0, sent=10)
    assert finding.status is status and finding.faq == (6,)


def test_fail_advises_eighty_percent_of_the_last_alive_idle_time() -> None:
    finding = evaluate(measured((E, 20.0, True), (E, 22.0, False), (F, 10.0, True),
                                (F, 12.0, False)),
                       method=Method.RFC5780, registration_s=60, budget_s=100.0, sent=10)
    assert finding.status is Status.FAIL
    assert finding.data["alive_s"] == 20.0 and finding.data["expired_s"] == 22.0
    assert finding.data["fresh"] == {"alive_s": 10.0, "expired_s": 12.0}
    assert "16" in (finding.advice or "")  # int(20.0 * 0.8)
    assert "RFC 4787" in (finding.advice or "")  # below the 2 minutes REQ-5 asks for


def test_no_mapping_is_a_stun_failure() -> None:
    finding = evaluate(measured(stopped=Stopped.NO_MAPPING), method=Method.REBIND,
                       registration_s=60, budget_s=100.0, sent=3)
    assert finding.status is Status.FAIL and finding.faq == (2,)


def test_interrupted_says_so_and_rebind_hints_at_rfc5780() -> None:
    finding = evaluate(measured((E, 10.0, None), stopped=Stopped.INTERRUPTED),
                       method=Method.REBIND, registration_s=60, budget_s=100.0, sent=3)
    assert finding.status is Status.WARN and "interrupted" in finding.summary
    assert finding.data["stopped"] == "interrupted"

"""The planner: one ordered plan over all results."""

from __future__ import annotations

from flexdiag.model import CheckResult, Status
from flexdiag.planner import plan


def result(check_id: str, status: Status, advice: str | None = None,
           faq: tuple[int, ...] = ()) -> CheckResult:
    return CheckResult(check_id, check_id, status, "summary", {}, advice, faq)


def test_nothing_to_do_is_an_empty_plan() -> None:
    assert plan([result("dns.voip", Status.PASS),
                 result("nat.filtering", Status.PASS, "a note, not a step")]).steps == ()


def test_failures_come_before_warnings_then_report_order() -> None:
    steps = plan([result("stun.binding", Status.WARN, "w1", (4,)),
                  result("sip.udp.5060", Status.FAIL, "f1", (5,)),
                  result("nat.mapping", Status.WARN, "w2", (6,)),
                  result("ntp.offset", Status.FAIL, "f2", (3,))]).steps
    assert [s.text for s in steps] == ["f1", "f2", "w1", "w2"]
    assert [s.checks for s in steps] == [("sip.udp.5060",), ("ntp.offset",), ("stun.binding",),
                                         ("nat.mapping",)]


def test_shared_advice_is_one_step_naming_every_check() -> None:
    steps = plan([result("sip.udp.5060", Status.FAIL, "same", (5,)),
                  result("sip.udp.38388", Status.FAIL, "same", (5, 1)),
                  result("sip.large", Status.WARN, "other", (5,))]).steps
    assert [(s.text, s.faq, s.checks) for s in steps] == [
        ("same", (1, 5), ("sip.udp.5060", "sip.udp.38388")), ("other", (5,), ("sip.large",))]


def test_skips_and_errors_without_advice_add_nothing() -> None:
    assert plan([result("nat.mapping", Status.SKIP), result("x", Status.ERROR)]).steps == ()

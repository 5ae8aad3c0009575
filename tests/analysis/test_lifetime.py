"""The lifetime arithmetic as tables: the probe ladder's rungs, brackets, when a flow is
decided, the verdict at the exact registration interval, and the advised interval's value."""

from __future__ import annotations

import pytest

from flexdiag.analysis import lifetime as lt
from flexdiag.vocab import FlowKind, Verdict

FRESH, ESTABLISHED = FlowKind.FRESH, FlowKind.ESTABLISHED


def test_the_ladder_steps_2_s_then_10_percent() -> None:
    assert lt.ladder(10.0) == [2.0, 4.0, 6.0, 8.0, 10.0]
    assert lt.ladder(9.0) == [2.0, 4.0, 6.0, 8.0, 9.0]
    rungs = lt.ladder(60.0)
    assert rungs[:10] == [2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0, 18.0, 20.0]
    assert rungs[10:] == [22.0, 24.2, 26.62, 29.282, 32.21, 35.431, 38.974, 42.872, 47.159,
                          51.875, 57.062, 60.0]
    assert lt.ladder(2.0) == [2.0] and lt.ladder(1.0) == [1.0]
    assert lt.ladder(5.0, first_s=0.5) == [0.5, 2.5, 4.5, 5.0]
    assert lt.ladder(1.0005) == [1.0]  # rounded to the millisecond
    assert lt.ladder(9.5)[-1] == 9.5 and lt.ladder(9.12345)[-1] == 9.123


def test_default_budget() -> None:
    assert lt.default_budget_s(3600) == 3600 + 2.5 + 30.0


def p(idle_s: float, alive: bool | None, flow: FlowKind = FRESH) -> lt.Probe:
    return lt.Probe(flow, idle_s, alive)


@pytest.mark.parametrize(("probes", "alive_s", "expired_s"), [
    ([], None, None),
    ([p(10, True), p(20, True), p(30, False), p(40, False)], 20, 30),
    # Alive after an expiry at a shorter idle: a fluke, it cannot raise the bound.
    ([p(10, True), p(30, False), p(35, True)], 10, 30),
    ([p(30, True), p(30, False)], None, 30),  # alive exactly at the expiry: not below it
    ([p(10, None), p(20, False)], None, 20),  # inconclusive probes prove nothing
    ([p(10, True, ESTABLISHED), p(5, True), p(6, False)], 5, 6),  # the other flow is ignored
])
def test_bracket(probes: list[lt.Probe], alive_s: float | None,
                 expired_s: float | None) -> None:
    b = lt.bracket(probes, FRESH)
    assert (b.alive_s, b.expired_s) == (alive_s, expired_s)


@pytest.mark.parametrize(("alive_s", "expired_s", "target_s", "known"), [
    (60.0, None, 60.0, True),  # alive at the target exactly
    (59.9, None, 60.0, False),
    (None, None, 60.0, False),
    (None, 30.0, 60.0, True),  # nothing provable below the expiry
    (27.0, 30.0, 60.0, True),  # 3 s wide: MIN_STEP_S x 1.5
    (17.5, 20.0, 60.0, True),  # 2.5 s wide, over 10 % of 20 s but within 3 s
    (26.9, 30.0, 60.0, False),
    (90.0, 100.0, 600.0, True),  # 10 % of the expiry
    (89.9, 100.0, 600.0, False),
    (0.5, 2.0, 60.0, True),  # expired at the first rung
    (0.5, 4.0, 60.0, False),
    (70.0, 80.0, 60.0, True),  # alive beyond the target
])
def test_decided(alive_s: float | None, expired_s: float | None, target_s: float,
                 known: bool) -> None:
    assert lt.decided(lt.Bracket(alive_s, expired_s), target_s) is known


def test_decided_with_another_first_rung() -> None:
    assert lt.decided(lt.Bracket(0.1, 5.0), 60.0, first_rung_s=5.0) is True
    assert lt.decided(lt.Bracket(0.1, 5.0), 60.0, first_rung_s=4.9) is False


@pytest.mark.parametrize(("alive_s", "expired_s", "verdict"), [
    (3600.0, None, Verdict.PASS),  # alive at exactly the registration interval
    (3599.0, None, Verdict.INCONCLUSIVE),
    (None, 3600.0, Verdict.FAIL),  # expired at exactly the interval
    (None, 3601.0, Verdict.INCONCLUSIVE),
    (100.0, 300.0, Verdict.FAIL),
    (None, None, Verdict.INCONCLUSIVE),
])
def test_verdict_at_the_registration_interval(alive_s: float | None, expired_s: float | None,
                                              verdict: Verdict) -> None:
    assert lt.verdict(lt.Bracket(alive_s, expired_s), 3600) is verdict


@pytest.mark.parametrize(("alive_s", "expired_s", "safe"), [
    (300.0, 330.0, 240),  # 0.8 x what was seen alive
    (None, 100.0, 80),  # else 0.8 x the expiry
    (299.9, None, 239),  # whole seconds, rounded down
    (1.0, None, 1), (0.5, None, 1),  # at least one second
    (None, None, None),
])
def test_safe_interval(alive_s: float | None, expired_s: float | None,
                       safe: int | None) -> None:
    assert lt.safe_interval_s(lt.Bracket(alive_s, expired_s)) == safe


def test_bracket_width() -> None:
    assert lt.Bracket(20.0, 30.5).width_s == 10.5
    assert lt.Bracket(None, 30.0).width_s is None and lt.Bracket(20.0, None).width_s is None


def test_target_and_budget_per_mode() -> None:
    """The default run watches min(registration, horizon) with a small margin; --lifetime the
    registration interval, its budget --max-wait or the registration time plus 32.5 s."""
    from flexdiag.vocab import LifetimeMode

    assert lt.target_and_budget_s(LifetimeMode.HORIZON, 3600, 180.0, None) == (
        180.0, 180.0 + lt.ESTABLISH_GAP_S + lt.HORIZON_MARGIN_S)
    assert lt.target_and_budget_s(LifetimeMode.HORIZON, 60, 180.0, 999.0) == (
        60, 60 + 2.5 + 8.0)
    assert lt.target_and_budget_s(LifetimeMode.FULL, 3600, 180.0, None) == (3600, 3632.5)
    assert lt.target_and_budget_s(LifetimeMode.FULL, 600, 180.0, 700.0) == (600, 700.0)
    assert lt.keepalive_s(lt.Bracket(29.3, 32.2)) == 23
    assert lt.keepalive_s(lt.Bracket(None, 10.0)) == 8 and lt.keepalive_s(
        lt.Bracket(None, None)) is None

"""Call quality from an RTP-paced probe's times (issue #23, part 2): RTT, RFC 3550 jitter, loss,
burst loss and the G.107 E-model's MOS, on hand-made timings."""

from __future__ import annotations

import pytest

from flexdiag.analysis import media as am

STEP = am.PACKET_INTERVAL_S


def sends(n: int) -> list[float]:
    return [i * STEP for i in range(n)]


def test_a_steady_path_has_no_jitter_and_a_high_mos() -> None:
    s = sends(250)
    q = am.quality(s, [t + 0.030 for t in s])
    assert (q.rtt_ms, q.rtt_p95_ms, q.jitter_ms, q.loss_pct, q.burst_loss_pct) == (
        30.0, 30.0, 0.0, 0.0, 0.0)
    mos = q.mos
    assert mos is not None and 4.3 <= mos <= 4.5 and q.good


def test_rfc3550_jitter_of_alternating_delays() -> None:
    # Delays 20, 40, 20, 40 ... ms: every |D| is 20 ms, and J converges to 20 ms.
    s = sends(400)
    q = am.quality(s, [t + (0.020 if i % 2 else 0.040) for i, t in enumerate(s)])
    assert q.jitter_ms == pytest.approx(20.0, abs=0.1)
    assert q.good  # 20 ms of jitter is within the 30 ms limit


def test_loss_and_the_worst_burst() -> None:
    s = sends(100)
    arrivals: list[float | None] = [t + 0.02 for t in s]
    for i in (10, 11, 12, 13, 14):  # five in a row: half of one 200 ms window
        arrivals[i] = None
    q = am.quality(s, arrivals)
    assert q.loss_pct == 5.0 and q.burst_loss_pct == 50.0 and not q.good


def test_nothing_answered() -> None:
    q = am.quality(sends(10), [None] * 10)
    assert (q.answered, q.rtt_ms, q.mos, q.loss_pct) == (0, None, None, 100.0)


@pytest.mark.parametrize(("one_way_ms", "loss_pct", "low", "high"), [
    (0, 0, 4.40, 4.45),  # G.711's best: R 93.2
    (150, 0, 4.2, 4.4),
    (400, 0, 2.5, 3.6),
    (20, 5, 3.8, 4.0),  # R 76.9 (Ie,eff 15.8 with Bpl 25.1)
    (20, 20, 2.4, 2.8),  # R 50.6
])
def test_mos_from_the_e_model(one_way_ms: float, loss_pct: float, low: float,
                              high: float) -> None:
    assert low <= am.mos(am.r_factor(one_way_ms, loss_pct)) <= high


def test_mos_falls_as_loss_rises() -> None:
    scores = [am.mos(am.r_factor(20, loss)) for loss in (0, 1, 2, 5, 10, 20)]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == len(scores)


def test_mos_is_bounded() -> None:
    assert am.mos(-5) == 1.0 and am.mos(120) == 4.5


GW = "203.0.113.1"


@pytest.mark.parametrize(("control_answered", "control", "media", "verdict"), [
    (True, [], [("198.51.100.40", 3, 3)], "forwarded"),  # port unreachable from the target
    (False, [], [("198.51.100.1", 11, 0)], "forwarded"),  # time exceeded beyond the gateway
    (True, [], [], "dropped"),  # the path answers, the media ports do not
    (False, [("198.51.100.1", 11, 0)], [], "dropped"),
    (False, [], [(GW, 3, 13)], "dropped"),  # the gateway says administratively prohibited
    (False, [], [], "undecided"),  # nothing beyond the gateway answers at all
    (False, [], [(GW, 11, 0)], "undecided"),  # only the gateway itself
])
def test_the_media_ports_verdict(control_answered: bool, control: list[tuple[str, int, int]],
                                 media: list[tuple[str, int, int]], verdict: str) -> None:
    assert am.ports_verdict(GW, control_answered, control, media) == verdict


def test_exact_figures_of_a_small_probe() -> None:
    """Exact values: p95 index, rounding, the jitter recurrence, the burst window."""
    s = [0.0, 0.02, 0.04, 0.06, 0.08]
    arrivals: list[float | None] = [0.010, 0.035, None, 0.072, 0.090]
    q = am.quality(s, arrivals)
    # RTTs 10, 15, 12, 10 ms; D = 5, -3 (over the lost one), -2 ms: J = 5/16, then
    # J += (3 - J)/16, then J += (2 - J)/16.
    j = 0.005 / 16
    j += (0.003 - j) / 16
    j += (0.002 - j) / 16
    assert q == am.Quality(sent=5, answered=4, rtt_ms=11.0, rtt_p95_ms=15.0,
                           jitter_ms=round(j * 1000, 1), loss_pct=20.0, burst_loss_pct=20.0,
                           mos=round(am.mos(am.r_factor(5.5, 20.0)), 2))
    assert am.jitter_s(s, arrivals) == pytest.approx(j)
    assert am.jitter_s([0.0], [0.01]) is None and am.jitter_s([], []) is None


def test_the_burst_window_slides() -> None:
    lost: list[float | None] = [0.0] * 30
    for i in (3, 12, 13, 14, 25):
        lost[i] = None
    assert am.burst_loss_pct(lost) == 30.0  # 12-14 within any ten
    assert am.burst_loss_pct(lost, window=3) == 100.0
    assert am.burst_loss_pct([]) == 0.0
    assert am.burst_loss_pct([None, 0.0, 0.0, 0.0]) == 25.0  # fewer than a window


def test_r_factor_and_mos_exactly() -> None:
    assert am.r_factor(0, 0) == pytest.approx(93.2)
    assert am.r_factor(177.3, 0) == pytest.approx(93.2 - 0.024 * 177.3)
    assert am.r_factor(277.3, 0) == pytest.approx(93.2 - 0.024 * 277.3 - 11.0)
    assert am.r_factor(0, 25.1) == pytest.approx(93.2 - 47.5)
    assert am.r_factor(0, 10, ie=10, bpl=10) == pytest.approx(93.2 - 10 - 85 * 0.5)
    assert am.mos(0) == 1.0 and am.mos(100) == 4.5
    assert am.mos(50) == pytest.approx(1 + 1.75 + 50 * -10 * 50 * 7e-6)
    assert am.mos(80) == pytest.approx(1 + 2.8 + 80 * 20 * 20 * 7e-6)


def test_the_thresholds_bound_good() -> None:
    s = sends(100)
    at_limits = am.quality(s, [t + 0.300 for t in s])
    assert at_limits.rtt_ms == 300.0 and at_limits.good
    assert not am.quality(s, [t + 0.301 for t in s]).good
    one = [t + 0.02 for t in s]
    one_lost: list[float | None] = [None, *one[1:]]
    assert am.quality(s, one_lost).loss_pct == 1.0 and am.quality(s, one_lost).good
    two_lost: list[float | None] = [None, None, *one[2:]]
    assert not am.quality(s, two_lost).good


def test_jitter_from_two_answers_and_not_from_one() -> None:
    # RFC 3550 §6.4.1: J += (|D| - J) / 16; two answers make one difference.
    assert am.jitter_s([0.0, 0.02], [0.01, 0.046]) == pytest.approx(0.016 / 16)
    assert am.jitter_s([0.0, 0.02], [0.01, None]) is None
    # A lost packet between two answers is skipped, not paired with None.
    assert am.jitter_s([0.0, 0.02, 0.04], [0.01, None, 0.066]) == pytest.approx(0.016 / 16)
    with pytest.raises(ValueError):
        am.jitter_s([0.0, 0.02], [0.01])  # one clock, one list each: lengths must match


def test_a_probe_as_short_as_the_window_is_one_window() -> None:
    assert am.burst_loss_pct([None, 1.0, 1.0, 1.0], window=4) == 25.0
    assert am.burst_loss_pct([None] * 3 + [1.0] * 7) == 30.0  # exactly BURST_WINDOW long
    assert am.burst_loss_pct([None, None, 1.0, 1.0, 1.0], window=4) == 50.0  # 5 > 4: slides
    assert am.burst_loss_pct([1.0, 1.0, 1.0, 1.0, None], window=4) == 25.0


def test_e_model_edges() -> None:
    # G.107: the delay impairment's second term starts beyond 177.3 ms.
    assert am.r_factor(178.0, 0.0) == pytest.approx(93.2 - 0.024 * 178.0 - 0.11 * 0.7)
    assert am.mos(0.5) == pytest.approx(1 + 0.035 * 0.5 + 0.5 * -59.5 * 99.5 * 7e-6)
    assert am.mos(-1) == 1.0 and am.mos(100.5) == 4.5 and am.mos(100) == 4.5


def test_figures_are_rounded_as_reported() -> None:
    sends = [i * 0.02 for i in range(21)]
    arrivals: list[float | None] = [s + 0.01234 + (0.00177 if i % 2 else 0) for i, s in
                                    enumerate(sends)]
    arrivals[3] = None
    q = am.quality(sends, arrivals)
    assert (q.sent, q.answered) == (21, 20)
    assert q.rtt_ms == 12.3 and q.rtt_p95_ms == 14.1  # 12.34 / 14.11 ms, to 0.1 ms
    assert q.loss_pct == 4.8 and q.burst_loss_pct == 10.0  # 1/21 = 4.76 %, 1 in 10
    assert (q.jitter_ms, q.mos) == (1.2, 3.94)
    p95 = am.quality([0.0] * 20, [i / 1000 for i in range(20)]).rtt_p95_ms
    assert p95 == 18.0  # index round(0.95 * 19) = 18 of 0..19 ms


def test_ports_verdict_edges() -> None:
    gw = "192.168.1.1"
    # The gateway's port unreachable (not "prohibited") is no refusal of its own.
    assert am.ports_verdict(gw, False, [], [(gw, 3, 3)]) is am.UNDECIDED
    # Prohibited from someone else than the gateway: beyond it, so it left the site.
    assert am.ports_verdict(gw, False, [], [("10.9.9.9", 3, 13)]) is am.FORWARDED
    # A control answer from the gateway itself does not prove a path beyond it.
    assert am.ports_verdict(gw, False, [(gw, 11, 0)], []) is am.UNDECIDED
    assert am.ports_verdict(gw, False, [(None, 11, 0)], []) is am.UNDECIDED

"""The test call's figures per direction (flexdiag.analysis.call), on hand-made arrivals."""

from __future__ import annotations

import pytest

from flexdiag.analysis import call

STEP = 0.020


def sends(n: int, start: float = 100.0) -> list[float]:
    return [start + i * STEP for i in range(n)]


def test_a_clean_direction() -> None:
    sent = sends(100)
    arrivals = [(500 + i, t + 0.040) for i, t in enumerate(sent)]
    d = call.direction(sent, 500, arrivals)
    assert (d.sent, d.received, d.first_audio_ms, d.lost_at_start) == (100, 100, 40.0, 0)
    assert (d.loss_pct, d.jitter_ms, d.max_gap_ms, d.delay_ms) == (0.0, 0.0, 20.0, 40.0)
    assert d.by_sequence and d.good and not d.silent and d.mos == 4.39


def test_sequence_numbers_wrap() -> None:
    sent = sends(10)
    arrivals = [((65530 + i) % 65536, t + 0.01) for i, t in enumerate(sent)]
    d = call.direction(sent, 65530, arrivals)
    assert d.by_sequence and d.received == 10 and d.loss_pct == 0.0


def test_start_loss_then_gaps_and_jitter() -> None:
    sent = sends(100)
    arrivals = [(i, t + (0.05 if i % 2 else 0.03)) for i, t in enumerate(sent)
                if i >= 10 and i not in (50, 51, 52)]
    d = call.direction(sent, 0, arrivals)
    assert d.lost_at_start == 10 and d.first_audio_ms == 230.0
    assert d.loss_pct == pytest.approx(100 * 3 / 90, abs=0.05)
    assert d.max_gap_ms == 80.0  # 50-52 lost: 49 (+50 ms) -> 53 (+50 ms)
    # RFC 3550: |D| alternates 20 ms; the running estimate approaches it from below.
    assert d.jitter_ms is not None and 15 < d.jitter_ms <= 20
    assert not d.good  # loss beyond 1 %


def test_silence_and_nothing_sent() -> None:
    silent = call.direction(sends(50), 0, [])
    assert silent.silent and silent.received == 0 and silent.mos is None and not silent.good
    nothing = call.direction([], 0, [(1, 1.0)])
    assert nothing.sent == 0 and nothing.first_audio_ms is None


def test_renumbered_packets_fall_back_to_arrival_times() -> None:
    sent = sends(100)
    arrivals = [(40000 + i, t + 0.02) for i, t in enumerate(sent) if i >= 25]
    d = call.direction(sent, 7, arrivals)
    assert not d.by_sequence and d.delay_ms is None
    assert d.lost_at_start == 26 and d.loss_pct == 0.0  # the start as arrival times put it
    duplicated = [(7, t) for t in (100.01, 100.03, 100.05)]
    assert not call.direction(sends(3), 7, duplicated).by_sequence


def test_stray_numbers_beyond_what_was_sent_are_not_counted() -> None:
    sent = sends(100)
    arrivals = [(i, t + 0.01) for i, t in enumerate(sent)] + [(150, 103.0)]
    d = call.direction(sent, 0, arrivals)
    assert d.by_sequence and d.loss_pct == 0.0 and d.received == 101


def test_after_the_phones_first_packet() -> None:
    assert call.after_phone_ms([(1, 11.02)], 11.0) == 20.0
    assert call.after_phone_ms([(1, 10.5)], 11.0) == -500.0
    assert call.after_phone_ms([], 11.0) is None and call.after_phone_ms([(1, 1.0)], None) is None


def test_figures_keep_a_tenth_of_a_millisecond() -> None:
    sent = sends(20)
    arrivals = [(i, t + 0.01234 + (0.00321 if i == 7 else 0.0)) for i, t in enumerate(sent)]
    d = call.direction(sent, 0, arrivals)
    assert (d.first_audio_ms, d.delay_ms, d.max_gap_ms) == (12.3, 12.3, 23.2)
    assert d.jitter_ms == 0.2 and d.mos == 4.4
    assert call.after_phone_ms([(0, 100.01234)], 100.0) == 12.3
    two = call.direction(sends(2), 0, [(0, 100.01), (1, 100.05)])
    assert two.jitter_ms == 1.2  # two arrivals are enough for RFC 3550's estimate
    one = call.direction(sends(2), 0, [(0, 100.01)])
    assert one.jitter_ms is None and one.max_gap_ms is None and one.loss_pct == 50.0


def test_the_fallback_counts_loss_from_the_estimated_start() -> None:
    sent = sends(100)
    arrivals = [(30000 + k, 100.0 + 0.5 + k * STEP) for k in range(40)]  # 0.5 s in: 25
    d = call.direction(sent, 0, arrivals)
    assert not d.by_sequence and d.lost_at_start == 25
    assert d.loss_pct == pytest.approx(100 * (75 - 40) / 75, abs=0.05)
    assert d.mos is not None and d.mos < 2.5
    late = call.direction(sends(3), 0, [(9000, 200.0)])  # far beyond the last packet
    assert late.lost_at_start == 2 and late.loss_pct == 0.0


def test_just_enough_matching_numbers_are_trusted() -> None:
    sent = sends(10)
    nine = [(i, t + 0.01) for i, t in enumerate(sent[:9])] + [(5000, 101.0)]
    assert call.direction(sent, 0, nine).by_sequence  # 9 of 10 place: enough
    eight = [(i, t + 0.01) for i, t in enumerate(sent[:8])] + [(5000, 101.0), (5001, 101.1)]
    assert not call.direction(sent, 0, eight).by_sequence

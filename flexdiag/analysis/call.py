"""What a test call's audio was like, per direction, from send and arrival times. Pure.

Both ends of the call run in one process on one clock, so every figure is one-way:

- **first audio**: from the sender's first packet to the first arrival; towards the phone also
  from the phone's own first packet, because the platform sends to a translated port only once
  the phone has sent (FAQ item 4);
- **lost at the start**: packets sent before the first one that arrived;
- **loss** after that, **jitter** (RFC 3550 §6.4.1: D = (Rj - Ri) - (Sj - Si), J += (|D| - J) /
  16), the **largest gap** between two arrivals, the median **one-way delay**, and an E-model
  **MOS** for G.711 (ITU-T G.107, as :mod:`flexdiag.analysis.media`).

Packets are matched to what was sent by RTP sequence number (offset from the first sent). A
relay may renumber them (RFC 3550 §7: a translator may), so where the numbers do not fit what
was sent the figures fall back to arrival times alone: no per-packet delay, loss by count.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from flexdiag.analysis.media import mos, r_factor

PACKET_S = 0.020
HOLD_S = 1.0  # the called phone holds back its first audio packet this long (FAQ item 4)
TAIL_S = 0.5  # after the last packet, for the last arrivals
# An installer's thresholds: audio towards the phone must start within this of the phone's
# own first packet (FAQ item 4's learning is one packet); loss and jitter as media.quality.
MAX_FIRST_AUDIO_AFTER_PHONE_S = 0.5
MAX_LOSS_PCT = 1.0
MAX_JITTER_MS = 30.0
MIN_MOS = 3.6
MATCHED_SHARE = 0.9  # sequence numbers must place this share of arrivals to be trusted


@dataclass(frozen=True)
class Direction:
    """The figures of one direction (``None`` where nothing arrived)."""

    sent: int
    received: int
    first_audio_ms: float | None  # after the sender's first packet
    lost_at_start: int | None  # packets sent before the first that arrived
    loss_pct: float | None  # after the first arrival
    jitter_ms: float | None
    max_gap_ms: float | None
    delay_ms: float | None  # median one-way delay (None: sequence numbers not usable)
    mos: float | None
    by_sequence: bool  # matched by sequence number (else by arrival times only)

    @property
    def silent(self) -> bool:
        return self.received == 0

    @property
    def good(self) -> bool:
        return (not self.silent and (self.loss_pct or 0.0) <= MAX_LOSS_PCT
                and (self.jitter_ms or 0.0) <= MAX_JITTER_MS
                and (self.mos is None or self.mos >= MIN_MOS))


def _indices(sent: int, first_seq: int, arrivals: Sequence[tuple[int, float]]) -> list[int] | None:
    """Each arrival's packet index by sequence number, or ``None`` when they do not fit."""
    if not arrivals:
        return []
    indices = [(seq - first_seq) % 65536 for seq, _ in arrivals]
    fitting = sum(1 for i in indices if i < sent)
    if fitting < MATCHED_SHARE * len(arrivals) or len(set(indices)) < MATCHED_SHARE * len(
            arrivals):
        return None
    return indices


def _jitter_ms(pairs: Sequence[tuple[float, float]]) -> float | None:
    """RFC 3550 §6.4.1 over (send, arrival) pairs in arrival order."""
    if len(pairs) < 2:
        return None
    j = 0.0
    for (si, ri), (sj, rj) in zip(pairs, pairs[1:], strict=False):
        j += (abs((rj - ri) - (sj - si)) - j) / 16
    return round(j * 1000, 1)


def direction(sent_at: Sequence[float], first_seq: int,
              arrivals: Sequence[tuple[int, float]]) -> Direction:
    """The figures of one direction: ``sent_at[i]`` when packet i (sequence ``first_seq + i``)
    left, ``arrivals`` (sequence, time) in arrival order."""
    sent = len(sent_at)
    if not sent_at or not arrivals:
        return Direction(sent, len(arrivals), None, None, None, None, None, None, None, True)
    times = [t for _, t in arrivals]
    first_ms = round((times[0] - sent_at[0]) * 1000, 1)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    max_gap = round(max(gaps) * 1000, 1) if gaps else None
    indices = _indices(sent, first_seq, arrivals)
    if indices is None:  # renumbered: arrival times only
        start = max(0, min(sent - 1, round((times[0] - sent_at[0]) / PACKET_S)))
        expected = max(1, sent - start)
        loss = round(max(0.0, 100.0 * (expected - len(times)) / expected), 1)
        pairs = [(sent_at[0] + k * PACKET_S, t) for k, t in enumerate(times)]
        jitter = _jitter_ms(pairs)
        return Direction(sent, len(times), first_ms, start, loss, jitter, max_gap, None,
                         round(mos(r_factor(0.0, loss)), 2), False)
    placed = sorted({i: t for i, t in zip(indices, times, strict=True) if i < sent}.items())
    first_index = placed[0][0]
    expected = sent - first_index
    loss = round(100.0 * (expected - len(placed)) / expected, 1)
    delays = [(t - sent_at[i]) * 1000 for i, t in placed]
    delay = round(statistics.median(delays), 1)
    pairs = [(sent_at[i], t) for i, t in zip(indices, times, strict=True) if i < sent]
    return Direction(sent, len(times), first_ms, first_index, loss, _jitter_ms(pairs), max_gap,
                     delay, round(mos(r_factor(delay, loss)), 2), True)


def after_phone_ms(arrivals: Sequence[tuple[int, float]], phone_first_sent: float | None
                   ) -> float | None:
    """How long after the phone's own first packet audio towards it began (FAQ item 4:
    the platform learns the phone's public port from that packet). Negative: before it."""
    if not arrivals or phone_first_sent is None:
        return None
    return round((arrivals[0][1] - phone_first_sent) * 1000, 1)

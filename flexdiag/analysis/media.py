"""What a call would sound like, from an RTP-paced probe's send and arrival times. Pure.

The probe (:mod:`flexdiag.net.media`) sends a STUN Binding request every 20 ms, the packet rate
of a G.711 call with 20 ms frames, and notes when each answer arrives. From those times:

- round-trip time, median and 95th percentile;
- interarrival jitter as RTP receivers estimate it (RFC 3550 §6.4.1): for consecutive answered
  packets i, j, D = (Rj - Ri) - (Sj - Si) and J += (|D| - J) / 16;
- loss, and the worst loss within any 200 ms (ten packets): bursts hurt more than scattered
  losses, and packet-loss concealment hides the latter;
- an estimated MOS for G.711 from the ITU-T G.107 E-model: R = 93.2 - Id - Ie,eff with the
  delay impairment Id from the one-way delay (taken as RTT / 2: a round trip says nothing per
  direction) in the common simplification of G.107's formula, Ie,eff = Ie + (95 - Ie) * Ppl /
  (Ppl + Bpl) with G.711's Ie = 0 and Bpl = 25.1 (with packet-loss concealment, ITU-T G.113
  Appendix I), and MOS from R (G.107 Annex B).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from flexdiag.vocab import MediaVerdict

PACKET_INTERVAL_S = 0.020  # one RTP packet per 20 ms frame
TAIL_S = 1.0  # the longest wait for answers after the probe's last request
BURST_WINDOW = 10  # packets: 200 ms
G711_IE = 0.0
G711_BPL = 25.1  # with packet-loss concealment (G.113 Appendix I)
R0 = 93.2  # G.107 default basic signal-to-noise ratio with default parameters

# Thresholds an installer can read (one-way 150 ms: ITU-T G.114's limit for good interaction).
MAX_RTT_MS = 300.0
MAX_JITTER_MS = 30.0
MAX_LOSS_PCT = 1.0


@dataclass(frozen=True)
class Quality:
    """The figures of one probe; ``None`` where nothing was answered."""

    sent: int
    answered: int
    rtt_ms: float | None
    rtt_p95_ms: float | None
    jitter_ms: float | None
    loss_pct: float
    burst_loss_pct: float
    mos: float | None

    @property
    def good(self) -> bool:
        """Within the thresholds (RTT, jitter, loss)."""
        return (self.rtt_ms is not None and self.jitter_ms is not None
                and self.rtt_p95_ms is not None and self.rtt_ms <= MAX_RTT_MS
                and self.jitter_ms <= MAX_JITTER_MS and self.loss_pct <= MAX_LOSS_PCT)


def jitter_s(sends: Sequence[float], arrivals: Sequence[float | None]) -> float | None:
    """RFC 3550 §6.4.1's running estimate over consecutive answered packets (seconds)."""
    pairs = [(s, r) for s, r in zip(sends, arrivals, strict=True) if r is not None]
    if len(pairs) < 2:
        return None
    j = 0.0
    for (si, ri), (sj, rj) in zip(pairs, pairs[1:], strict=False):
        d = (rj - ri) - (sj - si)
        j += (abs(d) - j) / 16
    return j


def burst_loss_pct(arrivals: Sequence[float | None], window: int = BURST_WINDOW) -> float:
    """The worst share of lost packets within any ``window`` consecutive ones, percent."""
    lost = [r is None for r in arrivals]
    if not lost:
        return 0.0
    if len(lost) <= window:
        return 100.0 * sum(lost) / len(lost)
    count = sum(lost[:window])
    worst = count
    for i in range(window, len(lost)):
        count += lost[i] - lost[i - window]
        worst = max(worst, count)
    return 100.0 * worst / window


def r_factor(one_way_ms: float, loss_pct: float, ie: float = G711_IE,
             bpl: float = G711_BPL) -> float:
    """G.107 transmission rating from the one-way delay and random packet loss."""
    d = one_way_ms
    delay = 0.024 * d + (0.11 * (d - 177.3) if d > 177.3 else 0.0)
    loss = ie + (95.0 - ie) * loss_pct / (loss_pct + bpl)
    return R0 - delay - loss


def mos(r: float) -> float:
    """G.107 Annex B: the mean opinion score an R factor predicts (1 to 4.5)."""
    if r <= 0:
        return 1.0
    if r >= 100:
        return 4.5
    return 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6


def quality(sends: Sequence[float], arrivals: Sequence[float | None]) -> Quality:
    """The figures of a probe: ``sends[i]`` when packet i left, ``arrivals[i]`` when its
    answer came (``None``: never), both on one clock, in seconds."""
    sent = len(sends)
    rtts = sorted((r - s) * 1000 for s, r in zip(sends, arrivals, strict=True)
                  if r is not None)
    answered = len(rtts)
    loss = 100.0 * (sent - answered) / sent if sent else 100.0
    if not rtts:
        return Quality(sent, 0, None, None, None, loss, burst_loss_pct(arrivals), None)
    median = statistics.median(rtts)
    p95 = rtts[min(len(rtts) - 1, int(round(0.95 * (len(rtts) - 1))))]
    jitter = jitter_s(sends, arrivals)
    score = mos(r_factor(median / 2, loss))
    return Quality(sent, answered, round(median, 1), round(p95, 1),
                   None if jitter is None else round(jitter * 1000, 1), round(loss, 1),
                   round(burst_loss_pct(arrivals), 1), round(score, 2))


# --- media.ports ------------------------------------------------------------------------------

ICMP_TIME_EXCEEDED = 11
ICMP_DEST_UNREACH = 3
ICMP_ADMIN_PROHIBITED = (9, 10, 13)  # RFC 1812 §5.2.7.1: administratively prohibited
FORWARDED, DROPPED, UNDECIDED = (MediaVerdict.FORWARDED, MediaVerdict.DROPPED,
                                 MediaVerdict.UNDECIDED)


def ports_verdict(gateway: str | None, control_answered: bool,
                  control: Sequence[tuple[str | None, int, int]],
                  media: Sequence[tuple[str | None, int, int]]) -> MediaVerdict:
    """``forwarded`` when a media probe drew an ICMP error (time exceeded, or unreachable from
    the destination) from beyond the gateway: it left the site; ``dropped`` when the gateway
    refused them (administratively prohibited) or, while the control probe's path answered
    from beyond the gateway, nothing came back for them; ``undecided`` when nothing beyond the
    gateway answers at all. Each report is (offender, ICMP type, ICMP code)."""
    if any(offender is not None and offender != gateway for offender, _, _ in media):
        return FORWARDED
    if any(offender == gateway and kind == ICMP_DEST_UNREACH and code in ICMP_ADMIN_PROHIBITED
           for offender, kind, code in media):
        return DROPPED
    beyond = control_answered or any(o is not None and o != gateway for o, _, _ in control)
    return DROPPED if beyond else UNDECIDED

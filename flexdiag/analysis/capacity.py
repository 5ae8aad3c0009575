"""How many flows phones need, how fast flexdiag may open them, and what a refused tail looks
like: pure facts shared by the capacity probe (net), its judgement (checks) and the budget."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol


class Answered(Protocol):
    """A flow of the run as this analysis sees it (:class:`flexdiag.records.Flow`)."""

    @property
    def answered(self) -> bool: ...

PACING_S = 0.02  # RFC 8445 §B.1: Ta = 20 ms between new flows
FLOWS_PER_PHONE = 3  # SIP, and RTP + RTCP for a call
SITE_FLOWS = 2  # DNS and NTP
REFUSED_SHARE = 0.8  # of the flows after the first unanswered one: a tail, not scattered loss


def flows_needed(phones: int) -> int:
    """The flows ``phones`` phones and their site need at once (FAQ item 6)."""
    return FLOWS_PER_PHONE * phones + SITE_FLOWS


def phones_carried(flows: int) -> int:
    """About how many phones in calls a NAT table of ``flows`` flows carries (at least one,
    for the advice's sake)."""
    return max(1, flows // FLOWS_PER_PHONE)


def refused_tail(answered: tuple[bool, ...]) -> int | None:
    """Where a full table began refusing: the index of the first unanswered flow, when (nearly)
    all after it went unanswered too (scattered losses are not a full table); else ``None``."""
    if all(answered) or not any(answered):
        return None
    first = answered.index(False)
    tail = answered[first:]
    return first if tail.count(False) >= REFUSED_SHARE * len(tail) else None


def admitted_flows(flows: Iterable[Answered]) -> int:
    """The flows of a run the table admitted: its answered UDP flows (DNS included: its
    queries ride one flow of the run's own per resolver)."""
    return sum(1 for f in flows if f.answered)

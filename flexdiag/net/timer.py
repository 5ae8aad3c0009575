"""The retransmission schedule of one exchange, as a pure timer (no asyncio, no clock of its
own): the caller says what time it is, the timer says whether to send and when to wake.

RFC 8489 §6.2.1 (STUN) and RFC 3261 §17.1.1.2 (SIP Timer A/E) share the shape: send at once,
then again after an RTO that doubles each time, at most ``max_sends`` copies (STUN's Rc = 7),
and stop waiting at a deadline (Rm x RTO for STUN, Timer B/F for SIP; here the run's budget).
"""

from __future__ import annotations

from dataclasses import dataclass

RTO_S = 0.5  # RFC 8489 §6.2.1 initial RTO; RFC 3261 §17.1.1.2 Timer A = T1 = 500 ms
MAX_SENDS = 7  # RFC 8489 §6.2.1: Rc = 7


@dataclass
class Retransmissions:
    """When the next copy goes out, and when the wait is over."""

    start: float
    deadline: float
    rto_s: float = RTO_S
    max_sends: int = MAX_SENDS
    sent: int = 0

    def __post_init__(self) -> None:
        self.next_send = self.start
        self.last_send = self.start

    def expired(self, now: float) -> bool:
        """The deadline has come: give up."""
        return now >= self.deadline

    def due(self, now: float) -> bool:
        """A copy should be sent now."""
        return now >= self.next_send and self.sent < self.max_sends

    def record_send(self, now: float) -> None:
        """A copy was sent at ``now``: the next one waits the current RTO, which doubles."""
        self.sent += 1
        self.last_send = now
        self.next_send = now + self.rto_s
        self.rto_s *= 2

    def wake_at(self) -> float:
        """When to look again if nothing arrives: the next send, or the deadline."""
        if self.sent >= self.max_sends:
            return self.deadline
        return min(self.next_send, self.deadline)

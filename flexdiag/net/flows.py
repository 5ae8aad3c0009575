"""Which UDP flows (local address, destination) a run opened, in order, and which of them got
an answer: flexdiag's own footprint in the router's NAT table (FAQ item 6), and the evidence
that a full table refused the later ones.

A run sets :data:`CURRENT` to a :class:`FlowLog`; every UDP endpoint opened in that context
notes the datagrams it sends and receives there (tasks copy the context when they are
created), so every exchange of the run writes to the same log, and concurrent runs (tests) to
their own. DNS queries are in it too: they ride one socket of the run's own per resolver.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field

from flexdiag.addr import Addr
from flexdiag.records import Flow, SilenceBasis

CURRENT: ContextVar[FlowLog | None] = ContextVar("flexdiag_flows", default=None)


# Giving up on silence (issue "fast verdicts"): an unanswered exchange has waited long enough
# once it has waited SILENCE_RTTS x the largest round trip this run measured to the same host
# (else to any server), and at least SILENCE_FLOOR_S, which keeps a slow or lossy link (4G,
# satellite: RTTs up to ~1 s, a few % loss; RFC 8489 §6.2.1's retransmissions meanwhile) from
# being judged silent too early. The run's --timeout stays the ceiling.
SILENCE_RTTS = 8.0
SILENCE_FLOOR_S = 2.0
SILENCE_MIN_SENDS = 3  # copies sent before silence is believed


@dataclass
class FlowLog:
    """Flows in the order they were opened, the ones answered, and the round trips measured
    (the evidence for how long silence is worth waiting out)."""

    opened: dict[tuple[Addr, Addr], int] = field(default_factory=dict)
    answered: set[tuple[Addr, Addr]] = field(default_factory=set)
    rtts: dict[str, float] = field(default_factory=dict)  # destination IP -> largest RTT

    def measured(self, dest: Addr, rtt_s: float) -> None:
        self.rtts[dest[0]] = max(rtt_s, self.rtts.get(dest[0], 0.0))

    def silence_wait(self, dest: Addr) -> SilenceBasis | None:
        """How long an unanswered exchange to ``dest`` is worth waiting, and why; ``None``
        while the run has measured nothing to judge by (then the deadline decides)."""
        same = self.rtts.get(dest[0])
        basis = same if same is not None else max(self.rtts.values(), default=None)
        if basis is None:
            return None
        return SilenceBasis(SILENCE_RTTS, basis, same is not None, SILENCE_FLOOR_S)

    def sent(self, local: Addr, dest: Addr) -> None:
        self.opened.setdefault((local, dest), len(self.opened))

    def received(self, local: Addr, source: Addr) -> None:
        if (local, source) in self.opened:
            self.answered.add((local, source))

    def flows(self) -> tuple[Flow, ...]:
        return tuple(Flow(local, dest, order, (local, dest) in self.answered)
                     for (local, dest), order in sorted(self.opened.items(),
                                                        key=lambda item: item[1]))

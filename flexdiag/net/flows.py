"""Which UDP flows (local address, destination) a run opened, in order, and which of them got
an answer: flexdiag's own footprint in the router's NAT table (FAQ item 6), and the evidence
that a full table refused the later ones.

A run sets :data:`CURRENT` to a :class:`FlowLog`; every UDP endpoint opened in that context
notes the datagrams it sends and receives there (tasks copy the context when they are
created), so every exchange of the run writes to the same log, and concurrent runs (tests) to
their own. DNS queries go through dnspython's sockets and are not in the log.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field

from flexdiag.addr import Addr
from flexdiag.records import Flow

CURRENT: ContextVar[FlowLog | None] = ContextVar("flexdiag_flows", default=None)


@dataclass
class FlowLog:
    """Flows in the order they were opened, and the ones answered."""

    opened: dict[tuple[Addr, Addr], int] = field(default_factory=dict)
    answered: set[tuple[Addr, Addr]] = field(default_factory=set)

    def sent(self, local: Addr, dest: Addr) -> None:
        self.opened.setdefault((local, dest), len(self.opened))

    def received(self, local: Addr, source: Addr) -> None:
        if (local, source) in self.opened:
            self.answered.add((local, source))

    def flows(self) -> tuple[Flow, ...]:
        return tuple(Flow(local, dest, order, (local, dest) in self.answered)
                     for (local, dest), order in sorted(self.opened.items(),
                                                        key=lambda item: item[1]))

"""NAT mapping lifetime: the probe ladder, brackets and the verdict. Pure functions.

A probe asks whether a mapping left idle for ``idle_s`` still works: ``True`` (alive),
``False`` (expired) or ``None`` (inconclusive: the re-bind method cannot prove a mapping alive
on a port-preserving NAT). RFC 4787 REQ-5: a UDP mapping timer must not expire in less than
2 minutes and should last 5 minutes or more.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flexdiag.vocab import FlowKind, LifetimeMode, Verdict

ESTABLISHED = FlowKind.ESTABLISHED  # primed with replies over > 2 s (a kept-alive flow)
FRESH = FlowKind.FRESH  # one exchange, then idle (a phone between two registrations)
PHONE_FLOW = FRESH  # the traffic pattern of a phone between two registrations: the verdict's
FIRST_RUNG_S = 2.0
MIN_STEP_S = 2.0
STEP_RATIO = 0.1  # bracket width: 10 % or 2 s, whichever is larger (issue: <= 10 % or <= 5 s)
RFC4787_MIN_S = 120.0  # REQ-5
SAFETY = 0.8  # advise a registration interval this far below the measured lifetime
# Linux conntrack marks a UDP flow ASSURED (and gives it the longer stream timeout) when a
# packet arrives more than ~2 s after the flow was created. Priming a mapping as "established"
# repeats the binding after this gap.
ESTABLISH_GAP_S = 2.5
MARGIN_S = 30.0  # default budget: registration time plus this


HORIZON_MARGIN_S = 8.0  # beyond the horizon: priming, the last tests' waits


def default_budget_s(registration_s: float) -> float:
    """The default ``--max-wait``: the registration time plus priming and a margin."""
    return registration_s + ESTABLISH_GAP_S + MARGIN_S


def target_and_budget_s(mode: LifetimeMode, registration_s: float, horizon_s: float,
                        max_wait_s: float | None) -> tuple[float, float]:
    """How long an idle mapping must be watched, and the measurement's budget: the
    registration interval (``--lifetime``, budget ``--max-wait``), or in the default run the
    horizon when that is shorter (a verdict "kept at least the horizon" then)."""
    if mode is LifetimeMode.HORIZON:
        target = min(registration_s, horizon_s)
        return target, target + ESTABLISH_GAP_S + HORIZON_MARGIN_S
    return registration_s, max_wait_s or default_budget_s(registration_s)


def keepalive_s(b: Bracket) -> int | None:
    """A NAT keep-alive interval that keeps the phone's mapping from ever sitting idle long
    enough to expire: :data:`SAFETY` of the longest idle time seen alive (or of the expiry,
    when nothing was seen alive), whole seconds, at least 1."""
    return safe_interval_s(b)


@dataclass(frozen=True)
class Probe:
    """One probe: which flow kind, how long the mapping was idle, and what was seen."""

    flow: FlowKind
    idle_s: float
    alive: bool | None


@dataclass(frozen=True)
class Bracket:
    """The longest idle time seen alive and the shortest seen expired (either may be unknown)."""

    alive_s: float | None
    expired_s: float | None

    @property
    def width_s(self) -> float | None:
        if self.alive_s is None or self.expired_s is None:
            return None
        return self.expired_s - self.alive_s


def ladder(max_s: float, first_s: float = FIRST_RUNG_S) -> list[float]:
    """Idle times to probe, up to and including ``max_s``: steps of 2 s, growing to 10 % of
    the idle time, so that neighbouring rungs bracket a lifetime finely enough."""
    rungs: list[float] = []
    t = first_s
    while t < max_s:
        rungs.append(round(t, 3))
        t += max(MIN_STEP_S, STEP_RATIO * t)
    rungs.append(round(max_s, 3))
    return rungs


def bracket(probes: Iterable[Probe], flow: FlowKind) -> Bracket:
    """The bracket for one flow kind: the shortest expired idle time, and the longest alive
    one below it (a mapping alive after an expiry at a shorter idle is a measurement fluke
    and cannot raise the bound)."""
    mine = [p for p in probes if p.flow == flow]
    expired = [p.idle_s for p in mine if p.alive is False]
    expired_s = min(expired) if expired else None
    alive = [p.idle_s for p in mine if p.alive is True
             and (expired_s is None or p.idle_s < expired_s)]
    return Bracket(max(alive) if alive else None, expired_s)


def decided(b: Bracket, target_s: float, first_rung_s: float = FIRST_RUNG_S) -> bool:
    """Is the answer for this flow known? Alive at the target, or expired with a fine enough
    bracket (or expired already at the first rung, or with nothing provable below it)."""
    if b.alive_s is not None and b.alive_s >= target_s:
        return True
    if b.expired_s is None:
        return False
    if b.alive_s is None:
        return True  # nothing below can be proven alive: the upper bound is the answer
    return b.expired_s - b.alive_s <= max(MIN_STEP_S * 1.5, STEP_RATIO * b.expired_s) or (
        b.expired_s <= first_rung_s)


def verdict(b: Bracket, registration_s: float) -> Verdict:
    """``pass`` (survives the registration interval), ``fail`` (expires before it) or
    ``inconclusive``."""
    if b.alive_s is not None and b.alive_s >= registration_s:
        return Verdict.PASS
    if b.expired_s is not None and b.expired_s <= registration_s:
        return Verdict.FAIL
    return Verdict.INCONCLUSIVE


def safe_interval_s(b: Bracket) -> int | None:
    """A registration interval safely below the measured lifetime (whole seconds)."""
    basis = b.alive_s if b.alive_s is not None else b.expired_s
    if basis is None:
        return None
    return max(1, int(basis * SAFETY))

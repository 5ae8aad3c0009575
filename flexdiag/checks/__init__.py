"""Checks: pure functions from observations to a verdict with evidence and advice.

A check is a :class:`Check`: a stable id, the observations it needs, the DNS checks whose names
it needs resolved (a skip, and its cross-reference, come from that declaration), and a pure
``judge`` function of :class:`~flexdiag.records.Observations` returning a :class:`Finding`.
Nothing in this package does I/O, imports asyncio or the net layer, or reads a clock: the runner
gathers the observations (:mod:`flexdiag.observe`) and adds id, title and duration.
"""

from __future__ import annotations

from flexdiag.checks import (
    call,
    capacity,
    dns,
    host,
    media,
    nat,
    ntp,
    phone_port,
    sip,
    sip_alg,
    sip_large,
    stun,
    upstream,
)
from flexdiag.checks import lifetime as lifetime_check
from flexdiag.checks.base import (
    Check,
    Finding,
    Judge,
    as_mode,
    evaluate,
    exchange_evidence,
    ms,
    silence,
    unresolved,
)
from flexdiag.records import Obs
from flexdiag.settings import Settings
from flexdiag.vocab import LifetimeMode

__all__ = ["DEFERRED", "UNMEASURED_IN_QUICK", "Check", "Finding", "Judge", "as_mode",
           "capacity_budget_s", "checks_for", "deferred_checks", "evaluate", "exchange_evidence",
           "ms", "observations_needed", "silence", "unresolved"]


def checks_for(settings: Settings, lifetime: bool | LifetimeMode = False) -> list[Check]:
    """The run's checks in report order (design.md's check ids). ``nat.lifetime`` is measured
    up to the horizon (the default run), for the whole registration interval (``True``,
    ``--lifetime``), or not at all (``False``, ``--quick``: its row then says so and how to
    measure it)."""
    mode = as_mode(lifetime)
    checks = [host.CHECK, *dns.CHECKS, stun.CHECK, nat.MAPPING, nat.FILTERING,
              upstream.CHECK]
    checks += [sip.check_port(port) for port in settings.sip_ports]
    checks += [phone_port.CHECK, sip_alg.CHECK, sip_large.CHECK, ntp.CHECK]
    checks += [media.ports_check(), media.check(settings),
               capacity.check(capacity_budget_s(settings)), lifetime_check.check(settings, mode)]
    checks += call.checks(settings)  # --call-accounts: opt-in, in every mode
    if mode is LifetimeMode.QUICK:
        # The audio path (FAQ item 4) and FAQ item 6 are never silently left out: unmeasured
        # (--quick), each says so and how to measure it.
        return [UNMEASURED_IN_QUICK.get(c.id, c) for c in checks]
    return checks


# The checks a quick run (``run --quick``, the watch's runs) leaves unmeasured, and the row
# each shows instead: measured by the default run, and by the watch's periodic slow run
# (``--lifetime-every``).
UNMEASURED_IN_QUICK: dict[str, Check] = {
    c.id: c for c in (media.PORTS_UNMEASURED, media.UNMEASURED, lifetime_check.UNMEASURED)}
DEFERRED = tuple(UNMEASURED_IN_QUICK)


def deferred_checks(settings: Settings) -> list[Check]:
    """The watch's slow run: only what the quick runs leave unmeasured, measured in full (its
    own sockets: the quick runs keep their local ports meanwhile)."""
    return [c for c in checks_for(settings, LifetimeMode.FULL) if c.id in DEFERRED]


def capacity_budget_s(settings: Settings) -> float | None:
    """``--phones N`` adds a paced probe after the quick run: its own bound."""
    if not settings.phones:
        return None
    from flexdiag.analysis.capacity import PACING_S, flows_needed

    return settings.timeout_s + flows_needed(settings.phones) * PACING_S + 10.0


def observations_needed(checks: list[Check]) -> list[Obs]:
    """Every observation the checks need, once each, in first-needed order."""
    return list(dict.fromkeys(key for check in checks for key in (*check.requires,
                                                                    *check.needs)))

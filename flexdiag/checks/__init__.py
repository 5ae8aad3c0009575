"""Checks: pure functions from observations to a verdict with evidence and advice.

A check is a :class:`Check`: a stable id, the observations it needs, the DNS checks whose names
it needs resolved (a skip, and its cross-reference, come from that declaration), and a pure
``judge`` function of :class:`~flexdiag.records.Observations` returning a :class:`Finding`.
Nothing in this package does I/O, imports asyncio or the net layer, or reads a clock: the runner
gathers the observations (:mod:`flexdiag.observe`) and adds id, title and duration.
"""

from __future__ import annotations

from flexdiag.checks import (
    capacity,
    dns,
    media,
    nat,
    ntp,
    phone_port,
    sip,
    sip_alg,
    sip_large,
    stun,
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
from flexdiag.vocab import CheckId, LifetimeMode

__all__ = ["DEFERRED", "Check", "Finding", "Judge", "as_mode", "capacity_budget_s", "checks_for",
           "deferred_checks", "evaluate", "exchange_evidence", "ms", "observations_needed",
           "silence", "unresolved"]


def checks_for(settings: Settings, lifetime: bool | LifetimeMode = False) -> list[Check]:
    """The run's checks in report order (design.md's check ids). ``nat.lifetime`` is measured
    up to the horizon (the default run), for the whole registration interval (``True``,
    ``--lifetime``), or not at all (``False``, ``--quick``: its row then says so and how to
    measure it)."""
    checks = [*dns.CHECKS, stun.CHECK, nat.MAPPING, nat.FILTERING]
    checks += [sip.check_port(port) for port in settings.sip_ports]
    checks += [phone_port.CHECK, sip_alg.CHECK, sip_large.CHECK, ntp.CHECK]
    mode = as_mode(lifetime)
    # The audio path (FAQ item 4) and FAQ item 6 are never silently left out: unmeasured
    # (--quick), each says so and how to measure it.
    quick = mode is LifetimeMode.QUICK
    checks.append(media.PORTS_UNMEASURED if quick else media.ports_check())
    checks.append(media.UNMEASURED if quick else media.check(settings))
    checks.append(capacity.check(capacity_budget_s(settings)))
    checks.append(lifetime_check.UNMEASURED if mode is LifetimeMode.QUICK
                  else lifetime_check.check(settings, mode))
    return checks


# The checks a quick run (``run --quick``, the watch's runs) leaves unmeasured, each row saying
# so: measured by the default run, and by the watch's periodic slow run (``--lifetime-every``).
DEFERRED = (CheckId.MEDIA_PORTS, CheckId.MEDIA_QUALITY, CheckId.NAT_LIFETIME)


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

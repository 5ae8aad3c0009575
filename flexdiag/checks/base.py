"""What every check shares: the :class:`Finding` a judgement returns, the :class:`Check`
registration, and the evidence helpers of exchange-based checks (pure)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flexdiag import advice
from flexdiag.i18n import _
from flexdiag.model import Status
from flexdiag.records import Exchange, Obs, Observations
from flexdiag.vocab import Code, LifetimeMode, Reason


@dataclass(frozen=True)
class Finding:
    """The verdict part of a check result, as a check function returns it."""

    status: Status
    summary: str
    data: Mapping[str, Any] = field(default_factory=dict)
    advice: str | None = None
    faq: tuple[int, ...] = ()
    code: Code | None = None  # the reason code of a warning or failure (vocab.Code)


Judge = Callable[[Observations], Finding]


@dataclass(frozen=True)
class Check:
    """A registered check.

    ``needs``: the observations ``judge`` reads (it is given only those). ``requires``: the
    DNS observations whose names must resolve, in order; the first that did not makes the
    check a skip that points at that DNS check. ``budget_s``: a slow check's own time budget
    (``None``: bounded by the quick run's ``--timeout``).
    """

    id: str
    judge: Judge
    needs: tuple[Obs, ...]
    requires: tuple[Obs, ...] = ()
    budget_s: float | None = None


def unresolved(check: Check, obs: Observations) -> Finding | None:
    """The skip of a check whose server name did not resolve (``None``: all resolved)."""
    for key in check.requires:
        resolution = obs.resolution(key)
        if resolution is not None and resolution.preferred() is None:
            return Finding(
                Status.SKIP,
                advice.text("skip.unresolved", name=resolution.name, dns_id=key.value),
                data={"reason": Reason.UNRESOLVED, "name": resolution.name, "see": key.value},
            )
    return None


def evaluate(check: Check, obs: Observations) -> Finding:
    """Run a check's pure judgement, after its declared name dependencies."""
    return unresolved(check, obs) or check.judge(obs)


def exchange_evidence(exchange: Exchange[Any]) -> dict[str, Any]:
    """Evidence every exchange-based check reports: packets sent, and what was ignored."""
    evidence: dict[str, Any] = {"sent": exchange.sent, "waited_s": exchange.waited_s}
    if exchange.gave_up is not None:
        basis = exchange.gave_up
        evidence["silence"] = advice.text(
            "ev.silence", waited=exchange.waited_s, rtts=basis.rtts, basis_ms=basis.basis_s * 1000,
            floor=basis.floor_s,
            where=advice.text("ev.silence.same" if basis.same_host else "ev.silence.other"))
    if exchange.ignored_count:
        evidence["ignored"] = {"count": exchange.ignored_count, "examples": exchange.ignored}
    return evidence


def silence(prefix: str, exchange: Exchange[Any], data: dict[str, Any], **fields: Any) -> str:
    """The summary of an exchange that got no reply (``<prefix>.unreachable`` when an ICMP
    or socket error ended it, ``<prefix>.timeout`` otherwise); records the error as evidence."""
    if exchange.error:
        data["error"] = exchange.error
        # Known network errors (flexdiag.net.udp.ERROR_TEXT) are in the catalogue; an OS
        # error's own text passes through unchanged.
        return advice.text(f"{prefix}.unreachable", error=_(exchange.error), **fields)
    return advice.text(f"{prefix}.timeout", waited_s=exchange.waited_s, sent=exchange.sent,
                       **fields)


def ms(seconds: float | None) -> float | None:
    """Seconds as milliseconds for evidence, ``None`` kept."""
    return None if seconds is None else round(seconds * 1000, 1)


def as_mode(lifetime: bool | LifetimeMode) -> LifetimeMode:
    """``True``: the whole registration interval (``--lifetime``); ``False``: not measured."""
    if isinstance(lifetime, LifetimeMode):
        return lifetime
    return LifetimeMode.FULL if lifetime else LifetimeMode.QUICK

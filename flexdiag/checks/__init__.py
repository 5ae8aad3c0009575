"""Checks: each turns observations into a verdict with evidence and advice.

A check is an async function of a :class:`Context` returning a :class:`Finding`; the runner adds
id, title and duration. Observations (a name's resolution, a SIP exchange) are memoised in the
context, so checks that need the same one share it, and a check that needs a name waits only for
that name.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flexdiag.model import Status
from flexdiag.settings import Settings

# Share of the overall budget that name resolution may take, so that the exchanges which
# depend on it still have time for retransmissions.
DNS_BUDGET_SHARE = 0.4
# Share of the budget after which exchanges stop waiting, leaving room to report.
EXCHANGE_BUDGET_SHARE = 0.95


@dataclass(frozen=True)
class Finding:
    """The verdict part of a check result, as a check function returns it."""

    status: Status
    summary: str
    data: Mapping[str, Any] = field(default_factory=dict)
    advice: str | None = None
    faq: tuple[int, ...] = ()


@dataclass
class Context:
    """What checks share during one run: settings, clocks, budgets and memoised observations."""

    settings: Settings
    wall_clock: Callable[[], float] = time.time
    start: float = 0.0  # event-loop time at which the run started
    interrupt: asyncio.Event | None = None  # set on Ctrl-C: slow checks end early
    on_progress: Callable[[str, str], None] | None = None  # (check id, text) for live display
    _memo: dict[Any, asyncio.Task[Any]] = field(default_factory=dict)
    _closers: list[Callable[[], None]] = field(default_factory=list)

    @property
    def dns_timeout_s(self) -> float:
        return self.settings.timeout_s * DNS_BUDGET_SHARE

    @property
    def deadline(self) -> float:
        """Event-loop time by which every exchange gives up."""
        return self.start + self.settings.timeout_s * EXCHANGE_BUDGET_SHARE

    def remaining_s(self) -> float:
        return max(0.0, self.deadline - asyncio.get_running_loop().time())

    def memo(self, key: Any, factory: Callable[[], Awaitable[Any]]) -> Awaitable[Any]:
        """Start ``factory()`` once per key; every caller awaits the same task."""
        task = self._memo.get(key)
        if task is None:
            task = asyncio.ensure_future(factory())
            self._memo[key] = task
        return asyncio.shield(task)

    async def interruptible_sleep(self, seconds: float) -> bool:
        """Sleep; ``False`` when interrupted (Ctrl-C) before the time was up."""
        if self.interrupt is None:
            await asyncio.sleep(seconds)
            return True
        try:
            await asyncio.wait_for(self.interrupt.wait(), seconds)
        except TimeoutError:
            return True
        return False

    def progress(self, check_id: str, text: str) -> None:
        """Report progress of a slow check to the live display, if there is one."""
        if self.on_progress is not None:
            self.on_progress(check_id, text)

    def on_close(self, closer: Callable[[], None]) -> None:
        """Run ``closer`` when the run ends (sockets shared by several checks)."""
        self._closers.append(closer)

    def close(self) -> None:
        """Cancel observations nobody awaited to the end and release shared resources."""
        for task in self._memo.values():
            task.cancel()
        for closer in self._closers:
            closer()


def exchange_evidence(exchange: Any) -> dict[str, Any]:
    """Evidence every exchange-based check reports: packets sent, and what was ignored."""
    evidence: dict[str, Any] = {"sent": exchange.sent}
    if exchange.ignored_count:
        evidence["ignored"] = {"count": exchange.ignored_count, "examples": exchange.ignored}
    return evidence


def silence(ctx: Context, prefix: str, exchange: Any, data: dict[str, Any],
            **fields: Any) -> str:
    """The summary of an exchange that got no reply (``<prefix>.unreachable`` when an ICMP
    or socket error ended it, ``<prefix>.timeout`` otherwise); records the error as evidence."""
    from flexdiag import advice
    from flexdiag.i18n import _

    if exchange.error:
        data["error"] = exchange.error
        # Known network errors (flexdiag.net.udp.ERROR_TEXT) are in the catalogue; an OS
        # error's own text passes through unchanged.
        return advice.text(f"{prefix}.unreachable", error=_(exchange.error), **fields)
    waited_s = asyncio.get_running_loop().time() - ctx.start
    return advice.text(f"{prefix}.timeout", waited_s=waited_s, sent=exchange.sent, **fields)


CheckFn = Callable[[Context], Awaitable[Finding]]


@dataclass(frozen=True)
class Check:
    """A registered check: stable id, the function that runs it, and for a slow check its
    own time budget (``None``: bounded by the quick run's ``--timeout``)."""

    id: str
    run: CheckFn
    budget_s: float | None = None


def checks_for(settings: Settings, lifetime: bool = False) -> list[Check]:
    """The run's checks in report order (design.md's check ids); ``lifetime`` adds the slow
    ``nat.lifetime`` check."""
    from flexdiag.checks import dns, nat, ntp, sip, sip_alg, sip_large, stun

    checks = [
        Check("dns.voip", dns.check_voip),
        Check("dns.stun", dns.check_stun),
        Check("dns.ntp", dns.check_ntp),
        Check("stun.binding", stun.check_binding),
        Check("nat.mapping", nat.check_mapping),
        Check("nat.filtering", nat.check_filtering),
    ]
    checks += [Check(f"sip.udp.{port}", sip.check_port(port)) for port in settings.sip_ports]
    checks += [
        Check("sip.alg", sip_alg.check_alg),
        Check("sip.large", sip_large.check_large),
        Check("ntp.offset", ntp.check_offset),
    ]
    if lifetime:
        from flexdiag.checks.lifetime import check_lifetime, default_budget_s

        budget = settings.max_wait_s or default_budget_s(settings.registration_time_s)
        checks.append(Check("nat.lifetime", check_lifetime, budget_s=budget + 15.0))
    return checks

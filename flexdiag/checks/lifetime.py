"""``nat.lifetime``: how long the router keeps an idle UDP mapping, against the phones'
registration interval (FAQ item 6; RFC 4787 REQ-5). A slow check, run with ``--lifetime``.

Seeing a lifetime of T takes at least T of waiting, so every rung of the ladder is a socket of
its own, all primed at the start and tested when their idle time comes due (in time order);
the run stops as soon as the answer is known. Routers keep a flow that has seen replies over a
few seconds (a registered phone's) longer than a fresh one, so both are measured: the
*established* flow decides the verdict, the *fresh* one is reported beside it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from flexdiag import advice
from flexdiag.analysis import lifetime as lt
from flexdiag.checks import Context, Finding
from flexdiag.checks.dns import unresolved
from flexdiag.checks.observe import negative_wait_s, stun_target
from flexdiag.model import Status

# Linux conntrack marks a UDP flow ASSURED (and gives it the longer stream timeout) when a
# packet arrives more than ~2 s after the flow was created; a registered phone's flow has seen
# many such exchanges. Priming a mapping as "established" repeats the binding after this gap.
ESTABLISH_GAP_S = 2.5
MARGIN_S = 30.0  # default budget: registration time plus this


def default_budget_s(registration_s: float) -> float:
    """The default ``--max-wait``: the registration time plus priming and a margin."""
    return registration_s + ESTABLISH_GAP_S + MARGIN_S


class ProberLike(Protocol):
    """What the scheduler needs from a prober (the real one is :class:`flexdiag.net.lifetime.
    Prober`; tests use one on a fake clock)."""

    method: str
    sent: int

    async def new(self, flow: str) -> Any: ...
    async def refresh(self, mapping: Any) -> None: ...
    async def test(self, mapping: Any, wait_s: float) -> bool | None: ...
    def discard(self, mapping: Any) -> None: ...


@dataclass
class Measurement:
    """What the scheduler found, also when stopped early."""

    probes: list[lt.Probe] = field(default_factory=list)
    rungs: list[float] = field(default_factory=list)
    stopped: str = "budget"  # decided | budget | interrupted | no-mapping
    elapsed_s: float = 0.0

    def bracket(self, flow: str) -> lt.Bracket:
        return lt.bracket(self.probes, flow)


async def measure(
    prober: ProberLike,
    *,
    registration_s: float,
    budget_s: float,
    wait_s: float,
    now: Callable[[], float],
    sleep: Callable[[float], Awaitable[bool]],
    on_progress: Callable[[Measurement], None] | None = None,
) -> Measurement:
    """Prime a ladder of mappings per flow kind, then test each when its idle time is due.

    ``sleep(seconds)`` returns ``False`` when interrupted (Ctrl-C). Stops as soon as the
    established flow's answer is known, at the budget, or on interruption.
    """
    start = now()
    top = max(lt.FIRST_RUNG_S, min(registration_s, budget_s - ESTABLISH_GAP_S - 2 * wait_s))
    result = Measurement(rungs=lt.ladder(top))
    # Established first (its priming needs the gap), then fresh, so both ladders start at once.
    established = await asyncio.gather(*(prober.new(lt.ESTABLISHED) for _ in result.rungs))
    if not await sleep(ESTABLISH_GAP_S):
        result.stopped = "interrupted"
    await asyncio.gather(*(prober.refresh(m) for m in established if m is not None))
    fresh = await asyncio.gather(*(prober.new(lt.FRESH) for _ in result.rungs))
    queue = sorted(
        ((m.last_rx + rung, i, m, rung) for ladder in (established, fresh)
         for i, (m, rung) in enumerate(zip(ladder, result.rungs, strict=True)) if m is not None),
        key=lambda item: (item[0], item[1]))
    if not queue:
        result.stopped = "no-mapping"
    decided = {lt.ESTABLISHED: False, lt.FRESH: False}
    try:
        for due, _, mapping, _ in queue:
            if result.stopped in ("decided", "interrupted") or due - start > budget_s:
                break
            if decided[mapping.flow]:
                continue
            if not await sleep(max(0.0, due - now())):
                result.stopped = "interrupted"
                break
            idle_s = now() - mapping.last_rx
            alive = await prober.test(mapping, wait_s)
            result.probes.append(lt.Probe(mapping.flow, round(idle_s, 3), alive))
            target = registration_s if mapping.flow == lt.ESTABLISHED else top
            decided[mapping.flow] = lt.decided(result.bracket(mapping.flow), target)
            result.elapsed_s = now() - start
            if decided[lt.ESTABLISHED]:
                result.stopped = "decided"
            if on_progress is not None:
                on_progress(result)
    finally:
        for _, _, mapping, _ in queue:  # discarding is idempotent: tested ones are closed
            prober.discard(mapping)
    result.elapsed_s = now() - start
    return result


async def check_lifetime(ctx: Context) -> Finding:
    """Measure the established (and fresh) mapping lifetime and judge it against the
    registration interval."""
    from flexdiag.net.lifetime import Prober

    settings = ctx.settings
    target = await stun_target(ctx)
    skip = unresolved("nat.lifetime", target.resolution)
    if skip or target.addr is None:
        assert skip is not None
        return skip
    registration_s = settings.registration_time_s
    budget_s = settings.max_wait_s or default_budget_s(registration_s)
    loop = asyncio.get_running_loop()
    prober = Prober(target.addr)
    try:
        # Support detection waits generously (the RTT is not known yet); every later test
        # waits a few RTTs of the path, as measured while priming the first mapping.
        method = await prober.detect(4 * negative_wait_s(None))
        wait_s = negative_wait_s(prober.rtt_s)
        measurement = await measure(
            prober, registration_s=registration_s, budget_s=budget_s, wait_s=wait_s,
            now=loop.time, sleep=ctx.interruptible_sleep,
            on_progress=lambda m: ctx.progress("nat.lifetime", _progress(m, budget_s)),
        )
    finally:
        prober.close()
    return evaluate(measurement, method=method, registration_s=registration_s,
                    budget_s=budget_s, sent=prober.sent)


def _fmt(value: float | None) -> str:
    return advice.text("lifetime.unknown") if value is None else f"{value:.1f} s"


def _progress(m: Measurement, budget_s: float) -> str:
    b = m.bracket(lt.ESTABLISHED)
    return advice.text("lifetime.progress", elapsed=f"{m.elapsed_s:.0f}",
                       budget=f"{budget_s:.0f}", alive=_fmt(b.alive_s), expired=_fmt(b.expired_s))


def evaluate(m: Measurement, *, method: str, registration_s: int, budget_s: float,
             sent: int) -> Finding:
    """The verdict from a measurement (pure: tested on a fake clock)."""
    est, fresh = m.bracket(lt.ESTABLISHED), m.bracket(lt.FRESH)
    data: dict[str, Any] = {
        "method": method,
        "alive_s": est.alive_s,
        "expired_s": est.expired_s,
        "registration_time_s": registration_s,
        "fresh": {"alive_s": fresh.alive_s, "expired_s": fresh.expired_s},
        "stopped": m.stopped,
        "elapsed_s": round(m.elapsed_s, 1),
        "budget_s": budget_s,
        "packets_sent": sent,
        "probes": [{"flow": p.flow, "idle_s": p.idle_s, "alive": p.alive} for p in m.probes],
    }
    if m.stopped == "no-mapping":
        return Finding(Status.FAIL, advice.text("lifetime.no_mapping"), data,
                       advice.text("stun.fail.advice", server_name="the STUN server",
                                   port="3478"), (2,))
    fields = {"alive": _fmt(est.alive_s), "expired": _fmt(est.expired_s),
              "registration": registration_s, "fresh_alive": _fmt(fresh.alive_s),
              "fresh_expired": _fmt(fresh.expired_s)}
    verdict = lt.verdict(est, registration_s)
    if verdict == "pass":
        return Finding(Status.PASS, advice.text("lifetime.pass", **fields), data, None, (6,))
    if verdict == "fail":
        interval = lt.safe_interval_s(est)
        rfc = advice.text("lifetime.rfc4787") if (est.expired_s or 0) < lt.RFC4787_MIN_S else ""
        return Finding(Status.FAIL, advice.text("lifetime.fail", **fields), data,
                       advice.text("lifetime.fail.advice", interval=interval, **fields) + rfc,
                       (6,))
    key = "lifetime.interrupted" if m.stopped == "interrupted" else "lifetime.inconclusive"
    hint = advice.text("lifetime.rebind.hint") if method != "rfc5780" else ""
    return Finding(Status.WARN, advice.text(key, elapsed=round(m.elapsed_s), **fields), data,
                   advice.text("lifetime.inconclusive.advice") + hint, (6,))

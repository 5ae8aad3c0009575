"""``nat.lifetime``: how long the router keeps an idle UDP mapping, against the phones'
registration interval (FAQ item 6; RFC 4787 REQ-5). A slow check, run with ``--lifetime``.

The measurement (:func:`flexdiag.net.lifetime.measure`) primes a ladder of mappings and tests
each when its idle time is due. Routers keep a flow that has seen replies over a few seconds
longer than a fresh one, so both are measured; this module judges the result.
"""

from __future__ import annotations

from typing import Any

from flexdiag import advice
from flexdiag.analysis import lifetime as lt
from flexdiag.checks import Check, Finding
from flexdiag.model import Status
from flexdiag.records import Measurement, Obs, Observations
from flexdiag.settings import Settings
from flexdiag.vocab import FlowKind, Method, Stopped, Verdict

# The runner's bound on the check beyond the measurement's own budget (priming, the last test).
BUDGET_GRACE_S = 15.0


def check(settings: Settings) -> Check:
    """The ``nat.lifetime`` check, bounded by ``--max-wait`` (default: registration time
    plus a margin)."""
    budget = settings.max_wait_s or lt.default_budget_s(settings.registration_time_s)
    return Check("nat.lifetime", judge, needs=(Obs.LIFETIME,), requires=(Obs.DNS_STUN,),
                 budget_s=budget + BUDGET_GRACE_S)


def _fmt(value: float | None) -> str:
    return advice.text("lifetime.unknown") if value is None else f"{value:.1f} s"


def progress_text(m: Measurement, budget_s: float) -> str:
    """The live progress line of a measurement under way."""
    b = m.bracket(FlowKind.ESTABLISHED)
    return advice.text("lifetime.progress", elapsed=f"{m.elapsed_s:.0f}",
                       budget=f"{budget_s:.0f}", alive=_fmt(b.alive_s), expired=_fmt(b.expired_s))


def judge(obs: Observations) -> Finding:
    """Judge the lifetime observation against the registration interval."""
    assert obs.lifetime is not None
    o = obs.lifetime
    return evaluate(o.measurement, method=o.method,
                    registration_s=obs.settings.registration_time_s, budget_s=o.budget_s,
                    sent=o.sent)


def evaluate(m: Measurement, *, method: Method, registration_s: int, budget_s: float,
             sent: int) -> Finding:
    """The verdict from a measurement."""
    est, fresh = m.bracket(FlowKind.ESTABLISHED), m.bracket(FlowKind.FRESH)
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
    if m.stopped is Stopped.NO_MAPPING:
        return Finding(Status.FAIL, advice.text("lifetime.no_mapping"), data,
                       advice.text("stun.fail.advice", server_name="the STUN server",
                                   port="3478"), (2,))
    fields = {"alive": _fmt(est.alive_s), "expired": _fmt(est.expired_s),
              "registration": registration_s, "fresh_alive": _fmt(fresh.alive_s),
              "fresh_expired": _fmt(fresh.expired_s)}
    verdict = lt.verdict(est, registration_s)
    if verdict is Verdict.PASS:
        return Finding(Status.PASS, advice.text("lifetime.pass", **fields), data, None, (6,))
    if verdict is Verdict.FAIL:
        interval = lt.safe_interval_s(est)
        rfc = advice.text("lifetime.rfc4787") if (est.expired_s or 0) < lt.RFC4787_MIN_S else ""
        return Finding(Status.FAIL, advice.text("lifetime.fail", **fields), data,
                       advice.text("lifetime.fail.advice", interval=interval, **fields) + rfc,
                       (6,))
    key = "lifetime.interrupted" if m.stopped is Stopped.INTERRUPTED else "lifetime.inconclusive"
    hint = advice.text("lifetime.rebind.hint") if method is not Method.RFC5780 else ""
    return Finding(Status.WARN, advice.text(key, elapsed=round(m.elapsed_s), **fields), data,
                   advice.text("lifetime.inconclusive.advice") + hint, (6,))

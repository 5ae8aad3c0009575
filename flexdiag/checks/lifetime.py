"""``nat.lifetime``: how long the router keeps a phone's idle UDP mapping, against the phones'
registration interval (FAQ item 6; RFC 4787 REQ-5). A slow check, run with ``--lifetime``.

The measurement (:func:`flexdiag.net.lifetime.measure`) primes a ladder of mappings and tests
each when its idle time is due, for two traffic patterns. The verdict rests on the *fresh*
pattern, because that is a phone's: REGISTER, 401, REGISTER, 200 within milliseconds, then
nothing until the next registration. Linux conntrack (and many routers) give a flow the longer
"established" timeout only when traffic is seen more than ~2 s after it began, so a flow that
expired between two registrations starts fresh again every time. The established lifetime
applies only to phones that send more often than the fresh one (a NAT keep-alive): it is
reported beside the verdict, and offered as the keep-alive alternative.
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
PHONE_FLOW = FlowKind.FRESH  # the traffic pattern of a phone between two registrations


def check(settings: Settings) -> Check:
    """The ``nat.lifetime`` check, bounded by ``--max-wait`` (default: registration time
    plus a margin)."""
    budget = settings.max_wait_s or lt.default_budget_s(settings.registration_time_s)
    return Check("nat.lifetime", judge, needs=(Obs.LIFETIME,), requires=(Obs.DNS_STUN,),
                 budget_s=budget + BUDGET_GRACE_S)


def unmeasured(obs: Observations) -> Finding:
    """The quick run's ``nat.lifetime`` row: not measured, and how to measure it."""
    registration_s = obs.settings.registration_time_s
    budget_s = obs.settings.max_wait_s or lt.default_budget_s(registration_s)
    return Finding(Status.SKIP, advice.text("lifetime.unmeasured", registration=registration_s,
                                            minutes=max(1, round(budget_s / 60))),
                   {"reason": "not-measured", "registration_time_s": registration_s,
                    "budget_s": budget_s}, None, (6,))


UNMEASURED = Check("nat.lifetime", unmeasured, needs=())


def _fmt(value: float | None) -> str:
    return advice.text("lifetime.unknown") if value is None else f"{value:.1f} s"


def progress_text(m: Measurement, budget_s: float) -> str:
    """The live progress line of a measurement under way."""
    b = m.bracket(PHONE_FLOW)
    return advice.text("lifetime.progress", elapsed=f"{m.elapsed_s:.0f}",
                       budget=f"{budget_s:.0f}", alive=_fmt(b.alive_s), expired=_fmt(b.expired_s))


def judge(obs: Observations) -> Finding:
    """Judge the lifetime observation against the registration interval."""
    assert obs.lifetime is not None
    o = obs.lifetime
    return evaluate(o.measurement, method=o.method,
                    registration_s=obs.settings.registration_time_s, budget_s=o.budget_s,
                    sent=o.sent)


def _evidence(m: Measurement, method: Method, registration_s: int, budget_s: float,
              sent: int) -> dict[str, Any]:
    phone, fresh, est = m.bracket(PHONE_FLOW), m.bracket(FlowKind.FRESH), m.bracket(
        FlowKind.ESTABLISHED)
    return {
        "method": method,
        "verdict_on": PHONE_FLOW,  # alive_s/expired_s are this flow's bracket
        "alive_s": phone.alive_s,
        "expired_s": phone.expired_s,
        "registration_time_s": registration_s,
        "fresh": {"alive_s": fresh.alive_s, "expired_s": fresh.expired_s},
        "established": {"alive_s": est.alive_s, "expired_s": est.expired_s},
        "stopped": m.stopped,
        "elapsed_s": round(m.elapsed_s, 1),
        "budget_s": budget_s,
        "packets_sent": sent,
        "probes": [{"flow": p.flow, "idle_s": p.idle_s, "alive": p.alive} for p in m.probes],
    }


def _fail_advice(phone: lt.Bracket, est: lt.Bracket, interval: int | None,
                 fields: dict[str, Any]) -> str:
    text = advice.text("lifetime.fail.advice", interval=interval, **fields)
    if est.alive_s is not None and phone.expired_s is not None and est.alive_s > phone.expired_s:
        text += advice.text("lifetime.keepalive", interval=interval, **fields)
    if (phone.expired_s or 0) < lt.RFC4787_MIN_S:
        text += advice.text("lifetime.rfc4787")
    return text


def evaluate(m: Measurement, *, method: Method, registration_s: int, budget_s: float,
             sent: int) -> Finding:
    """The verdict from a measurement: the phone's flow against the registration interval."""
    data = _evidence(m, method, registration_s, budget_s, sent)
    if m.stopped is Stopped.NO_MAPPING:
        return Finding(Status.FAIL, advice.text("lifetime.no_mapping"), data,
                       advice.text("stun.fail.advice", server_name="the STUN server",
                                   port="3478"), (2,))
    phone, est = m.bracket(PHONE_FLOW), m.bracket(FlowKind.ESTABLISHED)
    fields = {"alive": _fmt(phone.alive_s), "expired": _fmt(phone.expired_s),
              "registration": registration_s, "est_alive": _fmt(est.alive_s),
              "est_expired": _fmt(est.expired_s)}
    verdict = lt.verdict(phone, registration_s)
    if verdict is Verdict.PASS:
        return Finding(Status.PASS, advice.text("lifetime.pass", **fields), data, None, (6,))
    if verdict is Verdict.FAIL:
        interval = lt.safe_interval_s(phone)
        data["advised_registration_time_s"] = interval
        return Finding(Status.FAIL, advice.text("lifetime.fail", **fields), data,
                       _fail_advice(phone, est, interval, fields), (6,))
    if m.stopped is Stopped.INTERRUPTED:
        return Finding(Status.WARN, advice.text("lifetime.interrupted",
                                                elapsed=round(m.elapsed_s), **fields),
                       data, advice.text("lifetime.interrupted.advice", budget=budget_s), (6,))
    hint = advice.text("lifetime.rebind.hint") if method is not Method.RFC5780 else ""
    return Finding(Status.WARN, advice.text("lifetime.inconclusive", elapsed=round(m.elapsed_s),
                                            **fields),
                   data, advice.text("lifetime.inconclusive.advice") + hint, (6,))

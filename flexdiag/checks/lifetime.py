"""``nat.lifetime``: how long the router keeps a phone's idle UDP mapping, against the phones'
registration interval (FAQ item 6; RFC 4787 REQ-5). Measured in every run but ``--quick``: up
to the horizon (``--horizon``, 180 s) by default, for the whole registration interval with
``--lifetime``; it ends as soon as the answer is known (a 30 s router in about 35 s).

The measurement (:func:`flexdiag.net.lifetime.measure`) primes a ladder of mappings and tests
each when its idle time is due, for two traffic patterns. The verdict rests on the *fresh*
pattern, because that is a phone's: REGISTER, 401, REGISTER, 200 within milliseconds, then
nothing until the next registration. Linux conntrack (and many routers) give a flow the longer
"established" timeout only when traffic is seen more than ~2 s after it began, so a flow that
expired between two registrations starts fresh again every time. The established lifetime
applies only to phones that send more often than the fresh one (a NAT keep-alive): it is
reported beside the verdict.

The remedy on the phones is the NAT keep-alive (``keepalive_s``: at most 80 % of the longest
idle time a phone's mapping was seen to survive), with the registration interval left as it is:
a registration interval is only ever advised at or above ``--min-registration`` (60 s), since
registrars refuse shorter ones (SIP 423) and some phones cannot be set below 60 or 300 s.
"""

from __future__ import annotations

from typing import Any

from flexdiag import advice
from flexdiag.analysis import lifetime as lt
from flexdiag.checks.base import Check, Finding
from flexdiag.facts import MEASURE_WITH, Skipped
from flexdiag.model import Status
from flexdiag.records import Measurement, Obs, Observations
from flexdiag.settings import HostPort, Settings
from flexdiag.vocab import (
    CheckId,
    Code,
    Faq,
    FlowKind,
    LifetimeMode,
    Method,
    Reason,
    Stopped,
    Verdict,
)

FAQ = (Faq.PORT_TRANSLATION,)

# The runner's bound on the check beyond the measurement's own budget (priming, the last test).
BUDGET_GRACE_S = 15.0
PHONE_FLOW = lt.PHONE_FLOW


def check(settings: Settings, mode: LifetimeMode = LifetimeMode.FULL) -> Check:
    """The ``nat.lifetime`` check, bounded by the horizon (the default run) or by
    ``--max-wait`` (``--lifetime``; default: registration time plus a margin)."""
    _, budget = lt.target_and_budget_s(mode, settings.registration_time_s, settings.horizon_s,
                                       settings.max_wait_s)
    return Check(CheckId.NAT_LIFETIME, judge, needs=(Obs.LIFETIME,), requires=(Obs.DNS_STUN,),
                 budget_s=budget + BUDGET_GRACE_S)


def unmeasured(obs: Observations) -> Finding:
    """The quick run's ``nat.lifetime`` row: not measured, and how to measure it."""
    registration_s = obs.settings.registration_time_s
    horizon_s = min(obs.settings.horizon_s, registration_s)
    return Finding(Status.SKIP, advice.text("lifetime.unmeasured", registration=registration_s,
                                            horizon=f"{horizon_s:g}"),
                   {**Skipped(Reason.NOT_MEASURED, MEASURE_WITH).to_data(),
                    "registration_time_s": registration_s,
                    "horizon_s": horizon_s}, None, FAQ)


UNMEASURED = Check(CheckId.NAT_LIFETIME, unmeasured, needs=())


_fmt = advice.seconds_or_unknown


def judge(obs: Observations) -> Finding:
    """Judge the lifetime observation against the registration interval."""
    assert obs.lifetime is not None
    o = obs.lifetime
    return evaluate(o.measurement, method=o.method,
                    registration_s=obs.settings.registration_time_s, budget_s=o.budget_s,
                    sent=o.sent, target_s=o.target_s,
                    min_registration_s=obs.settings.min_registration_s,
                    stun_server=obs.settings.stun_server)


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


def _remedies(phone: lt.Bracket, registration_s: int, floor_s: int,
              data: dict[str, Any]) -> dict[str, Any]:
    """The phone-side remedies this bracket allows, into the evidence: the keep-alive always,
    a registration interval only at or above the floor."""
    keepalive = lt.keepalive_s(phone)
    interval = lt.safe_interval_s(phone)
    data["advised_keepalive_s"] = keepalive
    data["advised_registration_time_s"] = (
        interval if interval is not None and floor_s <= interval < registration_s else None)
    data["min_registration_s"] = floor_s
    return {"keepalive": keepalive, "interval": data["advised_registration_time_s"]}


def _fail_advice(phone: lt.Bracket, fields: dict[str, Any], remedies: dict[str, Any]) -> str:
    text = advice.text("lifetime.fail.advice", keepalive=remedies["keepalive"], **fields)
    if remedies["interval"] is not None:
        text += advice.text("lifetime.interval", interval=remedies["interval"])
    if (phone.expired_s or 0) < lt.RFC4787_MIN_S:
        text += advice.text("lifetime.rfc4787")
    return text


def evaluate(m: Measurement, *, method: Method, registration_s: int, budget_s: float,
             sent: int, target_s: float | None = None,
             min_registration_s: int = 60, stun_server: HostPort | None = None) -> Finding:
    """The verdict from a measurement: the phone's flow against the registration interval
    (or, watched only up to a horizon ``target_s`` shorter than it, against that)."""
    data = _evidence(m, method, registration_s, budget_s, sent)
    horizon = target_s if target_s is not None and target_s < registration_s else None
    if horizon is not None:
        data["horizon_s"] = horizon
    if m.stopped is Stopped.NO_MAPPING:
        stun = stun_server or Settings().stun_server
        return Finding(Status.FAIL, advice.text("lifetime.no_mapping"), data,
                       advice.text("stun.fail.advice", server_name=stun.host, port=stun.port),
                       (Faq.STUN_SERVER,), code=Code.LIFETIME_NO_MAPPING)
    phone, est = m.bracket(PHONE_FLOW), m.bracket(FlowKind.ESTABLISHED)
    fields = {"alive": _fmt(phone.alive_s), "expired": _fmt(phone.expired_s),
              "registration": registration_s, "est_alive": _fmt(est.alive_s),
              "est_expired": _fmt(est.expired_s)}
    verdict = lt.verdict(phone, registration_s)
    if verdict is Verdict.PASS:
        return Finding(Status.PASS, advice.text("lifetime.pass", **fields), data, None, FAQ)
    remedies = _remedies(phone, registration_s, min_registration_s, data)
    if verdict is Verdict.FAIL:
        return Finding(Status.FAIL, advice.text("lifetime.fail", **fields), data,
                       _fail_advice(phone, fields, remedies), FAQ,
                       code=Code.LIFETIME_SHORTER_THAN_REGISTRATION)
    if horizon is not None and phone.alive_s is not None and phone.alive_s >= horizon:
        # Kept for the whole horizon: a keep-alive within it makes the phones safe whatever
        # the router does later; --lifetime would prove the registration interval itself.
        data["verdict"] = Verdict.KEPT_PAST_HORIZON
        return Finding(Status.PASS, advice.text("lifetime.horizon", keepalive=
                                                remedies["keepalive"], **fields), data,
                       None, FAQ)
    data["advised_keepalive_s"] = data["advised_keepalive_s"] if phone.alive_s else None
    if m.stopped is Stopped.INTERRUPTED:
        key = ("lifetime.interrupted.horizon" if horizon is not None
               else "lifetime.interrupted.advice")
        return Finding(Status.WARN, advice.text("lifetime.interrupted",
                                                elapsed=round(m.elapsed_s), **fields),
                       data, advice.text(key, budget=f"{budget_s:.0f}"), FAQ,
                       code=Code.LIFETIME_INTERRUPTED)
    hint = advice.text("lifetime.rebind.hint") if method is not Method.RFC5780 else ""
    return Finding(Status.WARN, advice.text("lifetime.inconclusive", elapsed=round(m.elapsed_s),
                                            **fields),
                   data, advice.text("lifetime.inconclusive.advice") + hint, FAQ,
                   code=Code.LIFETIME_INCONCLUSIVE)

"""``nat.capacity``: is the router's NAT table big enough for the phones (FAQ item 6: "de
NAT-tabel moet voldoende groot zijn")?

With ``--phones N`` the flows N phones need are opened and confirmed
(:mod:`flexdiag.net.capacity`): they fit; new flows are refused (the table is full at about K);
old ones are evicted to make room; or it cannot be decided. Without it, the run's own flows are
read for the signature of a full table, so that a full table is named as the cause of the
silence it produces instead of each silent check blaming DNS, STUN or SIP: later flows to a
server went unanswered while earlier flows to the same server were answered. (A resolver that
answered some names and timed out on others is no such sign: every query of a run rides one
flow, flexdiag.net.dns, so a table cannot admit some and refuse others.)
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from flexdiag import advice
from flexdiag.addr import Addr, format_addr
from flexdiag.analysis.capacity import admitted_flows, phones_carried, refused_tail
from flexdiag.checks.base import Check, Finding
from flexdiag.facts import MEASURE_WITH, CapacityFacts, Skipped
from flexdiag.model import Status
from flexdiag.records import CapacityProbe, Flow, Obs, Observations
from flexdiag.settings import alternative_port
from flexdiag.vocab import CheckId, Code, Faq, Method, Reason, TableBehavior

FITS, REFUSES, EVICTS, UNKNOWN = (TableBehavior.FITS, TableBehavior.REFUSES_NEW,
                                  TableBehavior.EVICTS_OLD, TableBehavior.UNKNOWN)
FAQ = (Faq.PORT_TRANSLATION,)


def _footprint(flows: tuple[Flow, ...]) -> dict[str, int]:
    return {"flows_opened": len(flows), "flows_answered": sum(f.answered for f in flows)}


def _later_refused(flows: tuple[Flow, ...], phone_locals: set[Addr]) -> list[Flow]:
    """Flows left unanswered although an earlier flow to the same destination was answered.
    A flow from the phones' own ports counts as the earlier answered one, never as refused:
    a router can filter those ports by number instead."""
    by_dest: dict[Addr, list[Flow]] = defaultdict(list)
    for flow in flows:
        by_dest[flow.dest].append(flow)
    refused = []
    for group in by_dest.values():
        first_answered = min((f.order for f in group if f.answered), default=None)
        if first_answered is not None:
            refused += [f for f in group if not f.answered and f.order > first_answered
                        and f.local not in phone_locals]
    return refused


def _passive(obs: Observations) -> Finding:
    """No ``--phones``: the run's own flows, read for the signature of a full table."""
    own = obs.settings.local_sip_port
    phone_ports = {own, alternative_port(own)}
    phone_locals = {f.local for f in obs.flows if f.local[1] in phone_ports}
    refused = _later_refused(obs.flows, phone_locals)
    data: dict[str, Any] = {"phones": None, "flows_needed": None, "evicted": None,
                            "behavior": UNKNOWN, "method": "own-flows", **_footprint(obs.flows)}
    if not refused:
        data.update(Skipped(Reason.NOT_MEASURED, f"{MEASURE_WITH} --phones N").to_data())
        return Finding(Status.SKIP, advice.text("capacity.unmeasured",
                                                flows=data["flows_opened"]), data, None, FAQ)
    answered = admitted_flows(obs.flows)
    data.update(CapacityFacts(REFUSES).to_data(), capacity_estimate=answered,
                refused=[f"{format_addr(f.local)} -> {format_addr(f.dest)}" for f in refused])
    return Finding(Status.FAIL, advice.text("capacity.refused_own", refused=len(refused),
                                            answered=answered), data,
                   advice.text("capacity.advice", k=answered, phones=phones_carried(answered)),
                   FAQ, code=Code.NAT_TABLE_FULL)


def _judge_probe(probe: CapacityProbe, obs: Observations) -> Finding:
    answered = sum(probe.answered)
    evicted = sum(1 for alive in probe.earliest_alive if alive is False)
    data: dict[str, Any] = {
        "phones": probe.phones, "flows_needed": probe.flows_needed,
        "flows_opened": len(probe.answered), "flows_answered": answered, "evicted": evicted,
        "behavior": UNKNOWN, "method": probe.method, "pacing_s": probe.pacing_s,
        "earliest_tested": len(probe.earliest_alive), "flexdiag_flows": probe.flows_before,
        "footprint": _footprint(obs.flows)}
    fields = {"phones": probe.phones, "needed": probe.flows_needed, "answered": answered}
    if probe.local_failures:
        return _local_sockets(probe, data)
    stun_answers = obs.stun is not None and obs.stun.answered
    if not answered and not stun_answers:
        data["reason"] = Reason.NO_ANSWER
        return Finding(Status.SKIP, advice.text("capacity.undecided", **fields), data, None, FAQ)
    # Refused from the first flow on, while the server answered this run's earlier flows: the
    # table was already full with what the run itself holds.
    tail = 0 if not answered else refused_tail(probe.answered)
    if tail is not None:
        k = probe.flows_before + tail
        data.update(CapacityFacts(REFUSES).to_data(), capacity_estimate=k)
        return Finding(Status.FAIL, advice.text("capacity.refused", k=k, **fields), data,
                       advice.text("capacity.advice", k=k, phones=phones_carried(k)), FAQ,
                       code=Code.NAT_TABLE_FULL)
    if evicted:
        data.update(CapacityFacts(EVICTS).to_data())
        return Finding(Status.FAIL, advice.text("capacity.evicted", evicted=evicted,
                                                tested=len(probe.earliest_alive), **fields),
                       data, advice.text("capacity.evicted.advice", **fields), FAQ,
                       code=Code.NAT_TABLE_EVICTS)
    if answered < len(probe.answered):
        data["reason"] = Reason.SCATTERED_LOSSES
        return Finding(Status.WARN, advice.text("capacity.lossy", **fields), data,
                       advice.text("capacity.lossy.advice"), FAQ, code=Code.NAT_TABLE_LOSSES)
    return _fits(probe, data, fields)


def _local_sockets(probe: CapacityProbe, data: dict[str, Any]) -> Finding:
    """Sockets this computer would not open (EMFILE: 'ulimit -n 64', macOS's 256) are no
    refusal of the router's: before, they read as 'the table is full at about 67'."""
    data.update(reason=Reason.LOCAL_SOCKETS, local_failures=probe.local_failures,
                local_error=probe.local_error, local_kind=probe.local_kind)
    return Finding(Status.SKIP, advice.text("capacity.local", failed=probe.local_failures,
                                            needed=probe.flows_needed,
                                            error=probe.local_error or ""),
                   data, advice.text("capacity.local.advice", phones=probe.phones), FAQ)


def _fits(probe: CapacityProbe, data: dict[str, Any], fields: dict[str, Any]) -> Finding:
    """Every flow answered: the table holds them (proven where the earliest were re-tested)."""
    data.update(CapacityFacts(FITS).to_data())
    proven = all(alive is True for alive in probe.earliest_alive)
    key = "capacity.fits" if proven else "capacity.fits_unproven"
    if not proven:
        data["note"] = "earliest flows could not be proven alive (no RESPONSE-PORT)"
    return Finding(Status.PASS, advice.text(key, **fields), data,
                   None if proven or probe.method is Method.RFC5780
                   else advice.text("lifetime.rebind.hint"), FAQ)


def judge(obs: Observations) -> Finding:
    """With ``--phones N``: the probe's verdict; without: the run's own flows."""
    if obs.capacity is not None:
        return _judge_probe(obs.capacity, obs)
    return _passive(obs)


def check(budget_s: float | None) -> Check:
    """``nat.capacity``, with its own budget when ``--phones`` adds the paced probe."""
    return Check(CheckId.NAT_CAPACITY, judge, needs=(Obs.FLOWS, Obs.CAPACITY, Obs.STUN),
                 budget_s=budget_s)

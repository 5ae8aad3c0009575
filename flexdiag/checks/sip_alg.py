"""``sip.alg``: does something on the path (a router's "SIP ALG") rewrite SIP, per port?

Compares, for the primary socket, what the SIP server says it saw (Via ``received``/``rport``,
and the headers it echoes, RFC 3261 §8.2.6.2) with what flexdiag sent and with the public
address STUN reports. ALGs often watch port 5060 only, so ports are judged one by one.
"""

from __future__ import annotations

from typing import Any

from flexdiag import advice
from flexdiag.analysis import nat
from flexdiag.checks.base import Check, Finding
from flexdiag.codec.sip import SipResponse, parse_via
from flexdiag.facts import AlgFacts
from flexdiag.model import Status
from flexdiag.records import Obs, Observations, OptionsReply
from flexdiag.vocab import SIP_PORT, CheckId, Code, Faq


def _echo_changes(reply: OptionsReply) -> tuple[str, ...]:
    """Headers the server echoed differently from what we sent (From, To URI, Via sent-by)."""
    head = reply.sent.partition(b"\r\n\r\n")[0].decode("utf-8", "replace")
    sent: dict[str, str] = {}
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        sent.setdefault(name.strip().lower(), value.strip())
    changed = []
    response: SipResponse = reply.response
    if response.header("from") not in (None, sent.get("from")):
        changed.append("From")
    to = response.header("to")
    if to is not None and to.split(";")[0] != sent.get("to", "").split(";")[0]:
        changed.append("To")
    if reply.via.sent_by != parse_via(sent.get("via", "SIP/2.0/UDP x")).sent_by:
        changed.append("Via")
    return tuple(changed)


def _decide(obs: Observations) -> tuple[dict[int, bool | None], list[str]]:
    """Per SIP port: rewriting seen (True), not seen (False) or undecided (None)."""
    decisions: dict[int, bool | None] = {}
    evidence: list[str] = []
    for port in obs.settings.sip_ports:
        exchange = obs.sip.get(port)
        reply = exchange.reply if exchange is not None else None
        if exchange is None or reply is None:
            view, local = nat.SipView(port, answered=False), ("", 0)
        else:
            view = nat.SipView(port, True, reply.via.received, reply.via.rport,
                               reply.via.sent_by, _echo_changes(reply))
            local = exchange.local
        decisions[port], line = nat.classify_alg(local, obs.public, view)
        evidence.append(advice.note(line))
    return decisions, evidence


def _ports(decisions: dict[int, bool | None], decision: bool | None) -> str:
    return advice.numbers(p for p, d in decisions.items() if d is decision)


def judge(obs: Observations) -> Finding:
    """Per SIP port: rewritten echo, or a private address where STUN sees a public one."""
    decisions, evidence = _decide(obs)
    facts = AlgFacts(nat.combine_alg(list(decisions.values())), decisions)
    silent = [p for p in obs.settings.sip_ports
              if (exchange := obs.sip.get(p)) is None or exchange.reply is None]
    if silent and any(d is not None for d in decisions.values()):
        evidence.append(advice.text("alg.silent_port", ports=advice.numbers(silent),
                                    sip_port=SIP_PORT))
    data: dict[str, Any] = {**facts.to_data(), "evidence": evidence}
    return _verdict(facts, data, obs.settings.sip_ports)


def _verdict(facts: AlgFacts, data: dict[str, Any], sip_ports: tuple[int, ...]) -> Finding:
    decisions = dict(facts.ports)
    clean = _ports(decisions, False)
    if facts.detected is True:
        return Finding(Status.FAIL, advice.text("alg.detected", ports=_ports(decisions, True)),
                       data, advice.text("alg.detected.advice", clean=clean or "none",
                                         listening=advice.port_list(sip_ports)), FAQ,
                                         code=Code.SIP_ALG_REWRITES)
    if facts.detected is False:
        return Finding(Status.PASS, advice.text("alg.clean"), data, None, FAQ)
    if clean:
        return Finding(Status.SKIP, advice.text("alg.partial", clean=clean,
                                                untested=_ports(decisions, None)),
                       data, None, FAQ)
    return Finding(Status.SKIP, advice.text("alg.undecided"), data, None, FAQ)


FAQ = (Faq.SIP,)
CHECK = Check(CheckId.SIP_ALG, judge, needs=(Obs.SIP, Obs.STUN), requires=(Obs.DNS_VOIP,))

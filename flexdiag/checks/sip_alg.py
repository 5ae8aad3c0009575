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
from flexdiag.model import Status
from flexdiag.records import Obs, Observations, OptionsReply


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


def _decide(obs: Observations) -> tuple[dict[str, bool | None], list[str]]:
    """Per SIP port: rewriting seen (True), not seen (False) or undecided (None)."""
    decisions: dict[str, bool | None] = {}
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
        decisions[str(port)], line = nat.classify_alg(local, obs.public, view)
        evidence.append(advice.note(line))
    return decisions, evidence


def judge(obs: Observations) -> Finding:
    """Per SIP port: rewritten echo, or a private address where STUN sees a public one."""
    decisions, evidence = _decide(obs)
    detected = nat.combine_alg(list(decisions.values()))
    silent = [str(p) for p in obs.settings.sip_ports
              if (exchange := obs.sip.get(p)) is None or exchange.reply is None]
    if silent and any(d is not None for d in decisions.values()):
        evidence.append(advice.text("alg.silent_port", ports=", ".join(silent)))
    data: dict[str, Any] = {"detected": detected, "evidence": evidence, "ports": decisions}
    clean = ", ".join(p for p, d in decisions.items() if d is False)
    if detected is True:
        rewritten = ", ".join(p for p, d in decisions.items() if d)
        return Finding(Status.FAIL, advice.text("alg.detected", ports=rewritten), data,
                       advice.text("alg.detected.advice", clean=clean or "none",
                                   listening=advice.port_list(obs.settings.sip_ports)), (5,))
    if detected is False:
        return Finding(Status.PASS, advice.text("alg.clean"), data, None, (5,))
    if clean:
        untested = ", ".join(p for p, d in decisions.items() if d is None)
        return Finding(Status.SKIP, advice.text("alg.partial", clean=clean, untested=untested),
                       data, None, (5,))
    return Finding(Status.SKIP, advice.text("alg.undecided"), data, None, (5,))


CHECK = Check("sip.alg", judge, needs=(Obs.SIP, Obs.STUN), requires=(Obs.DNS_VOIP,))

"""``sip.alg``: does something on the path (a router's "SIP ALG") rewrite SIP, per port?

Compares, for the primary socket, what the SIP server says it saw (Via ``received``/``rport``,
and the headers it echoes, RFC 3261 §8.2.6.2) with what flexdiag sent and with the public
address STUN reports. ALGs often watch port 5060 only, so ports are judged one by one.
"""

from __future__ import annotations

import asyncio
from typing import Any

from flexdiag import advice
from flexdiag.addr import Addr
from flexdiag.analysis import nat
from flexdiag.checks import Context, Finding
from flexdiag.checks.dns import unresolved
from flexdiag.checks.observe import mapped_address, sip_options, stun_test1
from flexdiag.codec.sip import SipResponse, parse_via
from flexdiag.model import Status
from flexdiag.net.probes import OptionsReply


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


async def check_alg(ctx: Context) -> Finding:
    """Per SIP port: rewritten echo, or a private address where STUN sees a public one."""
    ports = ctx.settings.sip_ports
    # Both observations are memoised and already under way for other checks.
    observed = await asyncio.gather(*(sip_options(ctx, p) for p in ports))
    _, test1 = await stun_test1(ctx)
    sip_target = observed[0][0]
    skip = unresolved("sip.alg", sip_target.resolution)
    if skip:
        return skip
    public = mapped_address(test1)
    decisions: dict[str, bool | None] = {}
    evidence: list[str] = []
    for port, (_, exchange) in zip(ports, observed, strict=True):
        reply = exchange.reply if exchange is not None else None
        if reply is None or exchange is None:
            view = nat.SipView(port, answered=False)
            local: Addr = ("", 0)
        else:
            local = exchange.local
            view = nat.SipView(port, True, reply.via.received, reply.via.rport,
                               reply.via.sent_by, _echo_changes(reply))
        decision, line = nat.classify_alg(local, public, view)
        decisions[str(port)] = decision
        evidence.append(line)
    detected = nat.combine_alg(list(decisions.values()))
    answered = [p for p in ports if decisions[str(p)] is not None]
    silent = [str(p) for p, (_, ex) in zip(ports, observed, strict=True)
              if ex is None or ex.reply is None]
    if silent and answered:
        evidence.append(advice.text("alg.silent_port", ports=", ".join(silent)))
    data: dict[str, Any] = {"detected": detected, "evidence": evidence, "ports": decisions}
    if detected is True:
        rewritten = ", ".join(p for p, d in decisions.items() if d)
        clean = ", ".join(p for p, d in decisions.items() if d is False)
        return Finding(Status.FAIL, advice.text("alg.detected", ports=rewritten), data,
                       advice.text("alg.detected.advice", clean=clean or "none"), (5,))
    if detected is False:
        return Finding(Status.PASS, advice.text("alg.clean"), data, None, (5,))
    return Finding(Status.SKIP, advice.text("alg.undecided"), data, None,
                   (5,))

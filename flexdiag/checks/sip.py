"""``sip.udp.<port>``: does an OPTIONS request to the SIP server get an answer, from the right
address and port (RFC 3261 §11, RFC 3581; FAQ items 1, 5, 7)?"""

from __future__ import annotations

import asyncio
from typing import Any

from flexdiag import advice
from flexdiag.addr import format_addr
from flexdiag.checks import CheckFn, Context, Finding, exchange_evidence, silence
from flexdiag.checks.dns import unresolved
from flexdiag.checks.observe import sip_options
from flexdiag.codec.sip import describe_code
from flexdiag.model import Status
from flexdiag.net.probes import OptionsReply
from flexdiag.net.udp import Exchange


def check_port(port: int) -> CheckFn:
    """The check function for one SIP port."""

    async def check(ctx: Context) -> Finding:
        return await _check(ctx, port)

    check.__doc__ = f"SIP OPTIONS over UDP to port {port}."
    return check


async def _check(ctx: Context, port: int) -> Finding:
    settings = ctx.settings
    target_, exchange = await sip_options(ctx, port)
    skip = unresolved(f"sip.udp.{port}", target_.resolution)
    if skip or exchange is None or target_.addr is None:
        assert skip is not None
        return skip
    target = target_.addr
    reply = exchange.reply
    data: dict[str, Any] = {
        "target": format_addr(target),
        "local": format_addr(exchange.local) if exchange.local[0] else None,
        "status_code": None,
        "reason": None,
        "rtt_ms": None if exchange.rtt_s is None else round(exchange.rtt_s * 1000, 1),
        "reply_from": format_addr(exchange.reply_from) if exchange.reply_from else None,
        "via_received": None,
        "via_rport": None,
        **exchange_evidence(exchange),
    }
    names = {"target": data["target"], "server_name": settings.sip_server, "port": port}
    if reply is None:
        return await _no_reply(ctx, port, exchange, data, names)
    code = reply.response.status_code
    data.update(status_code=code, reason=reply.response.reason, meaning=describe_code(code),
                via_received=reply.via.received, via_rport=reply.via.rport)
    assert exchange.reply_from is not None
    if exchange.reply_from[1] != port:
        return Finding(
            Status.WARN,
            advice.text("sip.wrong_port", code=describe_code(code), reply_from=data["reply_from"],
                        **names),
            data, advice.text("sip.wrong_port.advice"), (5,),
        )
    return Finding(
        Status.PASS,
        advice.text("sip.pass", code=describe_code(code), rtt_ms=data["rtt_ms"] or 0.0, **names),
        data, None, (5, 7),
    )


async def _no_reply(
    ctx: Context, port: int, exchange: Exchange[OptionsReply], data: dict[str, Any],
    names: dict[str, Any],
) -> Finding:
    if not exchange.error and any(x.split(": ", 1)[-1].startswith("provisional")
                                  for x in exchange.ignored):
        waited_s = asyncio.get_running_loop().time() - ctx.start
        summary = advice.text("sip.provisional", waited_s=waited_s, **names)
    else:
        summary = silence(ctx, "sip", exchange, data, **names)
    # Which other ports answer decides the advice (FAQ item 5: both 5060 and 38388 work).
    others = [p for p in ctx.settings.sip_ports if p != port]
    observed = await asyncio.gather(*(sip_options(ctx, p) for p in others))
    working = [p for p, (_, ex) in zip(others, observed, strict=True) if ex and ex.answered]
    if working:
        text = advice.text("sip.use_other_port.advice", working=working[0], **names)
    else:
        ports = ", ".join(str(p) for p in ctx.settings.sip_ports)
        text = advice.text("sip.none.advice", ports=ports, **names)
    return Finding(Status.FAIL, summary, data, text, (5,))

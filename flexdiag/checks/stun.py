"""``stun.binding``: the public address and whether the router translates ports
(RFC 8489 Binding; FAQ items 2, 4-6)."""

from __future__ import annotations

import asyncio
from typing import Any

from flexdiag import advice
from flexdiag.checks import Context, Finding
from flexdiag.checks.dns import resolved, unresolved
from flexdiag.model import Status
from flexdiag.net.probes import StunReply, binding
from flexdiag.net.udp import Exchange, format_addr, same_ip


async def observe(ctx: Context) -> tuple[Any, Exchange[StunReply] | None]:
    """The (memoised) resolution of the STUN server and one Binding exchange with it."""
    server = ctx.settings.stun_server
    resolution = await resolved(ctx, server.host)
    ip = resolution.preferred()
    if ip is None:
        return resolution, None
    exchange: Exchange[StunReply] = await ctx.memo(
        ("stun", ip, server.port), lambda: binding((ip, server.port), ctx.deadline)
    )
    return resolution, exchange


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def _waited(ctx: Context) -> float:
    return asyncio.get_running_loop().time() - ctx.start


async def check_binding(ctx: Context) -> Finding:
    """STUN Binding: local vs XOR-MAPPED-ADDRESS gives NAT and port translation."""
    settings = ctx.settings
    resolution, exchange = await observe(ctx)
    skip = unresolved("stun.binding", resolution)
    if skip or exchange is None:
        assert skip is not None
        return skip
    server = (resolution.preferred(), settings.stun_server.port)
    data: dict[str, Any] = {
        "server": format_addr(server),
        "local": format_addr(exchange.local) if exchange.local[0] else None,
        "mapped": None,
        "nat": None,
        "port_translation": None,
        "rtt_ms": _ms(exchange.rtt_s),
        "sent": exchange.sent,
    }
    if exchange.ignored_count:
        data["ignored"] = {"count": exchange.ignored_count, "examples": exchange.ignored}
    names = {"server": data["server"], "server_name": settings.stun_server.host,
             "port": settings.stun_server.port}
    reply = exchange.reply
    if reply is None:
        if exchange.error:
            data["error"] = exchange.error
            summary = advice.text("stun.unreachable", error=exchange.error, **names)
        else:
            summary = advice.text("stun.timeout", waited_s=_waited(ctx), sent=exchange.sent,
                                  **names)
        return Finding(Status.FAIL, summary, data, advice.text("stun.fail.advice", **names), (2,))
    response = reply.response
    if response.software:
        data["software"] = response.software
    if response.is_error or response.mapped is None:
        return Finding(
            Status.WARN,
            advice.text("stun.error", code=response.error_code, reason=response.error_reason,
                        **names),
            data, advice.text("stun.error.advice", **names), (2,),
        )
    mapped = response.mapped
    nat = not same_ip(mapped[0], exchange.local[0])
    translation = mapped[1] != exchange.local[1]
    data.update(mapped=format_addr(mapped), nat=nat, port_translation=translation,
                public_ip=mapped[0])
    fields = {"local": data["local"], "mapped": data["mapped"], "public_ip": mapped[0],
              "rtt_ms": data["rtt_ms"] or 0.0}
    if translation:
        return Finding(
            Status.WARN,
            advice.text("stun.translation", **fields),
            data,
            advice.text("stun.translation.advice",
                        registration_time_s=settings.registration_time_s),
            (4, 5, 6),
        )
    key = "stun.nat" if nat else "stun.no_nat"
    return Finding(Status.PASS, advice.text(key, **fields), data, None, (2, 4))

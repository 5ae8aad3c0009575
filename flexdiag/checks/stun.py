"""``stun.binding``: the public address, whether the router translates ports, and whether it
keeps ports across several sockets (RFC 8489 Binding; FAQ items 2, 4-6)."""

from __future__ import annotations

import asyncio
from typing import Any

from flexdiag import advice
from flexdiag.addr import format_addr, same_ip
from flexdiag.checks import Context, Finding, exchange_evidence, silence
from flexdiag.checks.dns import unresolved
from flexdiag.checks.observe import preservation_bindings, stun_test1
from flexdiag.model import Status


def ms(seconds: float | None) -> float | None:
    """Seconds as milliseconds for evidence, ``None`` kept."""
    return None if seconds is None else round(seconds * 1000, 1)


async def check_binding(ctx: Context) -> Finding:
    """STUN Binding: local vs XOR-MAPPED-ADDRESS gives NAT and port translation."""
    settings = ctx.settings
    (target, exchange), extra = await asyncio.gather(stun_test1(ctx), preservation_bindings(ctx))
    skip = unresolved("stun.binding", target.resolution)
    if skip or exchange is None or target.addr is None:
        assert skip is not None
        return skip
    data: dict[str, Any] = {
        "server": format_addr(target.addr),
        "local": format_addr(exchange.local) if exchange.local[0] else None,
        "mapped": None,
        "nat": None,
        "port_translation": None,
        "rtt_ms": ms(exchange.rtt_s),
        **exchange_evidence(exchange),
    }
    names = {"server": data["server"], "server_name": settings.stun_server.host,
             "port": settings.stun_server.port}
    reply = exchange.reply
    if reply is None:
        summary = silence(ctx, "stun", exchange, data, **names)
        return Finding(Status.FAIL, summary, data, advice.text("stun.fail.advice", **names), (2,))
    response = reply.response
    if response.software:
        data["software"] = response.software
    if response.other_address:
        data["other_address"] = format_addr(response.other_address)  # RFC 5780 support
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
    # Several sockets at once, as several phones behind one router (FAQ item 6).
    pairs = [(exchange.local, mapped)] + [
        (x.local, x.reply.response.mapped) for x in extra
        if x.reply is not None and x.reply.response.mapped is not None]
    kept = sum(1 for local, public in pairs if local[1] == public[1])
    data["port_preservation"] = {
        "sockets": len(pairs), "preserved": kept,
        "mappings": [f"{format_addr(local)} -> {format_addr(public)}" for local, public in pairs],
    }
    fields = {"local": data["local"], "mapped": data["mapped"], "public_ip": mapped[0],
              "rtt_ms": data["rtt_ms"] or 0.0, "kept": kept, "sockets": len(pairs)}
    if translation or kept < len(pairs):
        return Finding(
            Status.WARN,
            advice.text("stun.translation" if translation else "stun.partial", **fields),
            data,
            advice.text("stun.translation.advice",
                        registration_time_s=settings.registration_time_s),
            (4, 5, 6),
        )
    key = "stun.nat" if nat else "stun.no_nat"
    return Finding(Status.PASS, advice.text(key, **fields), data, None, (2, 4))

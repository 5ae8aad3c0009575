"""``sip.large``: do SIP messages larger than one packet get through, per port?

A call's INVITE with its SDP easily exceeds 1300 bytes; above the path MTU it travels as IP
fragments, which many routers drop (RFC 3261 §18.1.1 says to switch to TCP above 1300 bytes,
which most phones never do over UDP). Each port gets OPTIONS padded to ~1400 and ~3000 bytes,
sent together with the small one; an unanswered large one is judged against the small one's
RTT, not a fixed wait.
"""

from __future__ import annotations

import asyncio
from typing import Any

from flexdiag import advice
from flexdiag.checks import Context, Finding
from flexdiag.checks.dns import unresolved
from flexdiag.checks.observe import negative_wait_s, sip_options, sip_target
from flexdiag.model import Status
from flexdiag.net.probes import send_options

SIZES = (1400, 3000)  # bytes: just under a 1500-byte MTU, and surely fragmented


async def _probe_port(ctx: Context, port: int) -> dict[str, Any]:
    target = await sip_target(ctx, port)
    assert target.addr is not None
    addr = target.addr
    stop = asyncio.Event()
    large = [asyncio.ensure_future(send_options(addr, ctx.settings.sip_server, ctx.deadline,
                                                size=size, stop=stop)) for size in SIZES]
    try:
        _, small = await sip_options(ctx, port)
        if small is None or small.reply is None or small.answered_at is None:
            stop.set()
            await asyncio.gather(*large)
            return {"small": False}
        # Give the large ones a few of the small one's RTTs after it answered, then stop.
        loop = asyncio.get_running_loop()
        wait_s = negative_wait_s(small.rtt_s)
        loop.call_at(small.answered_at + wait_s, stop.set)
        results = await asyncio.gather(*large)
    finally:
        stop.set()
        for task in large:
            task.cancel()
    return {"small": True, "wait_s": round(wait_s, 3),
            **{str(size): r.reply is not None for size, r in zip(SIZES, results, strict=True)},
            "errors": {str(size): r.error for size, r in zip(SIZES, results, strict=True)
                       if r.error}}


async def check_large(ctx: Context) -> Finding:
    """Large OPTIONS on every SIP port, judged against the small one on the same port."""
    target = await sip_target(ctx, ctx.settings.sip_ports[0])
    skip = unresolved("sip.large", target.resolution)
    if skip:
        return skip
    ports = ctx.settings.sip_ports
    results = await asyncio.gather(*(_probe_port(ctx, p) for p in ports))
    per_port = {str(p): r for p, r in zip(ports, results, strict=True)}
    for result in per_port.values():
        if not result.get("errors"):
            result.pop("errors", None)
    data: dict[str, Any] = {"sizes": list(SIZES), "ports": per_port}
    tested = {p: r for p, r in per_port.items() if r["small"]}
    if not tested:
        return Finding(Status.SKIP, advice.text("large.untested"), data, None, (5,))
    lost = [advice.text("large.lost.item", size=size, port=p) for p, r in tested.items()
            for size in SIZES if not r[str(size)]]
    if lost:
        return Finding(Status.FAIL, advice.text("large.lost", lost=", ".join(lost)), data,
                       advice.text("large.lost.advice"), (5,))
    return Finding(Status.PASS, advice.text("large.ok", sizes="/".join(map(str, SIZES)),
                                            ports=", ".join(tested)), data, None, (5,))

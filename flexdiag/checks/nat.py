"""``nat.mapping`` and ``nat.filtering``: how the router maps and filters UDP, in RFC 4787
terms, and what that means for calls on the platform (FAQ items 4-6).

Mapping: RFC 5780 §4.3 when the STUN server gives an OTHER-ADDRESS; otherwise the cross-check
of the public address and port the STUN server and the SIP server (Via ``received``/``rport``,
on every SIP port) saw for the same local socket. Filtering: RFC 5780 §4.4 (CHANGE-REQUEST).
"""

from __future__ import annotations

import asyncio
from typing import Any

from flexdiag import advice
from flexdiag.addr import Addr, format_addr, same_addr, same_ip
from flexdiag.analysis import nat
from flexdiag.checks import Context, Finding
from flexdiag.checks.dns import unresolved
from flexdiag.checks.observe import (
    filtering_tests,
    mapped_address,
    mapping_tests,
    sip_options,
    stun_test1,
)
from flexdiag.model import Status

RFC5780 = "rfc5780"
CROSSCHECK = "stun-sip-crosscheck"


async def _views(ctx: Context, local: Addr, stun_server: Addr, public: Addr) -> list[nat.View]:
    """STUN's view plus every SIP port's view of the primary socket, leaving out a port whose
    answer names our private address (rewritten by an ALG: not a view of the mapping)."""
    views = [nat.View("STUN", stun_server, public)]
    observed = await asyncio.gather(*(sip_options(ctx, p) for p in ctx.settings.sip_ports))
    for port, (target, exchange) in zip(ctx.settings.sip_ports, observed, strict=True):
        if exchange is None or exchange.reply is None or target.addr is None:
            continue
        if not same_addr(exchange.local, local):
            continue  # SIP went out from another socket: not the same mapping
        via = exchange.reply.via
        seen_ip = via.received or via.sent_by.rsplit(":", 1)[0]
        if via.rport is None or (same_ip(seen_ip, local[0]) and not same_ip(public[0], local[0])):
            continue
        views.append(nat.View(f"SIP {port}", target.addr, (seen_ip, via.rport)))
    return views


async def check_mapping(ctx: Context) -> Finding:
    """Mapping behaviour: one public port for every destination, or one per destination?"""
    target, test1 = await stun_test1(ctx)
    skip = unresolved("nat.mapping", target.resolution)
    if skip:
        return skip
    public = mapped_address(test1)
    if test1 is None or public is None or target.addr is None:
        return Finding(Status.SKIP, advice.text("mapping.no_stun"),
                       {"behavior": nat.UNKNOWN, "method": None}, None, (2,))
    local = test1.local
    data: dict[str, Any] = {"behavior": nat.UNKNOWN, "method": None, "local": format_addr(local),
                            "test1": format_addr(public)}
    test2, test3 = await mapping_tests(ctx)
    if test2 is not None:
        m2, m3 = mapped_address(test2), mapped_address(test3)
        behavior = nat.classify_mapping_rfc5780(local, public, m2, m3)
        data.update(method=RFC5780, test2=m2 and format_addr(m2), test3=m3 and format_addr(m3))
        evidence = [f"test I {format_addr(public)}, test II {data['test2']}, "
                    f"test III {data['test3']}"]
    else:
        views = await _views(ctx, local, target.addr, public)
        behavior, evidence = nat.classify_mapping_crosscheck(local, views)
        data["method"] = CROSSCHECK
    data["behavior"] = behavior
    data["evidence"] = evidence
    summary_fields = {"method": data["method"]}
    if behavior == nat.EIM:
        return Finding(Status.PASS, advice.text("mapping.eim", **summary_fields), data, None,
                       (4, 6))
    if behavior == nat.UNKNOWN:
        hint = "" if data["method"] == RFC5780 else advice.text("mapping.unknown.hint")
        return Finding(Status.SKIP, advice.text("mapping.unknown", **summary_fields) + hint,
                       data, None, (4, 6))
    return Finding(Status.WARN, advice.text("mapping.dependent", behavior=behavior,
                                            **summary_fields),
                   data, advice.text("mapping.dependent.advice"), (4, 5, 6))


def _arrived(exchange: Any, expected: Addr) -> bool | None:
    """Did the changed-address response arrive (``None``: the server did not change)."""
    if exchange is None:
        return None
    if exchange.reply is None:
        return False
    return True if same_addr(exchange.reply.source, expected) else None


async def check_filtering(ctx: Context) -> Finding:
    """Filtering behaviour: does traffic from other platform addresses and ports get in before
    the phone has sent to them (FAQ item 4, footnote)?"""
    target, obs = await filtering_tests(ctx)
    skip = unresolved("nat.filtering", target.resolution)
    if skip:
        return skip
    data: dict[str, Any] = {"behavior": nat.UNKNOWN, "method": None}
    if obs is None or obs.test1.reply is None:
        return Finding(Status.SKIP, advice.text("filtering.no_stun"), data, None, (2,))
    reply = obs.test1.reply
    other = reply.response.other_address
    if other is None or obs.change_both is None:
        hint = advice.text("filtering.unsupported", server=format_addr(reply.source))
        return Finding(Status.SKIP, hint, {**data, "reason": "no OTHER-ADDRESS"}, None, (2,))
    both_ok = _arrived(obs.change_both, other)
    port_ok = _arrived(obs.change_port, (reply.source[0], other[1]))
    behavior = nat.classify_filtering(both_ok, port_ok)
    data.update(behavior=behavior, method=RFC5780, wait_s=round(obs.wait_s, 3),
                change_ip_and_port=both_ok, change_port=port_ok,
                local=format_addr(obs.test1.local))
    if behavior == nat.UNKNOWN:
        return Finding(Status.SKIP, advice.text("filtering.server_ignored"), data, None, (2,))
    _, test1 = await stun_test1(ctx)
    public = mapped_address(test1)
    translation = public is not None and test1 is not None and public[1] != test1.local[1]
    impact = nat.impact(nat.EIM, behavior, translation)
    data["impact"] = impact
    key = "filtering.open" if behavior == nat.EIM else "filtering.closed"
    summary = advice.text(key, behavior=behavior)
    if behavior != nat.EIM and translation:
        return Finding(Status.WARN, summary, data, advice.text("filtering.translated.advice"),
                       (4, 5, 6))
    note = None if behavior == nat.EIM else advice.text("filtering.phone_first.note")
    return Finding(Status.PASS, summary, data, note, (4,))

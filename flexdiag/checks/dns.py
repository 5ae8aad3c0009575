"""``dns.voip``, ``dns.stun``, ``dns.ntp``: do the platform's names resolve, and to platform
addresses (FAQ items 1-4)?"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from flexdiag import advice
from flexdiag.checks import Context, Finding
from flexdiag.model import Status
from flexdiag.net.dns import Resolution, resolve
from flexdiag.settings import Settings

# Which name each DNS check resolves, and the FAQ items that name rests on.
NAMES: dict[str, tuple[Callable[[Settings], str], tuple[int, ...]]] = {
    "dns.voip": (lambda s: s.sip_server, (1, 5)),
    "dns.stun": (lambda s: s.stun_server.host, (2,)),
    "dns.ntp": (lambda s: s.ntp_server.host, (3,)),
}


async def resolved(ctx: Context, name: str) -> Resolution:
    """The (memoised) resolution of ``name``: each name is asked once per run."""
    settings = ctx.settings
    result: Resolution = await ctx.memo(
        ("dns", name), lambda: resolve(name, settings.dns_server, ctx.dns_timeout_s)
    )
    return result


def unresolved(check_id: str, resolution: Resolution) -> Finding | None:
    """A skip for a check whose server name did not resolve, else ``None``."""
    if resolution.preferred() is not None:
        return None
    return Finding(
        Status.SKIP,
        advice.text("skip.unresolved", name=resolution.name, dns_id=_dns_id_of(check_id)),
        data={"reason": "unresolved", "name": resolution.name},
    )


def _dns_id_of(check_id: str) -> str:
    if check_id.startswith("sip."):
        return "dns.voip"
    if check_id.startswith("stun."):
        return "dns.stun"
    return "dns.ntp"


def in_ranges(addresses: tuple[str, ...], ranges: tuple[Any, ...]) -> tuple[bool, list[str]]:
    """Whether every judged address lies in a platform range, and the ones that do not.

    An address of a family for which no range is configured (IPv6 on a v4-only profile) is
    not judged: the platform ranges say nothing about it.
    """
    versions = {net.version for net in ranges}
    outside = []
    for text in addresses:
        address = ipaddress.ip_address(text)
        if address.version in versions and not any(address in net for net in ranges):
            outside.append(text)
    return not outside, outside


async def _check(ctx: Context, check_id: str) -> Finding:
    name_of, faq = NAMES[check_id]
    name = name_of(ctx.settings)
    resolution = await resolved(ctx, name)
    ranges = ctx.settings.platform_ranges
    ranges_text = ", ".join(str(r) for r in ranges)
    inside, outside = in_ranges(resolution.addresses, ranges)
    data: dict[str, Any] = {
        "name": name,
        "addresses": list(resolution.addresses),
        "in_platform_ranges": inside if resolution.addresses else False,
        "rtt_ms": resolution.rtt_ms,
        "resolver": resolution.resolver,
    }
    if resolution.details:
        data["errors"] = resolution.details
    if resolution.error is not None:
        data["error"] = resolution.error_kind
        key = f"dns.error.{resolution.error_kind}"
        error = advice.text(key) if key in advice.MESSAGES else resolution.error
        return Finding(
            Status.FAIL,
            advice.text("dns.fail", name=name, resolver=resolution.resolver, error=error),
            data,
            advice.text("dns.fail.advice", name=name, faq="/".join(map(str, faq))),
            faq,
        )
    if outside:
        return Finding(
            Status.WARN,
            advice.text("dns.outside", name=name, outside=", ".join(outside), ranges=ranges_text),
            data,
            advice.text("dns.outside.advice", ranges=ranges_text),
            (*faq, 4) if 4 not in faq else faq,
        )
    if resolution.literal:
        return Finding(Status.SKIP, advice.text("dns.literal", name=name), data, None, faq)
    return Finding(
        Status.PASS,
        advice.text("dns.pass", name=name, addresses=", ".join(resolution.addresses),
                    rtt_ms=resolution.rtt_ms or 0.0),
        data, None, faq,
    )


async def check_voip(ctx: Context) -> Finding:
    """Resolve the SIP server name (FAQ item 1)."""
    return await _check(ctx, "dns.voip")


async def check_stun(ctx: Context) -> Finding:
    """Resolve the STUN server name (FAQ item 2)."""
    return await _check(ctx, "dns.stun")


async def check_ntp(ctx: Context) -> Finding:
    """Resolve the NTP server name (FAQ item 3)."""
    return await _check(ctx, "dns.ntp")

"""``dns.voip``, ``dns.stun``, ``dns.ntp``: do the platform's names resolve, and to platform
addresses (FAQ items 1-4)?"""

from __future__ import annotations

import ipaddress
from typing import Any

from flexdiag import advice
from flexdiag.checks.base import Check, Finding
from flexdiag.model import Status
from flexdiag.records import Obs, Observations
from flexdiag.vocab import Code, Faq

# The FAQ items each name rests on.
FAQ: dict[Obs, tuple[int, ...]] = {Obs.DNS_VOIP: (Faq.SIP_SERVER, Faq.SIP),
                                   Obs.DNS_STUN: (Faq.STUN_SERVER,),
                                   Obs.DNS_NTP: (Faq.NTP_SERVER,)}


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


def _judge(key: Obs, obs: Observations) -> Finding:
    resolution = obs.resolution(key)
    assert resolution is not None
    faq = FAQ[key]
    name = resolution.name
    ranges = obs.settings.platform_ranges
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
    if resolution.ignored_count:
        # Replies that answered nothing of ours (malformed, another ID or question, the
        # wrong letter case): a forger's or a broken resolver's, never silently dropped.
        data["ignored_count"] = resolution.ignored_count
        data["ignored"] = list(resolution.ignored)
    if resolution.error is not None:
        data["error"] = resolution.error_kind
        message = f"dns.error.{resolution.error_kind}"
        error = advice.text(message) if message in advice.MESSAGES else resolution.error
        if resolution.ignored_count:
            error += advice.text("dns.ignored", count=resolution.ignored_count)
        return Finding(
            Status.FAIL,
            advice.text("dns.fail", name=name, resolver=resolution.resolver, error=error),
            data,
            _fail_advice(name, faq, resolution.error_kind),
            faq,
            code=Code.DNS_FAILS,
        )
    if outside:
        return Finding(
            Status.WARN,
            advice.text("dns.outside", name=name, outside=", ".join(outside), ranges=ranges_text),
            data,
            advice.text("dns.outside.advice", ranges=ranges_text),
            (*faq, Faq.AUDIO) if Faq.AUDIO not in faq else faq,
            code=Code.DNS_OUTSIDE_PLATFORM,
        )
    if resolution.literal:
        return Finding(Status.SKIP, advice.text("dns.literal", name=name), data, None, faq)
    return Finding(
        Status.PASS,
        advice.text("dns.pass", name=name, addresses=", ".join(resolution.addresses),
                    rtt_ms=resolution.rtt_ms or 0.0),
        data, None, faq,
    )


def _fail_advice(name: str, faq: tuple[int, ...], kind: str | None) -> str:
    if kind == "no-network":
        return advice.text("dns.no_network.advice")
    text = advice.text("dns.fail.advice", name=name, faq="/".join(map(str, faq)))
    return text + (advice.text("dns.timeout.hint") if kind == "timeout" else "")


def _check(key: Obs, doc: str) -> Check:
    def judge(obs: Observations) -> Finding:
        return _judge(key, obs)

    judge.__doc__ = doc
    return Check(key.value, judge, needs=(key,))


CHECKS = (
    _check(Obs.DNS_VOIP, "Resolve the SIP server name (FAQ item 1)."),
    _check(Obs.DNS_STUN, "Resolve the STUN server name (FAQ item 2)."),
    _check(Obs.DNS_NTP, "Resolve the NTP server name (FAQ item 3)."),
)

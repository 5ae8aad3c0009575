"""``nat.upstream``: which box faces the internet? One router, two (double NAT: often the ISP's
modem in router mode in front of the customer's router), or the ISP's carrier-grade NAT (FAQ
items 4-6: every NAT between the phones and the platform translates, filters and times out).

Told by the gateway's own external address (NAT-PMP, RFC 6886; UPnP IGD), compared with the
address the platform sees (STUN), and by the hops towards the platform
(flexdiag.analysis.upstream); where neither says, "not determined". The plan then says which
box each router step concerns.
"""

from __future__ import annotations

from typing import Any

from flexdiag import advice
from flexdiag.analysis.upstream import Basis, Upstream, Verdict, classify
from flexdiag.checks.base import Check, Finding
from flexdiag.codec import natpmp
from flexdiag.facts import UpstreamFacts
from flexdiag.model import Status
from flexdiag.records import Obs, Observations, mapped_address
from flexdiag.records import Upstream as UpstreamProbe
from flexdiag.vocab import CheckId, Code, Faq

FAQ = (Faq.AUDIO, Faq.SIP, Faq.PORT_TRANSLATION)


def _evidence(probe: UpstreamProbe) -> dict[str, Any]:
    pmp = probe.natpmp
    data: dict[str, Any] = {
        "gateway_ip": probe.gateway, "natpmp_address": pmp.address if pmp else None,
        "natpmp_result": None if pmp is None else ("pcp" if pmp.pcp else natpmp.RESULTS.get(
            pmp.result, str(pmp.result))),
        "natpmp_error": probe.natpmp_error, "upnp_address": probe.upnp_address,
        "upnp_service": probe.upnp_service, "upnp_error": probe.upnp_error,
        "second_gateway": probe.second_gateway, "second_answers": list(probe.second_answers),
        "hops": list(probe.hops),
        "answered_at_ttl": probe.answered_at_ttl}
    if probe.error:
        data["error"] = probe.error
    return data


def _fields(probe: UpstreamProbe, verdict: Verdict, public: str | None) -> dict[str, str]:
    return {"gateway": probe.gateway or "?", "box": verdict.box or verdict.wan or "?",
            "wan": verdict.wan or "?", "public": public or "?",
            "how": "" if verdict.basis is Basis.NONE else advice.text(
                f"upstream.basis.{verdict.basis}")}


def _keys(verdict: Verdict) -> tuple[str, str]:
    """The summary's and the advice's messages of a warning: double NAT told by the router's
    own private address has that address to say, and maybe no other box's."""
    kind = verdict.upstream
    double = kind is Upstream.DOUBLE
    told = verdict.basis in (Basis.NATPMP, Basis.UPNP)
    return ("upstream.double.wan" if double and told else f"upstream.{kind}",
            "upstream.double.advice.wan" if double and not verdict.box
            else f"upstream.{kind}.advice")


def judge(obs: Observations) -> Finding:
    probe = obs.upstream
    if probe is None:
        return Finding(Status.SKIP, advice.text("upstream.undetermined"), {}, None, FAQ)
    mapped = mapped_address(obs.stun)
    public = mapped[0] if mapped else None
    pmp = probe.natpmp
    verdict = classify(pmp.address if pmp else None, public, probe.hops, probe.answered_at_ttl,
                       probe.upnp_address, probe.second_answers)
    data = {**UpstreamFacts(verdict.upstream, verdict.box).to_data(), "basis": verdict.basis,
            "router_wan": verdict.wan, "public_ip": public, **_evidence(probe)}
    fields = _fields(probe, verdict, public)
    kind = verdict.upstream
    if kind is Upstream.UNDETERMINED:
        return Finding(Status.SKIP, advice.text("upstream.undetermined"), data, None, FAQ)
    if kind in (Upstream.SINGLE, Upstream.NONE):
        return Finding(Status.PASS, advice.text(f"upstream.{kind}", **fields), data, None, FAQ)
    code = Code.CARRIER_GRADE_NAT if kind is Upstream.CGNAT else Code.DOUBLE_NAT
    said, advised = _keys(verdict)
    return Finding(Status.WARN, advice.text(said, **fields), data,
                   advice.text(advised, **fields), FAQ, code=code)


CHECK = Check(CheckId.NAT_UPSTREAM, judge, needs=(Obs.UPSTREAM, Obs.STUN),
              requires=(Obs.DNS_STUN,))

"""``media.quality``: what a call would sound like on this path (FAQ item 4): round-trip time,
jitter, loss and an estimated MOS from an RTP-paced probe to the platform's STUN server.

A round trip through a STUN server says nothing about either direction alone: the figures are
those of the path there and back, and the MOS takes half the round trip as the one-way delay
(:mod:`flexdiag.analysis.media`). Measured in the default run and with ``--lifetime``; the quick
run's row says it was not measured and how to measure it.
"""

from __future__ import annotations

from typing import Any

from flexdiag import advice
from flexdiag.addr import format_addr
from flexdiag.analysis import media as am
from flexdiag.checks.base import Check, Finding
from flexdiag.facts import (
    MEASURE_ON_LINUX,
    MEASURE_WITH,
    MediaPortsFacts,
    QualityFacts,
    Skipped,
)
from flexdiag.model import Status
from flexdiag.records import Obs, Observations
from flexdiag.settings import Settings
from flexdiag.vocab import MEDIA_PORTS, CheckId, Code, Faq, Reason

FAQ = (Faq.AUDIO,)
BUDGET_GRACE_S = 3.0  # beyond the probe's duration and tail: resolving the STUN server first


def judge(obs: Observations) -> Finding:
    """RTT, jitter and loss against the thresholds; the figures in the finding."""
    probe = obs.media
    assert probe is not None
    q = am.quality(probe.sends, probe.arrivals)
    data: dict[str, Any] = {
        "server": format_addr(obs.stun_server) if obs.stun_server else None,
        "local": format_addr(probe.local), "sent": q.sent, "answered": q.answered,
        "interval_ms": am.PACKET_INTERVAL_S * 1000,
        **QualityFacts(q.rtt_ms, q.jitter_ms, q.loss_pct, q.mos).to_data(),
        "rtt_p95_ms": q.rtt_p95_ms, "burst_loss_pct": q.burst_loss_pct, "ignored": probe.ignored,
        "limits": {"rtt_ms": am.MAX_RTT_MS, "jitter_ms": am.MAX_JITTER_MS,
                   "loss_pct": am.MAX_LOSS_PCT}}
    if probe.error is not None:
        data["error"] = probe.error
        return Finding(Status.SKIP, advice.text("media.untested", error=probe.error), data,
                       None, FAQ)
    if not q.answered:
        return Finding(Status.FAIL, advice.text("media.none", sent=q.sent), data,
                       advice.text("media.none.advice"), FAQ, code=Code.MEDIA_NO_ANSWER)
    fields = {"rtt": q.rtt_ms, "p95": q.rtt_p95_ms, "jitter": q.jitter_ms, "loss": q.loss_pct,
              "burst": q.burst_loss_pct, "mos": q.mos, "sent": q.sent}
    if q.good:
        return Finding(Status.PASS, advice.text("media.good", **fields), data, None, FAQ)
    return Finding(Status.WARN, advice.text("media.poor", **fields), data,
                   advice.text("media.poor.advice", max_rtt=am.MAX_RTT_MS,
                               max_jitter=am.MAX_JITTER_MS, max_loss=am.MAX_LOSS_PCT), FAQ,
                               code=Code.MEDIA_POOR_QUALITY)


def check(settings: Settings) -> Check:
    """``media.quality``, bounded by the probe's duration (``--media-seconds``)."""
    return Check(CheckId.MEDIA_QUALITY, judge, needs=(Obs.MEDIA,), requires=(Obs.DNS_STUN,),
                 budget_s=settings.media_seconds + am.TAIL_S + BUDGET_GRACE_S)


def unmeasured(obs: Observations) -> Finding:
    """The quick run's row: not measured, and how to measure it."""
    return Finding(Status.SKIP, advice.text("media.unmeasured"),
                   Skipped(Reason.NOT_MEASURED, MEASURE_WITH).to_data(), None, FAQ)


UNMEASURED = Check(CheckId.MEDIA_QUALITY, unmeasured, needs=())


# --- media.ports --------------------------------------------------------------------------------

def judge_ports(obs: Observations) -> Finding:
    """Did UDP to the platform's media ports leave the site?"""
    walk = obs.media_ports
    assert walk is not None
    ranges = ", ".join(str(n) for n in obs.settings.media_networks)

    def reports(items: Any) -> list[str]:
        return [f"{r.offender or '?'} ICMP {r.icmp_type}/{r.icmp_code} for "
                f"{r.dest[0]}:{r.dest[1]}" for r in items]

    data: dict[str, Any] = {
        "method": "ttl-limited", "ttl": walk.ttl, "gateway": walk.gateway,
        "control_answered": walk.control_answered, "control": reports(walk.control),
        "probes": walk.probes, "answers": reports(walk.media), "ranges": ranges,
        "ports": f"{MEDIA_PORTS[0]}-{MEDIA_PORTS[1]}"}
    if walk.error is not None:
        data.update(MediaPortsFacts(am.UNDECIDED).to_data(), error=walk.error)
        if walk.os_cannot:  # Windows, macOS: "Ready" must not pass over it in silence
            data.update(Skipped(Reason.NOT_MEASURED, MEASURE_ON_LINUX).to_data())
        return Finding(Status.SKIP, advice.text("ports.untested", error=walk.error), data,
                       None, FAQ)
    verdict = am.ports_verdict(
        walk.gateway, walk.control_answered,
        [(r.offender, r.icmp_type, r.icmp_code) for r in walk.control],
        [(r.offender, r.icmp_type, r.icmp_code) for r in walk.media])
    data.update(MediaPortsFacts(verdict).to_data())
    fields = {"sent": len(walk.probes), "ranges": ranges, "media_ports": data["ports"]}
    if verdict == am.FORWARDED:
        return Finding(Status.PASS, advice.text("ports.forwarded", **fields), data, None, FAQ)
    if verdict == am.DROPPED:
        return Finding(Status.FAIL, advice.text("ports.dropped", **fields), data,
                       advice.text("ports.dropped.advice", **fields), FAQ,
                       code=Code.MEDIA_PORTS_BLOCKED)
    return Finding(Status.SKIP, advice.text("ports.undecided", **fields), data, None, FAQ)


def ports_check() -> Check:
    """``media.ports``: a few dozen TTL-limited datagrams, bounded to a few seconds."""
    return Check(CheckId.MEDIA_PORTS, judge_ports, needs=(Obs.MEDIA_PORTS,),
                 requires=(Obs.DNS_STUN,), budget_s=6.0)


def ports_unmeasured(obs: Observations) -> Finding:
    """The quick run's row: not measured, and how to measure it."""
    return Finding(Status.SKIP, advice.text("ports.unmeasured"),
                   Skipped(Reason.NOT_MEASURED, MEASURE_WITH).to_data(), None, FAQ)


PORTS_UNMEASURED = Check(CheckId.MEDIA_PORTS, ports_unmeasured, needs=())

"""Prometheus metrics of the watch loop (prometheus_client), for a scrape endpoint or the
node-exporter textfile collector (that I/O lives in :mod:`flexdiag.service`). Names follow
Prometheus conventions: ``flexdiag_`` prefix, base units in the name (``_seconds``),
``_total`` for counters; see docs/container.md. With a site name (``watch --site``) every
series carries a ``site`` label, whether it is scraped, written to a textfile or pushed."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from flexdiag.facts import BehaviorFacts, Timing
from flexdiag.model import REPORT_STATUSES, Status
from flexdiag.vocab import Behavior, CheckId

STATUSES = tuple(s.value for s in Status)
SEVERITY = {s.value: s.rank for s in Status}
BEHAVIOR_CHECKS = (CheckId.NAT_MAPPING, CheckId.NAT_FILTERING)


class _WithSite:
    """A collector that gives every sample of ``registry`` the label ``site``."""

    def __init__(self, registry: Any, site: str) -> None:
        self.registry, self.site = registry, site

    def collect(self) -> Iterator[Any]:
        from prometheus_client.metrics_core import Metric

        for family in self.registry.collect():
            labelled = Metric(family.name, family.documentation, family.type, family.unit)
            for sample in family.samples:
                labelled.add_sample(sample.name, {**sample.labels, "site": self.site},
                                    sample.value, sample.timestamp, sample.exemplar)
            yield labelled


class Metrics:
    """The metric families, in a registry of their own; :attr:`registry` is what is
    exposed (scraped, written or pushed): the same, with ``site`` on every series."""

    def __init__(self, version: str, site: str | None = None) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Info

        self.own = CollectorRegistry()
        r = self.own
        self.site = site
        if site is None:
            self.registry = r
        else:
            self.registry = CollectorRegistry(auto_describe=False)
            self.registry.register(_WithSite(r, site))
        Info("flexdiag", "flexdiag build information", registry=r).info({"version": version})
        self.check_status = Gauge(
            "flexdiag_check_status", "1 for the check's current status, 0 for the others",
            ["check", "status"], registry=r)
        self.check_severity = Gauge(
            "flexdiag_check_severity", "Check status as a number: 0 pass/skip, 1 warn, "
            "2 fail, 3 error", ["check"], registry=r)
        self.check_duration = Gauge(
            "flexdiag_check_duration_seconds", "How long the check took", ["check"],
            registry=r)
        self.finding = Gauge(
            "flexdiag_finding", "1 while a finding is present: its check, reason code "
            "(docs/reasons.md) and FAQ items", ["check", "reason", "faq"], registry=r)
        self.rtt = Gauge("flexdiag_rtt_seconds", "Round-trip time measured by the check",
                         ["check"], registry=r)
        self.ntp_offset = Gauge("flexdiag_ntp_offset_seconds",
                                "This host's clock offset from the NTP server", registry=r)
        self.sip_alg = Gauge("flexdiag_sip_alg_detected",
                             "1 if a SIP ALG rewrites SIP, 0 if not, NaN if undecided",
                             registry=r)
        self.lifetime_alive = Gauge(
            "flexdiag_nat_lifetime_alive_seconds",
            "Longest idle time a phone's NAT mapping (one exchange, then quiet: the fresh flow) "
            "was seen alive (NaN: unknown)",
            registry=r)
        self.lifetime_expired = Gauge(
            "flexdiag_nat_lifetime_expired_seconds",
            "Shortest idle time a phone's NAT mapping (one exchange, then quiet: the fresh flow) "
            "was seen expired (NaN: unknown)",
            registry=r)
        self.media_jitter = Gauge(
            "flexdiag_media_jitter_seconds", "media.quality: interarrival jitter of the "
            "RTP-paced probe, RFC 3550 (NaN: not measured)", registry=r)
        self.media_loss = Gauge(
            "flexdiag_media_loss_ratio", "media.quality: share of the probe's packets lost "
            "(NaN: not measured)", registry=r)
        self.media_mos = Gauge(
            "flexdiag_media_mos", "media.quality: estimated call quality, ITU-T G.107 MOS "
            "(NaN: not measured)", registry=r)
        self.registration = Gauge(
            "flexdiag_registration_interval_seconds",
            "The phones' registration interval the NAT lifetime is judged against "
            "(--registration-time)", registry=r)
        self.nat_behavior = Gauge(
            "flexdiag_nat_behavior",
            "1 for the NAT behaviour (RFC 4787) the check found, 0 for the others",
            ["check", "behavior"], registry=r)
        self.last_run = Gauge("flexdiag_last_run_timestamp_seconds",
                              "Unix time the last run finished", registry=r)
        self.last_duration = Gauge("flexdiag_last_run_duration_seconds",
                                   "How long the last run took", registry=r)
        self.last_status = Gauge("flexdiag_last_run_status",
                                 "1 for the last run's overall status, 0 for the others",
                                 ["status"], registry=r)
        self.runs = Counter("flexdiag_runs", "Runs finished, by overall status", ["status"],
                            registry=r)
        self.failures = Counter("flexdiag_run_failures",
                                "Runs that raised instead of producing a report", registry=r)
        for status in REPORT_STATUSES:
            self.runs.labels(status.value)  # every series exists from the start, at 0
        for lifetime in (self.lifetime_alive, self.lifetime_expired):
            lifetime.set(math.nan)
        self.sip_alg.set(math.nan)
        self.ntp_offset.set(math.nan)
        for check_id in BEHAVIOR_CHECKS:
            for behavior in Behavior:
                self.nat_behavior.labels(check_id, behavior.value)

    def _findings(self, report: dict[str, Any]) -> None:
        """``flexdiag_finding``: one series per present finding, gone with it."""
        self.finding.clear()
        for check in report["checks"]:
            if check.get("reason_code"):
                faq = ",".join(map(str, check.get("faq") or ()))
                self.finding.labels(check["id"], check["reason_code"], faq).set(1)

    def update(self, report: dict[str, Any], finished_at: float) -> None:
        """Set every metric from a report (the JSON contract's dict)."""
        self._findings(report)
        for check in report["checks"]:
            check_id, status = check["id"], check["status"]
            for candidate in STATUSES:
                self.check_status.labels(check_id, candidate).set(1 if candidate == status
                                                                  else 0)
            self.check_severity.labels(check_id).set(SEVERITY[status])
            self.check_duration.labels(check_id).set(check["duration_ms"] / 1000)
            rtt_ms = Timing.of(check["data"]).rtt_ms
            if rtt_ms is not None:
                self.rtt.labels(check_id).set(rtt_ms / 1000)
            if check_id in BEHAVIOR_CHECKS:
                found = BehaviorFacts.of(check["data"]).behavior
                for behavior in Behavior:
                    self.nat_behavior.labels(check_id, behavior.value).set(
                        1 if behavior is found else 0)
        registration = report.get("profile", {}).get("registration_time_s")
        self.registration.set(_number(registration))
        summary = report["summary"]
        self.ntp_offset.set(_number(summary.get("ntp_offset_s")))
        alg = summary.get("sip_alg")
        self.sip_alg.set(math.nan if alg is None else float(alg))
        media = summary.get("media") or {}
        jitter, loss = _number(media.get("jitter_ms")), _number(media.get("loss_pct"))
        self.media_jitter.set(jitter / 1000)
        self.media_loss.set(loss / 100)
        self.media_mos.set(_number(media.get("mos")))
        lifetime = summary.get("nat_lifetime_s")
        if lifetime is not None:
            self.lifetime_alive.set(_number(lifetime.get("alive")))
            self.lifetime_expired.set(_number(lifetime.get("expired")))
        self.last_run.set(finished_at)
        self.last_duration.set(report["duration_s"])
        for overall in REPORT_STATUSES:
            self.last_status.labels(overall.value).set(
                1 if overall.value == report["status"] else 0)
        self.runs.labels(report["status"]).inc()

    def run_failed(self) -> None:
        self.failures.inc()

    def text(self) -> str:
        """The exposition text (what a scrape returns)."""
        from prometheus_client import generate_latest

        return generate_latest(self.registry).decode("utf-8")


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else math.nan

"""The ``--json`` report, schema ``flexdiag.report/1`` (design.md; the JSON Schema in schema/)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from importlib import resources
from typing import Any, TypeVar

from flexdiag.facts import (
    AlgFacts,
    BehaviorFacts,
    Facts,
    LifetimeFacts,
    MediaPortsFacts,
    NtpFacts,
    QualityFacts,
    StunFacts,
    unmeasured,
)
from flexdiag.model import CheckResult, Plan, Report, Status, Step
from flexdiag.vocab import CheckId, Code

SCHEMA_ID = "flexdiag.report/1"


def load_schema() -> dict[str, Any]:
    """The JSON Schema that every report validates against."""
    text = resources.files("flexdiag").joinpath("schema/report.schema.json").read_text("utf-8")
    result: dict[str, Any] = json.loads(text)
    return result


def _check(check: CheckResult) -> dict[str, Any]:
    return {
        "id": check.id,
        "title": check.title,
        "status": check.status.value,
        "summary": check.summary,
        "advice": check.advice,
        "faq": list(check.faq),
        "duration_ms": check.duration_ms,
        "reason_code": check.code,
        "data": dict(check.data),
    }


def summary(report: Report) -> dict[str, Any]:
    """The top-level ``summary`` block: the headline facts, ``null`` where not measured."""
    F = TypeVar("F", bound=Facts)

    def facts(check_id: CheckId, kind: Callable[[Mapping[str, Any]], F]) -> F | None:
        check = report.get(check_id)
        return None if check is None else kind(check.data)

    stun = facts(CheckId.STUN_BINDING, StunFacts.of)
    mapping = facts(CheckId.NAT_MAPPING, BehaviorFacts.of)
    filtering = facts(CheckId.NAT_FILTERING, BehaviorFacts.of)
    alg = facts(CheckId.SIP_ALG, AlgFacts.of)
    ntp = facts(CheckId.NTP_OFFSET, NtpFacts.of)
    lifetime = report.get(CheckId.NAT_LIFETIME)
    bracket = LifetimeFacts.of(lifetime.data) if lifetime is not None else None
    return {
        "public_ip": stun.public_ip if stun else None,
        "nat": stun.nat if stun else None,
        "port_translation": stun.port_translation if stun else None,
        "mapping": mapping.behavior if mapping else None,
        "filtering": filtering.behavior if filtering else None,
        "sip_alg": alg.detected if alg else None,
        "nat_lifetime_s": (
            {"alive": bracket.alive_s, "expired": bracket.expired_s}
            if bracket is not None and lifetime is not None and lifetime.status is not Status.SKIP
            else None
        ),
        "ntp_offset_s": ntp.offset_s if ntp else None,
        "phone_settings": dict(report.plan.phone_settings),
        "media": _media(report),
    }


def _media(report: Report) -> dict[str, Any] | None:
    """The audio path's verdict and figures (``null``: not measured)."""
    quality, ports = report.get(CheckId.MEDIA_QUALITY), report.get(CheckId.MEDIA_PORTS)
    measured = [c for c in (quality, ports) if c is not None and not unmeasured(c.data)]
    if not measured:
        return None
    figures = (QualityFacts.of(quality.data) if quality is not None and quality in measured
               else None)
    return {"ports": MediaPortsFacts.of(ports.data).verdict
            if ports is not None and ports in measured else None,
            "quality": quality.status.value if figures and quality is not None else None,
            **{k: getattr(figures, k) if figures else None
               for k in ("rtt_ms", "jitter_ms", "loss_pct", "mos")}}


def _code(value: Any) -> Code | None:
    try:
        return Code(value)
    except ValueError:
        return None


def to_dict(report: Report) -> dict[str, Any]:
    """The report as the JSON contract describes it."""
    return {
        "schema": SCHEMA_ID,
        "version": report.version,
        "started_at": report.started_at,
        "duration_s": report.duration_s,
        "profile": dict(report.profile),
        "status": report.status.value,
        "summary": summary(report),
        "plan": [{"text": s.text, "faq": list(s.faq), "checks": list(s.checks)}
                 for s in report.plan.steps],
        "checks": [_check(c) for c in report.checks],
        "environment": dict(report.environment),
        "note": report.note,
    }


def from_dict(data: dict[str, Any]) -> Report:
    """The inverse of :func:`to_dict`."""
    plan = Plan(
        steps=tuple(Step(s["text"], tuple(s["faq"]), tuple(s["checks"]))
                    for s in data.get("plan", ())),
        phone_settings=dict(data["summary"].get("phone_settings") or {}))
    return Report(
        version=data["version"], started_at=data["started_at"],
        duration_s=data["duration_s"], profile=data["profile"],
        checks=tuple(CheckResult(
            id=c["id"], title=c["title"], status=Status(c["status"]), summary=c["summary"],
            data=c["data"], advice=c["advice"], faq=tuple(c["faq"]),
            duration_ms=c["duration_ms"], code=_code(c.get("reason_code")))
        for c in data["checks"]),
        plan=plan,
        environment=dict(data.get("environment") or {}),
        note=data.get("note") if isinstance(data.get("note"), str) else None,
    )


def render(report: dict[str, Any]) -> str:
    """A report dict (from :func:`to_dict`, possibly redacted) as indented JSON text."""
    return json.dumps(report, indent=2, ensure_ascii=False)

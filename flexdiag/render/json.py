"""The ``--json`` report, schema ``flexdiag.report/1`` (design.md; the JSON Schema in schema/)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from flexdiag.model import CheckResult, Plan, Report, Status, Step

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
        "data": dict(check.data),
    }


def summary(report: Report) -> dict[str, Any]:
    """The top-level ``summary`` block: the headline facts, ``null`` where not measured."""

    def value(check_id: str, key: str) -> Any:
        check = report.get(check_id)
        return None if check is None else check.data.get(key)

    lifetime = report.get("nat.lifetime")
    return {
        "public_ip": value("stun.binding", "public_ip"),
        "nat": value("stun.binding", "nat"),
        "port_translation": value("stun.binding", "port_translation"),
        "mapping": value("nat.mapping", "behavior"),
        "filtering": value("nat.filtering", "behavior"),
        "sip_alg": value("sip.alg", "detected"),
        "nat_lifetime_s": (
            {"alive": lifetime.data.get("alive_s"), "expired": lifetime.data.get("expired_s")}
            if lifetime is not None and lifetime.status is not Status.SKIP else None
        ),
        "ntp_offset_s": value("ntp.offset", "offset_s"),
        "phone_settings": dict(report.plan.phone_settings),
        "media": _media(report),
    }


def _media(report: Report) -> dict[str, Any] | None:
    """The audio path's verdict and figures (``null``: not measured)."""
    quality, ports = report.get("media.quality"), report.get("media.ports")
    measured = [c for c in (quality, ports)
                if c is not None and c.data.get("reason") != "not-measured"]
    if not measured:
        return None
    data = quality.data if quality is not None and quality in measured else {}
    return {"ports": ports.data.get("verdict") if ports is not None and ports in measured
            else None,
            "quality": quality.status.value if data and quality is not None else None,
            **{k: data.get(k) for k in ("rtt_ms", "jitter_ms", "loss_pct", "mos")}}


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
            duration_ms=c["duration_ms"]) for c in data["checks"]),
        plan=plan,
        environment=dict(data.get("environment") or {}),
    )


def render(report: dict[str, Any]) -> str:
    """A report dict (from :func:`to_dict`, possibly redacted) as indented JSON text."""
    return json.dumps(report, indent=2, ensure_ascii=False)

"""The Markdown report, ready to paste into a support ticket: a summary table, the findings
with advice, and the evidence of every check folded away in ``<details>``."""

from __future__ import annotations

import json
from typing import Any

from flexdiag.i18n import _, fmt, when
from flexdiag.model import Report, Status
from flexdiag.render.safe import escaped, fence, json_block, markdown_inline
from flexdiag.render.text import (
    PHONE_SETTINGS,
    call_timeline,
    faq_items,
    setting_value,
    status_word,
    unmeasured_line,
    verdict,
)

ICON = {Status.PASS: "✅", Status.SKIP: "➖", Status.WARN: "⚠️", Status.FAIL: "❌",
        Status.ERROR: "🛑"}


def render(report: Report) -> str:
    """Markdown text of a report."""
    from flexdiag.render.json import to_dict

    # Peers' text is literal inline text here; the evidence goes into a fenced block.
    safe = escaped(report, markdown_inline, evidence=False)
    return _render(to_dict(safe), _verdict(safe), call_timeline(report))


def _call(timeline: list[str]) -> list[str]:
    """The test call's timeline, as a code block (its lines are ours, aligned)."""
    if not timeline:
        return []
    text = "\n".join(timeline)
    marker = fence(text)
    return ["", "### " + _("Test call"), "", marker, text, marker]


def _render(report: dict[str, Any], headline: list[str],
            timeline: list[str] | None = None) -> str:
    sections = (_findings, _plan, _phone_settings, _environment, _summary, _details)
    return "\n".join([*_header(report, headline), *_call(timeline or []),
                      *(line for section in sections for line in section(report))])


def _verdict(report: Report) -> list[str]:
    """The verdict sentence and what this run left unmeasured, as the text report says them
    (flexdiag.render.text): first in the ticket, the lines support forwards."""
    lines = ["", f"**{status_word(report.status)}: {verdict(report)}**"]
    if report.unmeasured:
        lines += ["", f"**{unmeasured_line(report)}**"]
    return lines


def _header(report: dict[str, Any], headline: list[str]) -> list[str]:
    """Title, the verdict, the note, when, and the table of every check."""
    title = _("flexdiag report")
    started = fmt(_("Started {started_at}, took {duration:.1f} s, flexdiag {version}."),
               started_at=when(report["started_at"]), duration=float(report["duration_s"]),
               version=report["version"])
    columns = (_("Check"), _("Status"), _("Result"))
    lines = [f"## {title}: {status_word(report['status'])}", *headline]
    if report.get("note"):
        lines += ["", "> " + _("Note: {note}").format(note=report["note"])]
    lines += ["", started, "", "| " + " | ".join(columns) + " |", "|---|---|---|"]
    lines += [f"| `{c['id']}` | {ICON[Status(c['status'])]} {status_word(c['status']).lower()} "
              f"| {c['summary']} |"
              for c in report["checks"]]
    return lines


def _findings(report: dict[str, Any]) -> list[str]:
    """Each warning, failure and error with its advice and FAQ items."""
    findings = [c for c in report["checks"] if Status(c["status"]).rank > Status.PASS.rank]
    if not findings:
        return []
    lines = ["", "### " + _("Findings"), ""]
    for check in findings:
        lines.append(f"- **{check['title']}** (`{check['id']}`, "
                     f"{status_word(check['status']).lower()}): "
                     f"{check['summary']}")
        if check["advice"]:
            lines.append("  - " + _("What to do:") + " " + check["advice"])
        if check["faq"]:
            lines.append("  - " + faq_items(tuple(check["faq"])))
    return lines


def _plan(report: dict[str, Any]) -> list[str]:
    if not report["plan"]:
        return []
    return ["", "### " + _("What to do, in order"), "",
            *(f"{n}. {step['text']} (" + _("checks") + ": "
              + ", ".join(f"`{c}`" for c in step["checks"]) + ")"
              for n, step in enumerate(report["plan"], 1))]


def _phone_settings(report: dict[str, Any]) -> list[str]:
    """The same block as the text report's, as a table an installer copies from."""
    settings = report["summary"].get("phone_settings") or {}
    if not settings:
        return []
    return ["", "### " + _("Set on the phones"), "", "| | |", "|---|---|",
            *(f"| {_(PHONE_SETTINGS[k])} | {markdown_inline(setting_value(k, v))} |"
              for k, v in settings.items() if k in PHONE_SETTINGS)]


def _environment(report: dict[str, Any]) -> list[str]:
    env = report.get("environment") or {}
    if not env:
        return []
    return ["", "### " + _("Environment"), "", "| | |", "|---|---|",
            *(f"| {key} | {markdown_inline(' '.join(v) if isinstance(v, list) else str(v))} |"
              for key, v in env.items() if v is not None)]


def _summary(report: dict[str, Any]) -> list[str]:
    summary = {k: v for k, v in report["summary"].items() if v not in (None, {})}
    return ["", "### " + _("Summary"), "", "| | |", "|---|---|",
            *(f"| {key} | {markdown_inline(json.dumps(value, ensure_ascii=False))} |"
              for key, value in summary.items())]


def _details(report: dict[str, Any]) -> list[str]:
    """The evidence of every check and the profile, folded."""
    evidence = json_block(json.dumps({c["id"]: c["data"] for c in report["checks"]},
                                     indent=2, ensure_ascii=False))
    profile = json_block(json.dumps(report["profile"], indent=2, ensure_ascii=False))
    return ["", "<details><summary>" + _("Evidence of every check") + "</summary>", "",
            fence(evidence) + "json", evidence, fence(evidence), "", "</details>",
            "", "<details><summary>" + _("Profile") + "</summary>", "", fence(profile) + "json",
            profile, fence(profile), "", "</details>", ""]

"""The Markdown report, ready to paste into a support ticket: a summary table, the findings
with advice, and the evidence of every check folded away in ``<details>``."""

from __future__ import annotations

import json
from typing import Any

from flexdiag.i18n import _
from flexdiag.model import Report
from flexdiag.render.safe import fence, json_block, markdown_inline
from flexdiag.render.text import (
    PHONE_SETTINGS,
    READY_SO_FAR,
    UNMEASURED,
    UNMEASURED_ITEM,
    VERDICT_BY_NAME,
    faq_items,
    setting_value,
)

ICON = {"pass": "✅", "skip": "➖", "warn": "⚠️", "fail": "❌", "error": "🛑"}


def render(report: Report) -> str:
    """Markdown text of a report."""
    from flexdiag.render.json import to_dict
    from flexdiag.render.safe import escaped, markdown_inline

    # Peers' text is literal inline text here; the evidence goes into a fenced block.
    return _render(to_dict(escaped(report, markdown_inline, evidence=False)))


def _render(report: dict[str, Any]) -> str:
    title = _("flexdiag report")
    when = _("Started {started_at}, took {duration:.1f} s, flexdiag {version}.").format(
        started_at=report["started_at"], duration=report["duration_s"],
        version=report["version"])
    columns = (_("Check"), _("Status"), _("Result"))
    lines = [
        f"## {title}: {report['status'].upper()}",
        "",
        when,
        "",
        "| " + " | ".join(columns) + " |",
        "|---|---|---|",
    ]
    for check in report["checks"]:
        summary = check["summary"]
        lines.append(f"| `{check['id']}` | {ICON[check['status']]} {check['status']} | "
                     f"{summary} |")
    findings = [c for c in report["checks"] if c["status"] in ("warn", "fail", "error")]
    if findings:
        lines += ["", "### " + _("Findings"), ""]
        for check in findings:
            lines.append(f"- **{check['title']}** (`{check['id']}`, {check['status']}): "
                         f"{check['summary']}")
            if check["advice"]:
                lines.append("  - " + _("What to do:") + " " + check["advice"])
            if check["faq"]:
                lines.append("  - " + faq_items(tuple(check["faq"])))
    if report["plan"]:
        lines += ["", "### " + _("What to do, in order"), ""]
        lines += [f"{n}. {step['text']} (" + _("checks") + ": "
                  + ", ".join(f"`{c}`" for c in step["checks"]) + ")"
                  for n, step in enumerate(report["plan"], 1)]
    settings = report["summary"].get("phone_settings") or {}
    if settings:
        # The same block as the text report's, as a table an installer copies from.
        lines += ["", "### " + _("Set on the phones"), "", "| | |", "|---|---|"]
        lines += [f"| {_(PHONE_SETTINGS[k])} | {markdown_inline(setting_value(k, v))} |"
                  for k, v in settings.items() if k in PHONE_SETTINGS]
    unmeasured = [_(UNMEASURED_ITEM).format(
        title=c["title"], faq=", ".join(map(str, c["faq"])),
        command=c["data"].get("measure_with", "flexdiag run"))
        for c in report["checks"] if c["data"].get("reason") == "not-measured"]
    if report["status"] == "pass":
        lines += ["", "**" + (_(READY_SO_FAR) if unmeasured
                              else _(VERDICT_BY_NAME["pass"])) + "**"]
    if unmeasured:
        lines += ["", "**" + _(UNMEASURED).format(titles="; ".join(unmeasured)) + "**"]
    env = report.get("environment") or {}
    if env:
        lines += ["", "### " + _("Environment"), "", "| | |", "|---|---|"]
        lines += [f"| {key} | {markdown_inline(' '.join(v) if isinstance(v, list) else str(v))} |"
                  for key, v in env.items() if v is not None]
    summary = {k: v for k, v in report["summary"].items() if v not in (None, {})}
    lines += ["", "### " + _("Summary"), "", "| | |", "|---|---|"]
    lines += [f"| {key} | {markdown_inline(json.dumps(value, ensure_ascii=False))} |"
              for key, value in summary.items()]
    evidence = json_block(json.dumps({c["id"]: c["data"] for c in report["checks"]},
                                     indent=2, ensure_ascii=False))
    profile = json_block(json.dumps(report["profile"], indent=2, ensure_ascii=False))
    lines += ["", "<details><summary>" + _("Evidence of every check") + "</summary>", "",
              fence(evidence) + "json", evidence, fence(evidence), "", "</details>",
              "", "<details><summary>" + _("Profile") + "</summary>", "", fence(profile) + "json",
              profile, fence(profile), "", "</details>", ""]
    return "\n".join(lines)

"""One escaping rule per output format for text that peers choose (pure).

Summaries and evidence quote what servers sent: a SIP reason phrase, a STUN SOFTWARE string, a
DNS name. On a terminal that text must not act (ANSI escapes that clear the screen or set the
window title, rich markup); in Markdown it must not become markup (HTML, a table cell break, a
heading on a new line, the end of a code fence). JSON needs nothing: its encoder escapes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from flexdiag.model import Report

# C0 controls but tab, DEL, and the C1 controls (0x9b is a one-byte CSI on some terminals).
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
_MARKDOWN_SPECIAL = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "\\|",
                                   "`": "\\`", "*": "\\*", "_": "\\_", "[": "\\[", "]": "\\]",
                                   "#": "\\#"})
_BACKTICKS = re.compile(r"`+")


def printable(text: str) -> str:
    """``text`` with control characters shown as escapes (``\\x1b``), for a terminal."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def markdown_inline(text: str) -> str:
    """``text`` as literal Markdown inline text: one line, no HTML, no markup."""
    return printable(text.replace("\r\n", " ").replace("\n", " ")).translate(_MARKDOWN_SPECIAL)


_JSON_CONTROL = re.compile(r"[\x7f-\x9f]")


def json_block(text: str) -> str:
    """JSON text for a code block: the controls its encoder leaves raw (DEL, C1) escaped as
    ``\\u00XX``, so the block stays valid JSON and inert on a terminal."""
    return _JSON_CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def fence(content: str) -> str:
    """A backtick fence longer than any backtick run in ``content`` (CommonMark §4.5)."""
    longest = max((len(run) for run in _BACKTICKS.findall(content)), default=0)
    return "`" * max(3, longest + 1)


def escaped(report: Report, rule: Callable[[str], str], *, evidence: bool = True) -> Report:
    """The report with ``rule`` applied to every string a peer could have put there: titles,
    summaries, advice, the plan's steps and (unless ``evidence`` is false, for a format that
    quotes it in a code block) the evidence's keys and values."""

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return rule(value)
        if isinstance(value, Mapping):
            return {rule(str(k)): walk(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [walk(v) for v in value]
        return value

    checks = tuple(replace(c, title=rule(c.title), summary=rule(c.summary),
                           advice=None if c.advice is None else rule(c.advice),
                           data=walk(c.data) if evidence else c.data) for c in report.checks)
    steps = tuple(replace(s, text=rule(s.text)) for s in report.plan.steps)
    return replace(report, checks=checks, plan=replace(report.plan, steps=steps),
                   note=None if report.note is None else rule(report.note))

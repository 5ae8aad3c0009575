"""Bounds on evidence (pure): what a peer chooses to send cannot grow a report without limit.

A STUN SOFTWARE attribute, a SIP reason phrase or a DNS answer is whatever the server sends:
65 KB of text or 3,500 addresses would otherwise be copied whole into every report, ticket and
history row. The runner bounds every finding once, here:

- a string longer than :data:`MAX_TEXT` characters keeps its start and says how much was cut;
- a list longer than :data:`MAX_ITEMS` keeps its first items, and the dict holding it gets a
  sibling key ``<key>_omitted`` with the number left out (so that a list of addresses still
  holds only addresses);
- a summary or advice line is cut at :data:`MAX_LINE` characters.

Nesting deeper than :data:`MAX_DEPTH` is replaced by a note. All documented in
docs/json-reference.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_TEXT = 256  # characters of one evidence string
MAX_ITEMS = 32  # entries of one evidence list
MAX_LINE = 600  # characters of a summary or advice line
MAX_DEPTH = 6


def bound_text(text: str, limit: int = MAX_TEXT) -> str:
    """``text``, cut to ``limit`` characters with a note of how many were cut."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [{len(text) - limit} more characters]"


def bound(value: Any, depth: int = 0) -> Any:
    """Evidence with every string, list and nesting level bounded."""
    if depth > MAX_DEPTH:
        return "[nested too deep]"
    if isinstance(value, str):
        return bound_text(value)
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if isinstance(item, list | tuple) and len(item) > MAX_ITEMS:
                out[f"{key}_omitted"] = len(item) - MAX_ITEMS
                item = item[:MAX_ITEMS]
            out[key] = bound(item, depth + 1)
        return out
    if isinstance(value, list | tuple):
        return [bound(item, depth + 1) for item in value[:MAX_ITEMS]]
    return value

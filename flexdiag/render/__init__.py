"""Renderers: pure functions of a :class:`~flexdiag.model.Report`. They look, never decide."""

from __future__ import annotations

import enum
from typing import Any


class Format(enum.Enum):
    """Output formats of ``flexdiag run``."""

    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"


def render(report: dict[str, Any], fmt: Format, *, verbose: bool = False) -> str:
    """The report (the JSON contract's dict, possibly redacted) in format ``fmt``."""
    if fmt is Format.JSON:
        from flexdiag.render import json

        return json.render(report) + "\n"
    if fmt is Format.MARKDOWN:
        from flexdiag.render import markdown

        return markdown.render(report)
    import io

    from flexdiag.render import json as json_render
    from flexdiag.render import text

    buffer = io.StringIO()
    text.render(json_render.from_dict(report), buffer, verbose=verbose)
    return buffer.getvalue()

"""Renderers: pure functions of a typed :class:`~flexdiag.model.Report`. They look, never
decide. One registry maps each :class:`Format` to its renderer; a test proves it exhaustive."""

from __future__ import annotations

import enum
from collections.abc import Callable

from flexdiag.model import Report


class Format(enum.Enum):
    """Output formats of ``flexdiag run``."""

    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"


def _text(report: Report, verbose: bool) -> str:
    import io

    from flexdiag.render import text

    buffer = io.StringIO()
    text.render(report, buffer, verbose=verbose)
    return buffer.getvalue()


def _json(report: Report, verbose: bool) -> str:
    from flexdiag.render import json

    return json.render(json.to_dict(report)) + "\n"


def _markdown(report: Report, verbose: bool) -> str:
    from flexdiag.render import markdown

    return markdown.render(report)


Renderer = Callable[[Report, bool], str]
RENDERERS: dict[Format, Renderer] = {
    Format.TEXT: _text,
    Format.JSON: _json,
    Format.MARKDOWN: _markdown,
}


def render(report: Report, fmt: Format, *, verbose: bool = False) -> str:
    """The report in format ``fmt`` (``verbose`` adds evidence where the format hides it)."""
    return RENDERERS[fmt](report, verbose)

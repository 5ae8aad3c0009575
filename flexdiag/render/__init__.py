"""Renderers: pure functions of a :class:`~flexdiag.model.Report`. They look, never decide."""

from __future__ import annotations

import enum


class Format(enum.Enum):
    """Output formats of ``flexdiag run``."""

    TEXT = "text"
    JSON = "json"

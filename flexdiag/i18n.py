"""Languages: English (the message ids) and Dutch, through Python's gettext.

Every user-facing text lives in one catalogue: the English strings in :mod:`flexdiag.advice`
and the renderers are the message ids, ``locale/nl/LC_MESSAGES/flexdiag.po`` translates them,
and the build compiles it to ``.mo`` (Babel, in ``setup.py``). JSON keys, check ids and status
values never change with the language.

Adding or changing a message: write the English text where it is used (``advice.MESSAGES``, or
``_("...")`` in a renderer), then add its ``msgid``/``msgstr`` to the ``.po``;
``tests/test_i18n.py`` lists every message missing or stale there.
"""

from __future__ import annotations

import gettext
import string
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DOMAIN = "flexdiag"
LANGUAGES = ("en", "nl")
LOCALE_DIR = Path(__file__).parent / "locale"

_active: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"
# How each language writes a number's decimal part (CLDR: Dutch "2,5 s", English "2.5 s").
DECIMAL = {"en": ".", "nl": ","}


class LanguageError(ValueError):
    """An unknown language, or a catalogue that was not compiled; one line."""


def default_language(env: Mapping[str, str]) -> str:
    """``nl`` when the locale says Dutch (LC_ALL, LC_MESSAGES, LANG, LANGUAGE), else ``en``."""
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = env.get(variable, "")
        if value:
            return "nl" if value.lower().startswith("nl") else "en"
    return "en"


def activate(language: str) -> None:
    """Use ``language`` for every text produced from now on."""
    global _active, _language
    if language not in LANGUAGES:
        raise LanguageError(f"unknown language {language!r}; choose from {', '.join(LANGUAGES)}")
    if language == "en":
        _active, _language = gettext.NullTranslations(), "en"
        return
    # Read through importlib.resources, not a path: it works from a wheel, a checkout and a
    # zipapp (flexdiag.pyz) alike, where gettext's own lookup needs a directory.
    from importlib import resources

    catalogue = resources.files("flexdiag").joinpath(
        f"locale/{language}/LC_MESSAGES/{DOMAIN}.mo")
    try:
        data = catalogue.read_bytes()
    except OSError:
        raise LanguageError(f"the {language} catalogue is not compiled (reinstall flexdiag: "
                            "pip install .)") from None
    import io

    _active = gettext.GNUTranslations(io.BytesIO(data))
    _language = language


def language() -> str:
    """The active language."""
    return _language


class _Localised(string.Formatter):
    """``str.format`` with numbers written as the active language writes them: a fraction's
    decimal separator (2,5 s in Dutch). Addresses, ports and codes are ints or strings and
    stay as they are."""

    def format_field(self, value: Any, format_spec: str) -> str:
        text: str = super().format_field(value, format_spec)
        if isinstance(value, float) and _language != "en":
            return text.replace(".", DECIMAL[_language])
        return text


_FORMATTER = _Localised()


MONTHS_NL = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
             "september", "oktober", "november", "december")


def when(iso: str) -> str:
    """A report's UTC start time as the active language writes a date: ISO 8601 in English,
    "6 december 2026, 10:00 UTC" in Dutch; anything else as it is. (Parsed by hand: this
    layer reads no clock, not even datetime.)"""
    import re

    parts = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}:\d{2})(?::\d{2})?Z", iso)
    if _language != "nl" or parts is None or not 1 <= int(parts[2]) <= 12:
        return iso
    year, month, day, clock = parts.groups()
    return f"{int(day)} {MONTHS_NL[int(month) - 1]} {year}, {clock} UTC"


def fmt(template: str, /, **fields: Any) -> str:
    """``template.format(**fields)``, numbers in the active language's way."""
    return _FORMATTER.format(template, **fields)


def _(message: str) -> str:
    """The message in the active language."""
    return _active.gettext(message)

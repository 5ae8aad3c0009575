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
from collections.abc import Mapping
from pathlib import Path

DOMAIN = "flexdiag"
LANGUAGES = ("en", "nl")
LOCALE_DIR = Path(__file__).parent / "locale"

_active: gettext.NullTranslations = gettext.NullTranslations()


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
    global _active
    if language not in LANGUAGES:
        raise LanguageError(f"unknown language {language!r}; choose from {', '.join(LANGUAGES)}")
    if language == "en":
        _active = gettext.NullTranslations()
        return
    try:
        _active = gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[language])
    except OSError:
        raise LanguageError(f"the {language} catalogue is not compiled (reinstall flexdiag: "
                            "pip install .)") from None


def _(message: str) -> str:
    """The message in the active language."""
    return _active.gettext(message)

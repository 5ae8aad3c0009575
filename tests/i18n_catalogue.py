"""Every English message id flexdiag can show: the advice catalogue, check titles, verdicts,
SIP code explanations, and every literal ``_("...")`` call in the package (found with Babel's
Python extractor)."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "flexdiag"


def message_ids() -> set[str]:
    from babel.messages.extract import extract_from_file

    from flexdiag import advice, sipcodes
    from flexdiag.codec.sip import CLASS_NAMES
    from flexdiag.net.udp import ERROR_TEXT
    from flexdiag.render import text

    ids = set(advice.MESSAGES.values()) | set(advice.TITLES.values())
    ids |= set(advice.BEHAVIOR_NAMES.values())
    ids |= set(text.VERDICT.values()) | set(text.PHONE_SETTINGS.values()) | {text.UNMEASURED}
    ids |= {text.UNMEASURED_ITEM, text.READY_SO_FAR, text.KEEPALIVE_NEEDED, "off"}
    ids |= set(text.OFF.values()) | set(text.STATUS_WORD.values())
    ids |= set(CLASS_NAMES.values()) | set(ERROR_TEXT.values())
    for texts in sipcodes.CLASS_TEXT.values():
        ids |= set(texts)
    for pair in sipcodes.CODE_TEXT.values():
        ids |= set(pair)
    ids |= set(sipcodes.MEANING.values())
    for path in PACKAGE.rglob("*.py"):
        for _lineno, message, _comments, _context in extract_from_file(
                "python", str(path), keywords={"_": None}):
            if isinstance(message, str):
                ids.add(message)
    return {i for i in ids if i}

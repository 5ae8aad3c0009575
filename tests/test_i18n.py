"""The catalogue: every message in English and Dutch, placeholders intact, and language never
changing JSON keys, ids or enums."""

from __future__ import annotations

import json
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po

from flexdiag import i18n
from flexdiag.cli import main
from tests.fakes import platform_in_thread, sip_handler
from tests.i18n_catalogue import message_ids

PO = Path(i18n.LOCALE_DIR) / "nl" / "LC_MESSAGES" / "flexdiag.po"


def catalogue() -> dict[str, str]:
    with open(PO, "rb") as handle:
        return {str(m.id): str(m.string) for m in read_po(handle) if m.id}


def fields(text: str) -> list[str]:
    return sorted(f for _, f, _, _ in string.Formatter().parse(text) if f)


def test_no_message_is_missing_in_dutch() -> None:
    nl = catalogue()
    ids = message_ids()
    missing = sorted(i for i in ids if not nl.get(i))
    stale = sorted(i for i in nl if i not in ids)
    assert not missing, f"add to {PO}: {missing}"
    assert not stale, f"remove from {PO}: {stale}"


def test_translations_keep_their_placeholders() -> None:
    for msgid, msgstr in catalogue().items():
        assert fields(msgid) == fields(msgstr), msgid


@pytest.fixture
def dutch() -> Iterator[None]:
    i18n.activate("nl")
    try:
        yield
    finally:
        i18n.activate("en")


def test_the_compiled_catalogue_is_used(dutch: None) -> None:
    from flexdiag import advice

    assert advice.title("dns.voip") == "DNS: SIP-server"
    assert advice.title("sip.udp.5060") == "SIP OPTIONS via UDP-poort 5060"


@pytest.mark.parametrize(("env", "expected"), [
    ({"LANG": "nl_NL.UTF-8"}, "nl"), ({"LC_ALL": "nl_BE"}, "nl"), ({"LANG": "en_GB"}, "en"),
    ({}, "en"), ({"LC_ALL": "C", "LANG": "nl_NL"}, "en"),
])
def test_default_language_from_locale(env: dict[str, str], expected: str) -> None:
    assert i18n.default_language(env) == expected


def run_json(argv: list[str], capsys: Any) -> dict[str, Any]:
    with pytest.raises(SystemExit):
        main(argv)
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def shape(value: Any) -> Any:
    """Keys and non-text values: what must not change with the language."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items() if k not in ("summary", "advice", "title")
                or not isinstance(v, str | None)}
    if isinstance(value, list):
        return [shape(v) for v in value]
    return value if not isinstance(value, str) else "<text>"


def test_language_changes_text_not_keys(capsys: Any, validate_report: Any) -> None:
    with platform_in_thread(sip_h=[sip_handler(silent=True), sip_handler()]) as fake:
        args = ["run", "--quick", "--json", *fake.args()]
        english = run_json([*args, "--lang", "en"], capsys)
        dutch = run_json([*args, "--lang", "nl"], capsys)
    i18n.activate("en")
    validate_report(dutch)
    assert [c["id"] for c in english["checks"]] == [c["id"] for c in dutch["checks"]]
    assert [c["status"] for c in english["checks"]] == [c["status"] for c in dutch["checks"]]
    assert set(english) == set(dutch) and set(english["summary"]) == set(dutch["summary"])
    silent = next(c for c in dutch["checks"] if c["status"] == "fail")
    assert silent["summary"].startswith("geen SIP-antwoord")
    assert "het platform luistert op " in silent["advice"]  # the plan's step, in Dutch
    assert dutch["checks"][1]["title"] == "DNS: SIP-server"
    # The evidence's sentences are in the report's language too; its keys and values are not.
    alg = next(c for c in dutch["checks"] if c["id"] == "sip.alg")
    assert alg["data"]["evidence"] and all(e.startswith("poort ") for e in alg["data"]["evidence"]
                                           if not e.startswith("geen"))


def test_the_catalogue_compiles_with_standard_tooling(tmp_path: Path) -> None:
    # Issue #27: the header was marked fuzzy (pybabel compile skipped the catalogue), and
    # "95 % under" read as a %-placeholder that the Dutch did not match.
    import shutil
    import subprocess

    pybabel = shutil.which("pybabel")
    if pybabel is None:
        pytest.skip("pybabel is not installed (pip install -e '.[test]')")
    po = Path(__file__).parent.parent / "flexdiag" / "locale" / "nl" / "LC_MESSAGES"
    result = subprocess.run([pybabel, "compile", "-i", str(po / "flexdiag.po"), "-o",
                             str(tmp_path / "flexdiag.mo")], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "fuzzy" not in result.stderr + result.stdout
    assert (tmp_path / "flexdiag.mo").stat().st_size > 10_000


# docs/glossary-nl.md: the variants the Dutch catalogue must not use (outside quotes, where a
# router's own menu name may be quoted as it is).
NOT_GLOSSARY = [r"\bmappings?\b", r"NAT-mapping", r"NAT-entr", r"registratietijd", r"SIP ALG",
                r"poorttranslatie", r"port translation", r"port mapping", r"port forward",
                r"endpoint-independent", r"\btimeout", r"\bbewijs\b", r"(?<![\w-])vertaling\b",
                r"worden afgebroken"]


def test_the_dutch_catalogue_uses_only_glossary_terms() -> None:
    import re

    from babel.messages.pofile import read_po

    po = Path(__file__).parent.parent / "flexdiag" / "locale" / "nl" / "LC_MESSAGES"
    with (po / "flexdiag.po").open("rb") as f:
        catalog = read_po(f)
    found = []
    for message in catalog:
        if not message.id or not isinstance(message.string, str):
            continue
        text = re.sub(r"'[^']*'", "''", message.string)  # a router's quoted menu names
        found += [(pattern, message.string[:80]) for pattern in NOT_GLOSSARY
                  if re.search(pattern, text, re.IGNORECASE)]
    assert found == []
    glossary = (Path(__file__).parent.parent / "docs" / "glossary-nl.md").read_text()
    for term in ("NAT-koppeling", "registratie-interval", "SIP-ALG", "metingen"):
        assert term in glossary


def test_dutch_numbers_have_a_decimal_comma() -> None:
    from flexdiag import advice
    from flexdiag.i18n import activate, fmt

    activate("nl")
    try:
        assert advice.seconds_or_unknown(2.5) == "2,5 s"
        assert fmt("{x:.1f} s, {p} poort, {ip}", x=30.0, p=5060, ip="198.51.100.1") == (
            "30,0 s, 5060 poort, 198.51.100.1")
    finally:
        activate("en")
    assert advice.seconds_or_unknown(2.5) == "2.5 s"

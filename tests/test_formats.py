"""Report formats (text, JSON, Markdown), --output, --redact, --quiet, --verbose, and the SIP
code explainer."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from flexdiag.codec.sip import RESPONSE_CODES
from flexdiag.model import Report
from flexdiag.render import Format
from flexdiag.render.redact import redact_dict
from tests.commands import in_process
from tests.fakes import platform_in_thread, stun_handler


def test_every_format_is_wired() -> None:
    from flexdiag.render import RENDERERS, render

    report = Report("0", "2026-11-25T10:00:00Z", 1.0, {}, ())
    assert set(RENDERERS) == set(Format)  # a new format without a renderer fails here
    for fmt in Format:
        assert render(report, fmt)


def test_markdown_ticket(capsys: Any, tmp_path: Path) -> None:
    target = tmp_path / "ticket.md"
    with platform_in_thread(stun_h=stun_handler(port_shift=3)) as fake:
        code, out, err = in_process(["run", "--quick", "--format", "markdown", "--output",
                                     str(target),
                              *fake.args()], capsys)
    text = target.read_text()
    assert code == 1 and out == "" and err.startswith("WARN: ")  # summary line on stderr
    assert text.startswith("## flexdiag report: WARN")
    assert "| `stun.binding` | ⚠️ warn |" in text
    assert "### Findings" in text and "What to do:" in text
    assert "<details><summary>Evidence of every check</summary>" in text


def test_quiet_and_verbose(capsys: Any) -> None:
    with platform_in_thread() as fake:
        code, quiet, _ = in_process(["run", "--quick", "--quiet", *fake.args()], capsys)
        _, verbose, _ = in_process(["run", "--quick", "--verbose", *fake.args()], capsys)
    assert code == 0 and quiet.count("\n") == 1 and quiet.startswith("PASS: ")
    assert "Evidence" in verbose and "via_rport:" in verbose
    assert "\x1b[" not in verbose  # no colours when not on a terminal


def test_redact_removes_the_customers_addresses_and_keeps_the_platforms(
        capsys: Any, validate_report: Any) -> None:
    with platform_in_thread(stun_h=stun_handler(public_ip="198.51.100.7")) as fake:
        _, out, _ = in_process(["run", "--quick", "--json", "--redact", *fake.args()], capsys)
    report = validate_report(json.loads(out))
    text = json.dumps(report)
    assert "198.51.100.7" not in text  # the customer's public address
    assert report["summary"]["public_ip"] == "[public-ip-1]"
    assert report["profile"]["sip_server"] == "voip.test.invalid"  # the platform's name stays
    assert "127.0.0.1" in text  # loopback: nobody's identifier
    assert [c["id"] for c in report["checks"]][:4] == ["host.network", "dns.voip", "dns.stun",
                                                       "dns.ntp"]


def test_redacted_dns_hijack_keeps_the_wrong_answer_and_drops_the_customer() -> None:
    report = {"schema": "flexdiag.report/1", "version": "0", "started_at": "x",
              "status": "warn", "duration_s": 0,
              "profile": {"sip_server": "voip.gntel.nl", "stun_server": "stun.gntel.nl:3478",
                          "platform_ranges": ["194.140.246.0/24", "91.215.4.0/22"]},
              "summary": {"public_ip": "198.51.100.7"},
              "environment": {"argv": ["run", "--quick", "--output", "/home/jan/ticket.md"],
                              "local_ip": "192.168.1.20", "gateway_ip": "192.168.1.1"},
              "checks": [
                  {"id": "dns.voip", "status": "warn", "faq": [1, 4], "duration_ms": 1,
                   "title": "t", "advice": "The platform's servers live in 194.140.246.0/24.",
                   "summary": "voip.gntel.nl resolves to 203.0.113.66, outside the platform "
                              "ranges 194.140.246.0/24, 91.215.4.0/22.",
                   "data": {"addresses": ["203.0.113.66"]}},
                  {"id": "stun.binding", "status": "warn", "faq": [4], "duration_ms": 1,
                   "title": "t", "advice": None,
                   "summary": "local 192.168.1.20:40000 appears as 198.51.100.7:61022.",
                   "data": {"mapped": "198.51.100.7:61022", "local": "192.168.1.20:40000",
                            "mappings": ["192.168.1.20:40001 -> 198.51.100.7:61022"]}}]}
    out = redact_dict(report)
    text = json.dumps(out)
    dns, stun = out["checks"]
    assert dns["summary"] == ("voip.gntel.nl resolves to 203.0.113.66, outside the platform "
                              "ranges 194.140.246.0/24, 91.215.4.0/22.")  # a trailing "." too
    assert "198.51.100.7" not in text and "192.168.1." not in text and "61022" not in text
    assert stun["data"]["mapped"] == "[public-ip-1]:[port-1]"
    assert stun["data"]["mappings"] == ["[lan-ip-1]:40001 -> [public-ip-1]:[port-1]"]
    assert out["environment"]["argv"] == ["run", "--quick", "--output", "[path]"]
    assert out["environment"]["gateway_ip"] == "[lan-ip-2]"


@pytest.mark.parametrize("code", sorted(RESPONSE_CODES))
def test_explain_every_faq_code(capsys: Any, code: int) -> None:
    status, out, _ = in_process(["explain", str(code)], capsys)
    lines = out.splitlines()
    assert status == 0
    assert lines[0].startswith(f"{code} {RESPONSE_CODES[code]} ({code // 100}xx ")
    assert [line.split(":")[0] for line in lines[1:4]] == ["Meaning", "Typical cause",
                                                            "What to check"]
    assert "not in the platform FAQ" not in out


@pytest.mark.parametrize(("arg", "expected"), [("499", 0), ("699", 0), ("42", 3), ("abc", 3),
                                               ("", 3), ("4o4", 3)])
def test_explain_other_input(capsys: Any, arg: str, expected: int) -> None:
    status, out, err = in_process(["explain", arg], capsys)
    assert status == expected
    if expected == 3:
        assert err.startswith("flexdiag: error:") and err.count("\n") == 1
    else:
        assert "not in the platform FAQ" in out


def test_bad_format_and_language(capsys: Any) -> None:
    assert in_process(["run", "--quick", "--format", "pdf"], capsys)[0] == 3
    assert in_process(["run", "--quick", "--lang", "fr"], capsys)[0] == 3


def test_every_faq_code_has_its_own_meaning_and_unknown_ones_are_said_unknown(
        capsys: Any) -> None:
    meanings = set()
    for code in RESPONSE_CODES:
        _, out, _ = in_process(["explain", str(code)], capsys)
        meanings.add(out.splitlines()[1])
    assert len(meanings) == len(RESPONSE_CODES)  # no code falls back to its class's line
    _, out, _ = in_process(["explain", "499"], capsys)
    assert out.startswith("499 (not a code the platform FAQ lists) (4xx ")


def test_a_ticket_starts_with_the_verdict_and_carries_the_note(capsys: Any,
                                                               validate_report: Any) -> None:
    # Issue #27: the lines support forwards (the verdict, the phone settings) first, and the
    # installer's own note in every format, escaped.
    note = "Amsterdam *office*\n\x1b[31m meter cupboard"
    with platform_in_thread(stun_h=stun_handler(port_shift=3)) as fake:
        _, markdown, _ = in_process(["run", "--quick", "--format", "markdown", "--note", note,
                                     *fake.args()], capsys)
        _, text, _ = in_process(["run", "--quick", "--note", note, *fake.args()], capsys)
        _, out, _ = in_process(["run", "--quick", "--json", "--note", note, *fake.args()],
                               capsys)
    lines = markdown.splitlines()
    assert lines[0] == "## flexdiag report: WARN"
    assert lines[2].startswith("**WARN: Usable, with warnings")
    assert lines[4].startswith("**Not measured: ")
    assert r"> Note: Amsterdam \*office\*" in markdown and "\x1b" not in markdown
    assert "### Set on the phones" in markdown and "| STUN server |" in markdown
    assert text.splitlines()[0].startswith("WARN: Usable, with warnings")
    assert text.splitlines()[1].startswith("Note: Amsterdam *office*") and "\x1b" not in text
    report = validate_report(json.loads(out))
    assert report["note"] == "Amsterdam *office* \x1b[31m meter cupboard"  # one line


def test_piped_text_has_no_trailing_spaces_and_advice_hangs_under_its_label(
        capsys: Any) -> None:
    # Issue #27: 35 of 54 lines were padded to 80 columns; wrapped advice went back to column
    # 0; the "(0.3 s)" wrapped alone after the verdict.
    with platform_in_thread(stun_h=stun_handler(port_shift=3)) as fake:
        _, text, _ = in_process(["run", "--quick", *fake.args()], capsys)
    lines = text.splitlines()
    assert lines and all(line == line.rstrip() for line in lines)
    start = next(i for i, line in enumerate(lines) if "What to do:" in line)
    indent = lines[start].index("What to do:") + len("What to do: ")
    follow = lines[start + 1]
    assert follow.startswith(" " * indent) and follow.strip(), lines[start:start + 2]
    assert any(re.fullmatch(r"\(\d+\.\d s\).*", line) for line in lines)


def test_explain_json_and_usage_errors_point_at_the_commands_own_help(capsys: Any) -> None:
    code, out, _ = in_process(["explain", "408", "--json"], capsys)
    explained = json.loads(out)
    assert code == 0 and explained["code"] == 408 and explained["in_faq"] is True
    assert set(explained) == {"code", "phrase", "class", "in_faq", "meaning", "cause", "check"}
    code, _, err = in_process(["explain", "1", "2"], capsys)
    assert code == 3 and "(see 'flexdiag explain --help')" in err
    code, _, err = in_process(["explain", "42"], capsys)
    assert code == 3 and "see 'flexdiag explain --help'" in err
    _, shown, _ = in_process(["history", "--help"], capsys)
    assert shown.count("[default: 20]") == 1

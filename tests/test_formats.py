"""Report formats (text, JSON, Markdown), --output, --redact, --quiet, --verbose, and the SIP
code explainer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from flexdiag.cli import main
from flexdiag.codec.sip import RESPONSE_CODES
from flexdiag.model import Report
from flexdiag.render import Format
from flexdiag.render.redact import redact_dict
from tests.fakes import platform_in_thread, stun_handler


def cli(argv: list[str], capsys: Any) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(argv)
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def test_every_format_is_wired() -> None:
    from flexdiag.render import RENDERERS, render

    report = Report("0", "2026-11-25T10:00:00Z", 1.0, {}, ())
    assert set(RENDERERS) == set(Format)  # a new format without a renderer fails here
    for fmt in Format:
        assert render(report, fmt)


def test_markdown_ticket(capsys: Any, tmp_path: Path) -> None:
    target = tmp_path / "ticket.md"
    with platform_in_thread(stun_h=stun_handler(port_shift=3)) as fake:
        code, out, err = cli(["run", "--format", "markdown", "--output", str(target),
                              *fake.args()], capsys)
    text = target.read_text()
    assert code == 1 and out == "" and err.startswith("WARN: ")  # summary line on stderr
    assert text.startswith("## flexdiag report: WARN")
    assert "| `stun.binding` | ⚠️ warn |" in text
    assert "### Findings" in text and "What to do:" in text
    assert "<details><summary>Evidence of every check</summary>" in text


def test_quiet_and_verbose(capsys: Any) -> None:
    with platform_in_thread() as fake:
        code, quiet, _ = cli(["run", "--quiet", *fake.args()], capsys)
        _, verbose, _ = cli(["run", "--verbose", *fake.args()], capsys)
    assert code == 0 and quiet.count("\n") == 1 and quiet.startswith("PASS: ")
    assert "Evidence" in verbose and "via_rport:" in verbose
    assert "\x1b[" not in verbose  # no colours when not on a terminal


def test_redact_removes_public_addresses_and_names(capsys: Any, validate_report: Any) -> None:
    with platform_in_thread(stun_h=stun_handler(public_ip="198.51.100.7")) as fake:
        _, out, _ = cli(["run", "--json", "--redact", *fake.args()], capsys)
    report = validate_report(json.loads(out))
    text = json.dumps(report)
    assert "198.51.100.7" not in text and "test.invalid" not in text
    assert report["summary"]["public_ip"] == "[public-ip-1]"
    assert report["profile"]["sip_server"].startswith("[host-")
    assert "127.0.0.1" in text  # loopback/private addresses stay: support needs them
    assert [c["id"] for c in report["checks"]][:3] == ["dns.voip", "dns.stun", "dns.ntp"]


def test_redact_is_consistent() -> None:
    report = {"schema": "flexdiag.report/1", "version": "0", "started_at": "x",
              "status": "pass", "duration_s": 0,
              "profile": {"sip_server": "voip.example.com", "stun_server": "stun.example.com:3478"},
              "summary": {"public_ip": "203.0.113.5"},
              "checks": [{"id": "a.b", "status": "pass", "faq": [], "duration_ms": 1,
                          "title": "t", "advice": None,
                          "summary": "voip.example.com at 203.0.113.5 from 192.168.1.20",
                          "data": {"mapped": "203.0.113.5:4000", "local": "192.168.1.20:5060",
                                   "v6": "2001:db8::1"}}]}
    out = redact_dict(report)
    check = out["checks"][0]
    assert check["summary"] == "[host-1] at [public-ip-1] from 192.168.1.20"
    assert check["data"]["mapped"] == "[public-ip-1]:4000"
    assert check["data"]["v6"] == "[public-ip-2]"
    assert out["profile"]["stun_server"] == "[host-2]:3478"


@pytest.mark.parametrize("code", sorted(RESPONSE_CODES))
def test_explain_every_faq_code(capsys: Any, code: int) -> None:
    status, out, _ = cli(["explain", str(code)], capsys)
    lines = out.splitlines()
    assert status == 0
    assert lines[0].startswith(f"{code} {RESPONSE_CODES[code]} ({code // 100}xx ")
    assert [line.split(":")[0] for line in lines[1:4]] == ["Meaning", "Typical cause",
                                                            "What to check"]
    assert "not in the platform FAQ" not in out


@pytest.mark.parametrize(("arg", "expected"), [("499", 0), ("699", 0), ("42", 3), ("abc", 3),
                                               ("", 3), ("4o4", 3)])
def test_explain_other_input(capsys: Any, arg: str, expected: int) -> None:
    status, out, err = cli(["explain", arg], capsys)
    assert status == expected
    if expected == 3:
        assert err.startswith("flexdiag: error:") and err.count("\n") == 1
    else:
        assert "not in the platform FAQ" in out


def test_bad_format_and_language(capsys: Any) -> None:
    assert cli(["run", "--format", "pdf"], capsys)[0] == 3
    assert cli(["run", "--lang", "fr"], capsys)[0] == 3

"""The terminal renderer's live progress and one-line summary."""

from __future__ import annotations

import io

from flexdiag.model import CheckResult, Report, Status
from flexdiag.render.text import Progress, one_line, render


def test_progress_shows_done_checks_and_slow_check_notes() -> None:
    progress = Progress(3, file=io.StringIO())
    progress.update(CheckResult("dns.voip", "t", Status.PASS, "ok"), 1, 3)
    progress.note("nat.lifetime", "12 s of at most 92 s")
    text = progress._text()
    assert "1/3" in text and "dns.voip pass" in text and "nat.lifetime: 12 s" in text
    progress.update(CheckResult("nat.lifetime", "t", Status.FAIL, "x"), 2, 3)
    assert "nat.lifetime:" not in progress._text()  # the note goes when the check is done


def test_one_line_and_no_colours_in_a_file() -> None:
    report = Report("0", "2026-11-25T10:00:00Z", 1.0, {}, (
        CheckResult("a.b", "A", Status.PASS, "fine"),
        CheckResult("c.d", "C", Status.WARN, "hmm", advice="do this", faq=(4,))))
    assert one_line(report).startswith("WARN: ") and "c.d warn" in one_line(report)
    out = io.StringIO()
    render(report, out)
    assert "do this" in out.getvalue() and "\x1b[" not in out.getvalue()


def test_plan_phone_settings_and_what_was_not_measured_are_shown() -> None:
    from flexdiag.model import Plan, Step

    report = Report("0", "2026-11-25T10:00:00Z", 1.0, {}, (
        CheckResult("sip.alg", "SIP ALG", Status.FAIL, "rewritten", advice="a"),
        CheckResult("nat.lifetime", "NAT mapping lifetime", Status.SKIP, "not measured",
                    {"reason": "not-measured", "measure_with": "flexdiag run"}, faq=(6,))),
        Plan((Step("Register on 38388.", (5,), ("sip.alg",)),),
             {"sip_server": "voip.gntel.nl", "sip_port": 38388, "local_sip_port": 5060,
              "stun_server": None, "ntp_server": "ntp.gntel.nl", "keepalive_s": 24,
              "registration_time_s": 3600}))
    out = io.StringIO()
    render(report, out)
    text = out.getvalue()
    assert "What to do, in order" in text and "1. Register on 38388. (sip.alg)" in text
    assert "Set on the phones" in text and "SIP server port: 38388" in text
    assert "SIP server (registrar, outbound proxy): voip.gntel.nl" in text
    assert "STUN server: off (not needed here)" in text
    assert "NTP server (time server): ntp.gntel.nl" in text
    assert "NAT keep-alive interval: 24 s" in text
    assert "Registration interval (expiry): 3600 s" in text
    assert "Not measured: NAT mapping lifetime (FAQ item 6: flexdiag run)" in text
    assert one_line(report).endswith(
        "Not measured: NAT mapping lifetime (FAQ item 6: flexdiag run).")


def test_a_quick_pass_is_ready_so_far_never_ready() -> None:
    """Issue #22: `--quick` said "PASS: Ready" with FAQ item 6 never measured."""
    report = Report("0", "2026-11-25T10:00:00Z", 0.3, {}, (
        CheckResult("dns.voip", "DNS", Status.PASS, "ok"),
        CheckResult("nat.lifetime", "NAT mapping lifetime", Status.SKIP, "not measured",
                    {"reason": "not-measured", "measure_with": "flexdiag run"}, faq=(6,))))
    line = one_line(report)
    assert line.startswith("PASS: Ready so far:") and "Ready:" not in line
    assert "NAT mapping lifetime (FAQ item 6: flexdiag run)" in line


def test_faq_items_are_sorted_and_counted() -> None:
    from flexdiag.render.text import faq_items

    assert faq_items((2,)) == "Platform FAQ item 2"
    assert faq_items((5, 1, 4, 5)) == "Platform FAQ items 1, 4, 5"


def test_progress_names_what_it_waits_for_and_how_long_at_most() -> None:
    import time

    progress = Progress(3, file=io.StringIO(), check_ids=("dns.voip", "sip.udp.5060",
                                                          "ntp.offset"),
                        deadline=time.monotonic() + 7.6)
    progress.update(CheckResult("dns.voip", "t", Status.PASS, "ok"), 1, 3)
    text = progress._text()
    assert "waiting for sip.udp.5060, ntp.offset" in text
    assert "(at most 8 s more)" in text or "(at most 7 s more)" in text


def test_the_live_line_keeps_its_own_line_breaks_and_escapes_peers_text() -> None:
    """Issue #22: the live line showed a literal '\\x0a' (the whole text was escaped, its own
    newline included); only what peers chose is escaped."""
    progress = Progress(3, file=io.StringIO(), check_ids=("dns.voip", "ntp.offset"))
    progress.note("nat.lifetime", "at most 30 s more\x1b[2J")
    text = progress._renderable().plain
    assert "\n  waiting for dns.voip, ntp.offset" in text
    assert "\\x0a" not in text and "\x1b" not in text and "\\x1b[2J" in text


def test_the_live_line_on_a_terminal_has_no_escapes() -> None:
    import os
    import sys

    from tests.fakes import platform_in_thread
    from tests.terminal import run_on_terminal

    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "PYTHONPATH": "."}
    # A silent NTP server keeps the live line up ("waiting for ntp.offset") for the budget.
    with platform_in_thread(ntp_h=lambda data, source: []) as fake:
        text = run_on_terminal([sys.executable, "-m", "flexdiag", "run", "--quick",
                                *fake.args()], env)
    assert "waiting for" in text and "ntp.offset" in text
    assert "\\x" not in text, text

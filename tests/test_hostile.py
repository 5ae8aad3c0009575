"""Hostile peers: misbehaving fakes of every protocol (STUN, SIP, NTP, DNS) on loopback, and
hostile field values for every renderer. Whatever a server sends, the run ends in a clean
verdict (never ``error``, never a traceback), inside its budget, with bounded evidence, and no
output format lets the server's text act (terminal escapes, rich markup, Markdown or HTML)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from aioice import stun as aio
from hypothesis import given, settings
from hypothesis import strategies as st

from flexdiag import runner
from flexdiag.codec import ntp, sip, stun
from flexdiag.model import CheckResult, Plan, Report, Status, Step
from flexdiag.render import Format, render
from flexdiag.render.json import to_dict
from tests.fakes import (
    NAMES,
    Addr,
    Handler,
    Reply,
    dns_handler,
    ntp_handler,
    sip_handler,
    start_platform,
    stun_handler,
)

# Text a server chooses, at its worst: rich markup (the "[/x]" closing tag crashed the report),
# terminal escapes (clear screen, window title, a C1 CSI), HTML, a Markdown heading and table
# break, a code fence, and the Unicode digit str.isdigit() accepts.
EVIL = ("[/x][bold red]pwned[/] \x1b[2J\x1b]0;title\x07\x9b31m <script>alert(1)</script> "
        "| # heading ``` ²")
ESC = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # what must never reach a terminal


# --- hostile servers ---------------------------------------------------------------------------

def _stun(build: Callable[[bytes, Addr], bytes]) -> Handler:
    def handle(data: bytes, source: Addr) -> list[Reply]:
        try:
            tid = stun.parse_binding_request(data).transaction_id
        except ValueError:
            return []
        return [Reply(build(tid, source))]

    return handle


def _stun_message(tid: bytes, cls: aio.Class, **attributes: Any) -> bytes:
    message = aio.Message(aio.Method.BINDING, cls, transaction_id=tid)
    message.attributes.update(attributes)
    return bytes(message)


def _sip(edit: Callable[[bytes], bytes]) -> Handler:
    honest = sip_handler()

    def handle(data: bytes, source: Addr) -> list[Reply]:
        return [Reply(edit(r.data)) for r in honest(data, source)]

    return handle


def _ntp(edit: Callable[[bytearray], None]) -> Handler:
    honest = ntp_handler()

    def handle(data: bytes, source: Addr) -> list[Reply]:
        out = []
        for reply in honest(data, source):
            raw = bytearray(reply.data)
            edit(raw)
            out.append(Reply(bytes(raw)))
        return out

    return handle


def _set(offset: int, value: bytes) -> Callable[[bytearray], None]:
    def edit(raw: bytearray) -> None:
        raw[offset:offset + len(value)] = value

    return edit


def _kiss(raw: bytearray) -> None:
    raw[1] = 0  # stratum 0
    raw[12:16] = b"RATE"
    raw[32:48] = b"\0" * 16


STUN_CASES: dict[str, Handler] = {
    "mapped 0.0.0.0:0": _stun(lambda tid, src: _stun_message(
        tid, aio.Class.RESPONSE, **{"XOR-MAPPED-ADDRESS": ("0.0.0.0", 0)})),
    "error without ERROR-CODE": _stun(lambda tid, src: _stun_message(tid, aio.Class.ERROR)),
    "error with a hostile reason": _stun(lambda tid, src: _stun_message(
        tid, aio.Class.ERROR, **{"ERROR-CODE": (400, EVIL)})),
    "65 KB SOFTWARE": _stun(lambda tid, src: _stun_message(
        tid, aio.Class.RESPONSE, **{"XOR-MAPPED-ADDRESS": src, "SOFTWARE": "S" * 60000})),
    "hostile SOFTWARE": _stun(lambda tid, src: _stun_message(
        tid, aio.Class.RESPONSE, **{"XOR-MAPPED-ADDRESS": src, "SOFTWARE": EVIL})),
    "garbage": lambda data, src: [Reply(b"\x01\x01\x00\x08" + b"\xff" * 30)],
    "truncated attribute": lambda data, src: [Reply(data[:2].replace(b"\x00\x01", b"\x01\x01")
                                                    + b"\x00\x08" + data[4:20] + b"\x00\x20")],
    "spoofed and garbage first": stun_handler(garbage_first=True, spoof_first=True),
}
SIP_CASES: dict[str, Handler] = {
    "status 2000": _sip(lambda r: r.replace(b"SIP/2.0 200 OK", b"SIP/2.0 2000 OK", 1)),
    "rport=²": _sip(lambda r: re.sub(rb"rport=\d+", "rport=²".encode(), r, count=1)),
    "rport=99999999": _sip(lambda r: re.sub(rb"rport=\d+", b"rport=99999999", r, count=1)),
    "folded Call-ID": _sip(lambda r: r.replace(b"Call-ID: ", b"Call-ID:\r\n ", 1)),
    "hostile reason phrase": _sip(lambda r: r.replace(b"200 OK", b"200 " + EVIL.encode(), 1)),
    "64 KB reason phrase": _sip(lambda r: r.replace(b"200 OK", b"200 " + b"R" * 60000, 1)),
    "hostile header value": _sip(lambda r: r.replace(b"\r\n\r\n", b"\r\nServer: " + EVIL.encode()
                                                     + b"\r\n\r\n", 1)),
    "no reason phrase": _sip(lambda r: r.replace(b"SIP/2.0 200 OK", b"SIP/2.0 200", 1)),
    "not UTF-8": _sip(lambda r: r.replace(b"200 OK", b"200 \xff\xfe", 1)),
    "provisional only": sip_handler(provisional_only=True),
}
NTP_CASES: dict[str, Handler] = {
    "zero transmit timestamp": _ntp(_set(40, b"\0" * 8)),
    "zero receive and transmit": _ntp(_set(32, b"\0" * 16)),
    "kiss-o'-death RATE": _ntp(_kiss),
    "stratum 16": ntp_handler(stratum=16),
    "leap 3": ntp_handler(leap=3),
    "spoofed first": ntp_handler(spoof_first=True),
    "short packet": lambda data, src: [Reply(b"\x24" * 20)],
}
DNS_CASES: dict[str, Handler] = {
    "3,500 A records": dns_handler({**NAMES, "voip.test.invalid": [
        f"127.1.{i // 250}.{i % 250 + 1}" for i in range(3500)]}),
    "garbage": lambda data, src: [Reply(data[:2] + b"\x81\x80" + b"\xff" * 40)],
}
CASES = ([("stun", n, h) for n, h in STUN_CASES.items()]
         + [("sip", n, h) for n, h in SIP_CASES.items()]
         + [("ntp", n, h) for n, h in NTP_CASES.items()]
         + [("dns", n, h) for n, h in DNS_CASES.items()])


def outside_fences(markdown: str) -> str:
    """The Markdown outside fenced code blocks (inside one, text is shown, never read)."""
    out, fence = [], None
    for line in markdown.splitlines():
        run = re.match(r"`{3,}", line)
        if fence is None and run:
            fence = run.group()
        elif fence is not None and line.strip() == fence:
            fence = None
        elif fence is None:
            out.append(line)
    return "\n".join(out)


def _assert_safe(report: Report) -> None:
    """Every format renders; nothing a server wrote can act where it is shown."""
    text = render(report, Format.TEXT, verbose=True)
    assert not ESC.search(text), repr(ESC.search(text))
    markdown = render(report, Format.MARKDOWN)
    assert "<script" not in outside_fences(markdown) and not ESC.search(markdown)
    assert not any(line.startswith("# heading") for line in markdown.splitlines())
    data = json.loads(render(report, Format.JSON))
    assert len(json.dumps(data)) < 64 * 1024  # evidence is bounded


async def _one_case(protocol: str, handler: Handler) -> tuple[Report, float]:
    kind = {"stun": "stun_h", "ntp": "ntp_h", "dns": "dns_h"}
    platform: dict[str, Any] = (
        {"sip_h": [handler, handler]} if protocol == "sip" else {kind[protocol]: handler})
    fake = await start_platform(**platform)
    try:
        settings_ = fake.settings(**{"--timeout": "0.5"})  # silence is most of these cases
        return await runner.run(settings_), settings_.timeout_s
    finally:
        fake.close()


@pytest.mark.parametrize("protocol", ["stun", "sip", "ntp", "dns"])
async def test_hostile_servers_get_a_clean_verdict(validate_report: Any, protocol: str) -> None:
    """Every hostile case of a protocol, run at once (each against a platform of its own)."""
    import asyncio

    cases = [(name, handler) for p, name, handler in CASES if p == protocol]
    results = await asyncio.gather(*(_one_case(protocol, h) for _, h in cases))
    for (name, _), (report, budget_s) in zip(cases, results, strict=True):
        validate_report(to_dict(report))
        errors = [(c.id, c.summary) for c in report.checks if c.status is Status.ERROR]
        assert not errors, (name, errors)
        assert report.duration_s < budget_s + 1.0, name
        _assert_safe(report)


# --- hostile field values for the renderers ----------------------------------------------------

HOSTILE_TEXT = st.lists(st.sampled_from(
    [*"[]/\\<>|`*_#&\n\r\t ", "\x1b", "\x07", "\x9b", "\x00", "²", "a", "b", "é", "[/x]",
     "```", "<script>"]), max_size=40).map("".join)


@settings(max_examples=80, deadline=None)
@given(summary=HOSTILE_TEXT, advice=HOSTILE_TEXT, value=HOSTILE_TEXT, key=HOSTILE_TEXT,
       step=HOSTILE_TEXT)
def test_renderers_never_let_field_values_act(summary: str, advice: str, value: str, key: str,
                                              step: str) -> None:
    report = Report("0", "2026-11-28T10:00:00Z", 1.0, {"sip_server": value}, (
        CheckResult("sip.udp.5060", "SIP", Status.FAIL, summary or "x", {key: value,
                                                                          "list": [value]},
                    advice or None, (5,)),),
        Plan((Step(step or "x", (5,), ("sip.udp.5060",)),), {"sip_port": 38388}))
    text = render(report, Format.TEXT, verbose=True)
    assert not ESC.search(text)
    markdown = render(report, Format.MARKDOWN)
    assert not ESC.search(markdown) and "<script>" not in outside_fences(markdown)
    # Each check is one table row: a server's newline or pipe cannot add rows or cells.
    row = next(line for line in markdown.splitlines() if line.startswith("| `sip.udp.5060`"))
    assert row.count(" | ") == 2
    # The evidence block's fence is never closed early by a server's backticks.
    fences = [line for line in markdown.splitlines() if line.startswith("```")]
    assert len(fences) % 2 == 0
    assert json.loads(render(report, Format.JSON))["checks"][0]["summary"] == (summary or "x")


def test_codec_refusals_name_the_reason() -> None:
    tid = b"x" * 12
    with pytest.raises(ValueError, match="impossible"):
        stun.parse_binding_response(_stun_message(
            tid, aio.Class.RESPONSE, **{"XOR-MAPPED-ADDRESS": ("0.0.0.0", 0)}))
    with pytest.raises(ValueError, match="not a response"):
        sip.parse_response(b"SIP/2.0 2000 OK\r\n\r\n")
    with pytest.raises(ValueError, match="zero receive or transmit"):
        request = ntp.build_request(1_800_000_000.0)
        reply = bytearray(ntp.build_reply(request, receive_s=1.8e9, transmit_s=1.8e9))
        reply[40:48] = b"\0" * 8
        ntp.parse_reply(bytes(reply))
    assert sip.parse_via("SIP/2.0/UDP h;rport=²").rport is None
    assert sip.parse_via("SIP/2.0/UDP h;rport=99999999").rport is None
    assert sip.parse_via("SIP/2.0/UDP h;rport=5060").rport == 5060


# --- this computer's own limits (issue #21) ----------------------------------------------------

async def test_too_few_file_descriptors_is_this_computers_limit_not_a_full_table() -> None:
    """``ulimit -n 64`` (macOS allows 256; 100 phones need ~310 sockets): before, the sockets
    the OS refused read as flows the router refused, 'the table is full at about 67 flows'."""
    import os
    import resource

    fake = await start_platform()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        settings = fake.settings(**{"--phones": "40"})  # 122 flows
        resource.setrlimit(resource.RLIMIT_NOFILE, (len(os.listdir("/proc/self/fd")) + 40, hard))
        report = await runner.run(settings)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        fake.close()
    capacity = report.get("nat.capacity")
    assert capacity is not None and capacity.status is Status.SKIP, capacity
    assert capacity.data["reason"] == "local-sockets" and capacity.data["local_kind"] == "no-fds"
    assert capacity.data["local_failures"] > 0
    assert "not the router's" in capacity.summary and "full" not in capacity.summary
    assert capacity.advice is not None and "ulimit -n" in capacity.advice
    assert not any("NAT table holds" in s.text for s in report.plan.steps)

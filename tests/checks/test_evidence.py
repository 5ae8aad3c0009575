"""What every exchange-based check reports as evidence, and how the SIP ALG check reads the
headers a server echoed: exact values."""

from __future__ import annotations

from typing import Any

import pytest

from flexdiag.checks import exchange_evidence, ms
from flexdiag.checks.sip_alg import _echo_changes
from flexdiag.codec import sip
from flexdiag.records import Exchange, OptionsReply, SilenceBasis


def test_a_plain_exchange_reports_what_it_sent_and_waited() -> None:
    assert exchange_evidence(Exchange(local=("192.0.2.9", 1), sent=3, waited_s=1.25)) == {
        "sent": 3, "waited_s": 1.25}


@pytest.mark.parametrize(("same_host", "where"), [(True, "this host"),
                                                  (False, "another server")])
def test_silence_says_what_it_rested_on(same_host: bool, where: str) -> None:
    exchange: Exchange[Any] = Exchange(local=("192.0.2.9", 1), sent=4, waited_s=2.25,
                                       gave_up=SilenceBasis(8.0, 0.0125, same_host, 2.0))
    assert exchange_evidence(exchange) == {
        "sent": 4, "waited_s": 2.25,
        "silence": f"given up after 2.25 s: 8 x the 12 ms round trip to {where} (at least 2 s)"}


def test_ignored_datagrams_are_counted_with_examples() -> None:
    exchange: Exchange[Any] = Exchange(local=("192.0.2.9", 1), sent=1, waited_s=0.5,
                                       ignored=["203.0.113.66:3478: not ours"],
                                       ignored_count=7)
    assert exchange_evidence(exchange)["ignored"] == {
        "count": 7, "examples": ["203.0.113.66:3478: not ours"]}


def test_milliseconds() -> None:
    assert ms(0.01234) == 12.3 and ms(None) is None and ms(0.0) == 0.0


REQUEST = sip.OptionsRequest(branch="z9hG4bKabc", call_id="cid@flexdiag", from_tag="t1")
SENT = sip.build_options(REQUEST, server="voip.gntel.nl", server_port=5060,
                         local=("192.168.1.20", 40000))


def _reply(edit: tuple[bytes, bytes] | None = None) -> OptionsReply:
    data = sip.build_response(SENT, 200, source=("203.0.113.5", 40000))
    data = data.replace(b"To: <sip:voip.gntel.nl:5060>", b"To: <sip:voip.gntel.nl:5060>;tag=x")
    if edit is not None:
        data = data.replace(*edit)
    response = sip.parse_response(data)
    return OptionsReply(response, response.vias[0], SENT)


@pytest.mark.parametrize(("edit", "changed"), [
    (None, ()),  # the To tag the server adds is not a change
    ((b"From: <sip:flexdiag@192.168.1.20:40000>", b"From: <sip:flexdiag@203.0.113.5:40000>"),
     ("From",)),
    ((b"To: <sip:voip.gntel.nl:5060>", b"To: <sip:voip.gntel.nl:5061>"), ("To",)),
    ((b"Via: SIP/2.0/UDP 192.168.1.20:40000", b"Via: SIP/2.0/UDP 203.0.113.5:40000"),
     ("Via",)),
    ((b"From: <sip:flexdiag@192.168.1.20:40000>;tag=t1\r\n", b""), ()),  # none echoed
    ((b"To: <sip:voip.gntel.nl:5060>;tag=x\r\n", b""), ()),
])
def test_echoed_headers_that_changed(edit: tuple[bytes, bytes] | None,
                                     changed: tuple[str, ...]) -> None:
    assert _echo_changes(_reply(edit)) == changed


def test_every_change_is_listed_in_order() -> None:
    reply = _reply((b"192.168.1.20", b"10.0.0.99"))
    assert _echo_changes(reply) == ("From", "Via")
    both = _reply((b"sip:voip.gntel.nl:5060", b"sip:voip.gntel.nl:5099"))
    assert _echo_changes(both) == ("To",)

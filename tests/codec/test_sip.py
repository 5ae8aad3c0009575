"""SIP codec: OPTIONS golden bytes, response parsing, matching, exact errors, fuzzing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flexdiag.codec import sip

REQ = sip.OptionsRequest(branch="z9hG4bKabc", call_id="cid@flexdiag", from_tag="t1")


def test_options_golden() -> None:
    data = sip.build_options(REQ, server="voip.example.com", server_port=5060,
                             local=("192.0.2.10", 40000), user_agent="flexdiag/test")
    assert data == (
        b"OPTIONS sip:voip.example.com:5060 SIP/2.0\r\n"
        b"Via: SIP/2.0/UDP 192.0.2.10:40000;branch=z9hG4bKabc;rport\r\n"
        b"Max-Forwards: 70\r\n"
        b"From: <sip:flexdiag@192.0.2.10:40000>;tag=t1\r\n"
        b"To: <sip:voip.example.com:5060>\r\n"
        b"Call-ID: cid@flexdiag\r\n"
        b"CSeq: 1 OPTIONS\r\n"
        b"Contact: <sip:flexdiag@192.0.2.10:40000>\r\n"
        b"Accept: application/sdp\r\n"
        b"User-Agent: flexdiag/test\r\n"
        b"Content-Length: 0\r\n\r\n"
    )


def test_ipv6_and_padding() -> None:
    data = sip.build_options(REQ, server="2001:db8::5", server_port=38388,
                             local=("2001:db8::10", 5060), padding=1500)
    assert data.startswith(b"OPTIONS sip:[2001:db8::5]:38388 SIP/2.0\r\n")
    assert b"Content-Length: 1500\r\n" in data and len(data) > 1500


def test_new_request_identifiers_are_random_and_cookie_marked() -> None:
    a, b = sip.new_options_request(), sip.new_options_request()
    assert a.branch.startswith("z9hG4bK") and a.branch != b.branch and a.call_id != b.call_id


KAMAILIO_LIKE = (
    b"SIP/2.0 200 OK\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.10:40000;branch=z9hG4bKabc;rport=61000;received=198.51.100.7\r\n"
    b"From: <sip:flexdiag@192.0.2.10:40000>;tag=t1\r\n"
    b"To: <sip:voip.example.com:5060>;tag=srv\r\n"
    b"Call-ID: cid@flexdiag\r\n"
    b"CSeq: 1 OPTIONS\r\n"
    b"Server: kamailio (5.6.3 (x86_64/linux))\r\n"
    b"Content-Length: 0\r\n\r\n"
)


def test_parse_response_and_via() -> None:
    response = sip.parse_response(KAMAILIO_LIKE)
    assert (response.status_code, response.reason) == (200, "OK")
    via = response.vias[0]
    assert via.received == "198.51.100.7" and via.rport == 61000 and via.branch == "z9hG4bKabc"
    assert via.sent_by == "192.0.2.10:40000"
    assert sip.matches(response, REQ)


def test_compact_headers_folding_and_multiple_vias() -> None:
    data = (b"SIP/2.0 404 Not Found\r\n"
            b"v: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKabc;rport,\r\n"
            b" SIP/2.0/UDP 192.0.2.99;branch=z9hG4bKother\r\n"
            b"i: cid@flexdiag\r\nCSeq: 1 OPTIONS\r\nl: 0\r\n\r\n")
    response = sip.parse_response(data)
    assert [v.branch for v in response.vias] == ["z9hG4bKabc", "z9hG4bKother"]
    assert response.vias[0].rport is None  # rport without value: server did not fill it
    assert sip.matches(response, REQ)


@pytest.mark.parametrize("change", [
    (b"branch=z9hG4bKabc", b"branch=z9hG4bKxyz"),
    (b"Call-ID: cid@flexdiag", b"Call-ID: other"),
    (b"CSeq: 1 OPTIONS", b"CSeq: 1 INVITE"),
    (b"CSeq: 1 OPTIONS", b"CSeq: 2 OPTIONS"),
])
def test_unrelated_responses_do_not_match(change: tuple[bytes, bytes]) -> None:
    assert not sip.matches(sip.parse_response(KAMAILIO_LIKE.replace(*change)), REQ)


@pytest.mark.parametrize(("data", "message"), [
    (b"OPTIONS sip:x SIP/2.0\r\n\r\n", "SIP message is not a response"),
    (b"SIP/2.0 99 Low\r\n\r\n", "SIP message is not a response"),
    (b"HTTP/1.1 200 OK\r\n\r\n", "SIP message is not a response"),
    (b"SIP/2.0 200 OK\r\nno colon here\r\n\r\n", "SIP header line has no name"),
    (b"SIP/2.0 200 OK\r\n\xff\xfe: x\r\n\r\n", "SIP message is not UTF-8"),
])
def test_malformed_responses_have_fixed_errors(data: bytes, message: str) -> None:
    with pytest.raises(ValueError) as info:
        sip.parse_response(data)
    assert str(info.value) == message


def test_bad_via_has_fixed_error() -> None:
    with pytest.raises(ValueError, match="^SIP Via has no protocol$"):
        sip.parse_via("garbage")
    with pytest.raises(ValueError, match="^SIP Via has no sent-by$"):
        sip.parse_via("SIP/2.0/UDP ;branch=x")


def test_every_faq_code_is_described() -> None:
    # FAQ section 7 lists these codes; each has its phrase, others their class.
    faq_codes = [100, 180, 181, 182, 183, 200, 202, 300, 301, 302, 305, 380, 400, 401, 402, 403,
                 404, 405, 406, 407, 408, 409, 410, 412, 413, 414, 415, 416, 417, 420, 421, 422,
                 423, 424, 428, 429, 433, 436, 437, 438, 480, 481, 482, 483, 484, 485, 486, 487,
                 488, 489, 491, 493, 494, 500, 501, 502, 503, 504, 505, 513, 580, 600, 603, 604,
                 606]
    assert sorted(sip.RESPONSE_CODES) == faq_codes
    assert sip.describe_code(404) == "404 Not Found"
    assert sip.describe_code(499) == "499 (an unknown 4xx code)"  # no made-up phrase


def test_build_response_adds_received_and_rport() -> None:
    request = sip.build_options(REQ, server="voip.example.com", server_port=5060,
                                local=("192.0.2.10", 40000))
    response = sip.parse_response(sip.build_response(request, 486, source=("198.51.100.7", 1)))
    assert response.status_code == 486 and response.reason == "Busy Here"
    assert response.vias[0].received == "198.51.100.7" and response.vias[0].rport == 1
    assert sip.matches(response, REQ)


@given(st.binary(max_size=300))
def test_fuzz_parse_response(data: bytes) -> None:
    try:
        response = sip.parse_response(data)
    except ValueError:
        return
    sip.matches(response, REQ)  # must not raise either


@given(st.text(max_size=200))
def test_fuzz_text_responses(text: str) -> None:
    try:
        response = sip.parse_response(("SIP/2.0 200 OK\r\n" + text).encode())
    except ValueError:
        return
    sip.matches(response, REQ)

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


# --- exact values and both branches (mutation testing: docs/testing.md) ----------------------

def test_options_default_user_agent_and_padding_body() -> None:
    data = sip.build_options(REQ, server="voip.example.com", server_port=5060,
                             local=("192.0.2.10", 40000), padding=3)
    assert b"\r\nUser-Agent: flexdiag\r\n" in data
    assert data.endswith(b"Content-Type: text/plain\r\nContent-Length: 3\r\n\r\nxxx")


@pytest.mark.parametrize("size", [1400, 3000, 1000, 999, 1001])
def test_options_of_a_size_is_exactly_that_size(size: int) -> None:
    plain = sip.build_options(REQ, server="voip.example.com", server_port=5060,
                              local=("192.0.2.10", 40000), user_agent="ua")
    data = sip.build_options(REQ, server="voip.example.com", server_port=5060,
                             local=("192.0.2.10", 40000), user_agent="ua", size=size)
    assert len(data) == size
    head, _, body = data.partition(b"\r\n\r\n")
    # The same request, with a body that makes up the size (declared in Content-Length).
    assert head.startswith(plain.partition(b"\r\n\r\n")[0].rsplit(b"\r\n", 1)[0])
    assert head.endswith(b"Content-Type: text/plain\r\nContent-Length: %d" % len(body))
    assert body == b"x" * len(body) and len(body) > 0


def test_options_size_smaller_than_the_message_is_the_plain_message() -> None:
    plain = sip.build_options(REQ, server="voip.example.com", server_port=5060,
                              local=("192.0.2.10", 40000))
    for size in (1, len(plain) - 1, len(plain)):
        assert sip.build_options(REQ, server="voip.example.com", server_port=5060,
                                 local=("192.0.2.10", 40000), size=size) == plain


def test_options_of_a_size_is_never_smaller_than_asked() -> None:
    # One byte more than the plain request cannot be made exactly (a body adds its
    # Content-Type line too): the request is then larger, never smaller, than asked.
    plain = sip.build_options(REQ, server="voip.example.com", server_port=5060,
                              local=("192.0.2.10", 40000))
    data = sip.build_options(REQ, server="voip.example.com", server_port=5060,
                             local=("192.0.2.10", 40000), size=len(plain) + 1)
    assert len(data) > len(plain) + 1 and b"Content-Type: text/plain" in data


def test_a_request_body_with_a_blank_line_is_not_copied_into_the_response() -> None:
    request = sip.build_options(REQ, server="voip.example.com", server_port=5060,
                                local=("192.0.2.10", 40000))
    request += b"v: SIP/2.0/UDP 203.0.113.66;branch=z9hG4bKevil\r\n\r\nmore"
    response = sip.build_response(request, 200, source=("198.51.100.7", 61000))
    assert b"evil" not in response and response.count(b"\r\n\r\n") == 1


def test_options_size_one_byte_more_than_the_message() -> None:
    plain = sip.build_options(REQ, server="voip.example.com", server_port=5060,
                              local=("192.0.2.10", 40000))
    data = sip.build_options(REQ, server="voip.example.com", server_port=5060,
                             local=("192.0.2.10", 40000), size=len(plain) + 40)
    assert len(data) == len(plain) + 40


def test_new_request_identifiers_have_their_sizes() -> None:
    request = sip.new_options_request()
    assert len(request.branch) == len("z9hG4bK") + 16
    assert request.call_id.endswith("@flexdiag") and len(request.call_id) == 20 + 9
    assert len(request.from_tag) == 8 and int(request.from_tag, 16) >= 0
    assert request.cseq == 1


@pytest.mark.parametrize(("text", "port"), [
    ("1", 1), ("65535", 65535), ("0", None), ("65536", None), ("99999", None), ("5060", 5060),
    ("²", None), ("", None), (None, None), ("-1", None), ("123456", None),
])
def test_port_number_bounds(text: str | None, port: int | None) -> None:
    assert sip.port_number(text) == port


@pytest.mark.parametrize(("code", "text"), [
    (404, "404 Not Found"), (499, "499 (an unknown 4xx code)"), (601, "601 (an unknown 6xx code)"),
    (299, "299 (an unknown 2xx code)"), (699, "699 (an unknown 6xx code)"),
])
def test_describe_code(code: int, text: str) -> None:
    assert sip.describe_code(code) == text


def test_a_body_with_a_blank_line_is_not_read_as_headers() -> None:
    data = KAMAILIO_LIKE + b"Via: SIP/2.0/UDP 203.0.113.9;branch=evil\r\n\r\nmore"
    response = sip.parse_response(data)
    assert [v.sent_by for v in response.vias] == ["192.0.2.10:40000"]
    lf = KAMAILIO_LIKE.replace(b"\r\n", b"\n") + b"X-Body: 1\n\nmore"
    assert sip.parse_response(lf).header("x-body") is None


def test_tab_folded_header_and_a_status_line_without_a_reason() -> None:
    data = (b"SIP/2.0 200\r\nVia: SIP/2.0/UDP 192.0.2.10:40000\r\n\t;branch=z9hG4bKabc\r\n"
            b"Call-ID: cid@flexdiag\r\nCSeq: 1 OPTIONS\r\n\r\n")
    response = sip.parse_response(data)
    assert response.reason == "" and response.vias[0].branch == "z9hG4bKabc"
    assert sip.matches(response, REQ)


@pytest.mark.parametrize(("value", "transport", "sent_by", "params"), [
    ("SIP/2.0/udp 192.0.2.10:5060;branch=b1;rport", "UDP", "192.0.2.10:5060",
     {"branch": "b1", "rport": None}),
    ("SIP/2.0/UDP h;received=a=b", "UDP", "h", {"received": "a=b"}),
    ("SIP/2.0/TCP h;RPORT=5", "TCP", "h", {"rport": "5"}),
    ("SIP/2.0/UDP host;x", "UDP", "host", {"x": None}),
])
def test_parse_via_values(value: str, transport: str, sent_by: str,
                          params: dict[str, str | None]) -> None:
    via = sip.parse_via(value)
    assert (via.transport, via.sent_by, via.params) == (transport, sent_by, params)


@pytest.mark.parametrize("value", ["SIP/2.0 host", "XIP/2.0/UDP host", "SIP/UDP host",
                                   "SIP/2.0/UDP", "SIP/2.0/UDP ;branch=x"])
def test_parse_via_refuses(value: str) -> None:
    with pytest.raises(ValueError, match="SIP Via has no"):
        sip.parse_via(value)


def test_a_reply_with_a_broken_via_or_no_cseq_does_not_match() -> None:
    broken = sip.parse_response(KAMAILIO_LIKE.replace(b"Via: SIP/2.0/UDP", b"Via: SIP/2.0"))
    assert sip.matches(broken, REQ) is False
    no_cseq = sip.parse_response(KAMAILIO_LIKE.replace(b"CSeq: 1 OPTIONS\r\n", b""))
    assert sip.matches(no_cseq, REQ) is False
    assert sip.matches(sip.parse_response(KAMAILIO_LIKE), REQ) is True


def test_build_response_golden() -> None:
    request = sip.build_options(REQ, server="voip.example.com", server_port=5060,
                                local=("192.0.2.10", 40000), padding=4)
    request = request.replace(b"Max-Forwards: 70\r\n",
                              b"v: SIP/2.0/UDP 192.0.2.99:5060;branch=z9hG4bKold;rport\r\n")
    assert sip.build_response(request, 404, source=("198.51.100.7", 61000)) == (
        b"SIP/2.0 404 Not Found\r\n"
        b"Via: SIP/2.0/UDP 192.0.2.10:40000;branch=z9hG4bKabc;received=198.51.100.7;"
        b"rport=61000\r\n"
        b"v: SIP/2.0/UDP 192.0.2.99:5060;branch=z9hG4bKold;rport\r\n"
        b"From: <sip:flexdiag@192.0.2.10:40000>;tag=t1\r\n"
        b"To: <sip:voip.example.com:5060>\r\n"
        b"Call-ID: cid@flexdiag\r\n"
        b"CSeq: 1 OPTIONS\r\n"
        b"Content-Length: 0\r\n\r\n")
    assert sip.build_response(request, 299, source=("h", 1)).startswith(
        b"SIP/2.0 299 Unknown\r\n")
    assert sip.build_response(request, 200, source=("h", 1), reason="Fine").startswith(
        b"SIP/2.0 200 Fine\r\n")


@pytest.mark.parametrize(("sent_by", "host"), [
    ("192.0.2.10:5060", "192.0.2.10"), ("192.0.2.10", "192.0.2.10"),
    ("[2001:db8::5]:40000", "2001:db8::5"), ("[2001:db8::5]", "2001:db8::5"),
    ("2001:db8::5", "2001:db8::5"), ("example.com:5060", "example.com")])
def test_the_host_of_a_via_sent_by(sent_by: str, host: str) -> None:
    """RFC 3261 §20.42/§25.1: checks/nat.py took '[2001:db8::5]' and '2001:db8:' before."""
    from flexdiag.codec.sip import sent_by_host

    assert sent_by_host(sent_by) == host

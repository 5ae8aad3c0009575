"""SDP offers and answers for one audio stream (RFC 4566, RFC 3264)."""

from __future__ import annotations

import pytest

from flexdiag.codec import sdp

# What rtpengine answered in the lab (replace-origin replace-session-connection).
ANSWER = (b"v=0\r\no=flexdiag 1 1 IN IP4 198.51.100.21\r\ns=flexdiag test call\r\n"
          b"c=IN IP4 198.51.100.21\r\nt=0 0\r\nm=audio 10016 RTP/AVP 8 0\r\n"
          b"a=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\na=sendrecv\r\n"
          b"a=rtcp:10017\r\n")


def test_build_then_parse() -> None:
    media = sdp.parse(sdp.build("192.0.2.10", 12000, session_id=7))
    assert media == sdp.Media("192.0.2.10", 12000, (8, 0), "sendrecv")
    assert media.codec == 8
    assert b"c=IN IP6 2001:db8::1" in sdp.build("2001:db8::1", 12000)


def test_a_relay_answer() -> None:
    assert sdp.parse(ANSWER) == sdp.Media("198.51.100.21", 10016, (8, 0))


def test_media_level_connection_wins_and_only_the_first_audio_counts() -> None:
    body = (b"v=0\r\nc=IN IP4 192.0.2.1\r\nm=video 4000 RTP/AVP 96\r\nc=IN IP4 192.0.2.9\r\n"
            b"m=audio 5000 RTP/AVP 0 101\r\nc=IN IP4 192.0.2.2/127\r\na=recvonly\r\n"
            b"m=audio 6000 RTP/AVP 8\r\n")
    assert sdp.parse(body) == sdp.Media("192.0.2.2", 5000, (0, 101), "recvonly")
    assert sdp.parse(b"v=0\nc=IN IP4 192.0.2.1\nm=audio 5000 RTP/AVP 18\n").codec is None


@pytest.mark.parametrize("body", [
    b"", b"v=0\r\n", b"v=0\r\nm=audio 5000 RTP/AVP 0\r\n",  # no address
    b"v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio x RTP/AVP 0\r\n",
    b"v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 99999 RTP/AVP 0\r\n", b"\xff\xfe",
])
def test_unusable_sdp_is_a_value_error(body: bytes) -> None:
    with pytest.raises(ValueError):
        sdp.parse(body)


def test_the_offer_byte_for_byte() -> None:
    assert sdp.build("192.0.2.10", 12000, session_id=7) == (
        b"v=0\r\no=flexdiag 7 7 IN IP4 192.0.2.10\r\ns=flexdiag test call\r\n"
        b"c=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 12000 RTP/AVP 8 0\r\n"
        b"a=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\na=sendrecv\r\n")
    assert sdp.build("192.0.2.10", 12000, (0,), session_id=0).count(b"a=rtpmap") == 1
    first, second = sdp.build("192.0.2.10", 1), sdp.build("192.0.2.10", 1)
    assert first.split(b"\r\n")[1] != second.split(b"\r\n")[1]  # a random session id


@pytest.mark.parametrize(("body", "message"), [
    (b"\xff\xfe", "SDP is not UTF-8"),
    (b"v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio x RTP/AVP 0\r\n", "not a port number"),
    (b"v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 70000 RTP/AVP 0\r\n", "not a port number"),
    (b"v=0\r\nm=audio 5000 RTP/AVP 0\r\n", "no connection address"),
    (b"v=0\r\nc=IN IP4 192.0.2.1\r\nm=video 5000 RTP/AVP 96\r\n", "no audio stream"),
])
def test_what_parse_says(body: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        sdp.parse(body)


def test_directions_and_payload_types() -> None:
    session_level = b"v=0\r\nc=IN IP4 192.0.2.1\r\na=sendonly\r\nm=audio 5000 RTP/AVP 0 x 8\r\n"
    media = sdp.parse(session_level)
    assert media.direction == "sendonly" and media.payload_types == (0, 8)
    assert sdp.parse(b"v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 5000 RTP/AVP\r\n").direction == (
        "sendrecv")
    assert sdp.parse(b"v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 65535 RTP/AVP 8\r\n").port == 65535

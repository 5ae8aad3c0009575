"""RTP packets (RFC 3550 §5.1) and the G.711 encoders."""

from __future__ import annotations

import struct
import warnings

import pytest

from flexdiag.codec import rtp


def test_build_and_parse_round_trip() -> None:
    data = rtp.build(rtp.PCMA, 65535, 2**32 - 1, 0xDEADBEEF, b"\xd5" * 160, marker=True)
    assert len(data) == 172 and data[0] == 0x80 and data[1] == 0x88
    packet = rtp.parse(data)
    assert (packet.payload_type, packet.sequence, packet.timestamp, packet.ssrc,
            packet.marker) == (8, 65535, 2**32 - 1, 0xDEADBEEF, True)
    assert packet.payload == b"\xd5" * 160


def test_csrc_extension_and_padding_are_skipped() -> None:
    header = struct.pack("!BBHII", 0x80 | 0x20 | 0x10 | 2, 0, 1, 2, 3)
    csrc = b"\x00" * 8
    extension = struct.pack("!HH", 0xBEDE, 1) + b"\x00" * 4
    data = header + csrc + extension + b"abc" + b"\x00\x00\x03"
    assert rtp.parse(data).payload == b"abc"


@pytest.mark.parametrize("data", [
    b"", b"\x80" * 11, b"\x40" + b"\x00" * 11,  # short; version 1
    b"\x8f" + b"\x00" * 11,  # 15 CSRCs announced, none there
    b"\x90" + b"\x00" * 11,  # an extension announced, none there
    b"\xa0" + b"\x00" * 11 + b"\xff",  # padding longer than the packet
    b"\x80\xc8" + b"\x00" * 10,  # RTCP sender report
])
def test_malformed_packets_are_value_errors(data: bytes) -> None:
    with pytest.raises(ValueError):
        rtp.parse(data)


def test_g711_matches_the_reference_encoders() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        audioop = pytest.importorskip("audioop")  # the CPython reference (Python < 3.13)
    for sample in range(-32768, 32768, 13):
        pcm = struct.pack("<h", sample)
        assert rtp.ulaw(sample) == audioop.lin2ulaw(pcm, 2)[0], sample
        assert rtp.alaw(sample) == audioop.lin2alaw(pcm, 2)[0], sample


def test_known_g711_values() -> None:
    # G.711: silence is 0xFF (µ-law) and 0xD5 (A-law); full scale clips.
    assert (rtp.ulaw(0), rtp.alaw(0)) == (0xFF, 0xD5)
    assert (rtp.ulaw(32767), rtp.ulaw(-32768)) == (0x80, 0x00)
    assert (rtp.alaw(32767), rtp.alaw(-32768)) == (0xAA, 0x2A)


def test_a_frame_is_20_ms_of_tone() -> None:
    frame = rtp.tone(rtp.PCMU)
    assert len(frame) == rtp.FRAME_SAMPLES == 160
    assert len(set(frame)) > 2 and frame != rtp.tone(rtp.PCMA)


@pytest.mark.parametrize(("data", "message"), [
    (b"\x80" * 11, "shorter than an RTP header"),
    (b"\x40" + b"\x00" * 11, "not RTP version 2"),
    (b"\x90" + b"\x00" * 11, "RTP header extension cut off"),
    (b"\x80" + b"\x00" * 11 + b"\x00" * 4, None),
    (b"\x8f" + b"\x00" * 11, "RTP header longer than the packet"),
    (b"\x80\xc8" + b"\x00" * 10, "an RTCP packet, not RTP"),
    (b"\x80\xcc" + b"\x00" * 10, "an RTCP packet, not RTP"),
])
def test_what_parse_says(data: bytes, message: str | None) -> None:
    if message is None:
        assert rtp.parse(data).payload == b"\x00" * 4
        return
    with pytest.raises(ValueError, match=message):
        rtp.parse(data)


def test_edges_of_the_header() -> None:
    assert rtp.parse(rtp.build(0, 1, 2, 3, b"")).payload == b""  # exactly 12 bytes
    assert rtp.parse(b"\x80\xcd" + b"\x00" * 10).payload_type == 77  # beyond RTCP's 72-76
    assert rtp.parse(b"\x80\xc7" + b"\x00" * 10).payload_type == 71
    # An extension length of 0xFFFF words is a long header (unsigned), never a short one.
    long_extension = b"\x90" + b"\x00" * 11 + b"\xbe\xde\xff\xff" + b"\x00" * 8
    with pytest.raises(ValueError, match="longer than the packet"):
        rtp.parse(long_extension)
    assert rtp.build(8, 0x1_0001, 2**32 + 5, 2**32 + 7, b"")[2:] == (
        b"\x00\x01" + b"\x00\x00\x00\x05" + b"\x00\x00\x00\x07")
    assert rtp.build(0, 0, 0, 0, b"", marker=False)[1] == 0


def test_the_tone_frames() -> None:
    assert rtp.tone(rtp.PCMA)[:8] == bytes.fromhex("d5838a83d5030a03")
    assert rtp.tone(rtp.PCMU)[:8] == bytes.fromhex("ffa89fa8ff281f28")
    assert rtp.tone(rtp.PCMU, frequency=500)[:8] == bytes.fromhex("ffb6a8a19fa1a8b6")

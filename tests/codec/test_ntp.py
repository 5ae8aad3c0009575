"""NTP codec: timestamps, request/reply round trip, RFC 5905 offset formula, errors, fuzzing."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flexdiag.codec import ntp


def test_timestamp_conversion() -> None:
    # 1970-01-01 is 2208988800 s after the NTP era 0 epoch (RFC 5905 §6).
    assert ntp.to_ntp_raw(0.0) == 2208988800 << 32
    assert ntp.from_ntp_raw(ntp.to_ntp_raw(1_700_000_000.25)) == pytest.approx(1_700_000_000.25)


def test_request_golden() -> None:
    data = ntp.build_request(0.0)
    assert len(data) == 48
    assert data[0] == (0 << 6) | (4 << 3) | 3  # LI 0, version 4, mode 3 (client)
    assert data[40:48] == (2208988800 << 32).to_bytes(8, "big")
    assert ntp.request_transmit_raw(data) == 2208988800 << 32


def test_reply_round_trip() -> None:
    request = ntp.build_request(1_700_000_000.0)
    reply = ntp.parse_reply(ntp.build_reply(request, receive_s=1_700_000_000.5,
                                            transmit_s=1_700_000_000.6, stratum=3, leap=0))
    assert reply.origin_raw == ntp.request_transmit_raw(request)
    assert reply.receive_s == pytest.approx(1_700_000_000.5)
    assert reply.transmit_s == pytest.approx(1_700_000_000.6)
    assert (reply.stratum, reply.leap, reply.mode) == (3, 0, 4)


def test_offset_and_delay_rfc5905() -> None:
    # Server 10 s ahead, 0.1 s each way, 0.05 s processing.
    offset, delay = ntp.offset_delay(100.0, 110.1, 110.15, 100.25)
    assert offset == pytest.approx(10.0)
    assert delay == pytest.approx(0.2)


@pytest.mark.parametrize(("data", "message"), [
    (b"\x24" * 47, "NTP packet is shorter than 48 bytes"),
    (ntp.build_request(0.0), "NTP packet is not a server reply"),
])
def test_malformed_replies_have_fixed_errors(data: bytes, message: str) -> None:
    with pytest.raises(ValueError) as info:
        ntp.parse_reply(data)
    assert str(info.value) == message


@given(st.binary(max_size=100))
def test_fuzz_parse_reply(data: bytes) -> None:
    try:
        ntp.parse_reply(data)
    except ValueError:
        pass


# --- exact values and both branches (mutation testing: docs/testing.md) ----------------------

def _reply(stratum: int = 2, receive_raw: int = 1, transmit_raw: int = 1) -> bytes:
    request = ntp.build_request(1_700_000_000.0)
    data = bytearray(ntp.build_reply(request, receive_s=1_700_000_000.5,
                                     transmit_s=1_700_000_000.6, stratum=stratum))
    struct.pack_into("!QQ", data, 32, receive_raw, transmit_raw)
    return bytes(data)


def test_reply_defaults_and_fields() -> None:
    request = ntp.build_request(1_700_000_000.0, version=3)
    assert request[0] == (0 << 6) | (3 << 3) | 3  # LI 0, version 3, mode 3 (client)
    reply = ntp.parse_reply(ntp.build_reply(request, receive_s=1_700_000_000.5,
                                            transmit_s=1_700_000_000.6))
    assert (reply.leap, reply.version, reply.mode, reply.stratum) == (0, 4, 4, 2)
    assert reply.origin_raw == ntp.request_transmit_raw(request)
    assert reply.ref_id == 0
    flagged = ntp.parse_reply(ntp.build_reply(request, receive_s=1.0e9, transmit_s=1.0e9,
                                              stratum=16, leap=3))
    assert (flagged.leap, flagged.stratum) == (3, 16)


@pytest.mark.parametrize(("stratum", "receive_raw", "transmit_raw", "valid"), [
    (2, 0, 1, False), (2, 1, 0, False), (2, 0, 0, False), (2, 1, 1, True),
    (0, 0, 0, True),  # a kiss-o'-death carries no time and is still a message
    (1, 0, 1, False), (1, 1, 1, True), (2, 2**64 - 1, 2**63, True),
])
def test_zero_timestamps(stratum: int, receive_raw: int, transmit_raw: int,
                         valid: bool) -> None:
    data = _reply(stratum, receive_raw, transmit_raw)
    if valid:
        assert ntp.parse_reply(data).stratum == stratum
    else:
        with pytest.raises(ValueError,
                           match="^NTP reply has a zero receive or transmit timestamp$"):
            ntp.parse_reply(data)


def test_short_packets_are_refused_with_their_reason() -> None:
    with pytest.raises(ValueError, match="^NTP packet is shorter than 48 bytes$"):
        ntp.request_transmit_raw(b"\x23" * 47)
    with pytest.raises(ValueError, match="^NTP packet is shorter than 48 bytes$"):
        ntp.parse_reply(b"\x24" * 47)
    assert ntp.request_transmit_raw(bytes(40) + b"\x00" * 7 + b"\x05") == 5

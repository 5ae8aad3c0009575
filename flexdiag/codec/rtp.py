"""RTP packets (RFC 3550 §5.1) carrying G.711 audio (ITU-T G.711, RFC 3551 §4.5.14), sans-I/O.

A test call sends 20 ms frames: 160 samples of 8 kHz audio, one byte each. The header is the
fixed 12 bytes (no CSRC, no extension on what we send; what we receive may carry both, and
padding, RFC 3550 §5.1). The encoders are the G.711 reference algorithms (the segment
search of Sun's g711.c, public domain), on a 1 kHz tone: audio a relay or phone would pass.
aiortc has the same in its RtpPacket and G.711 codec, at +136 MB and +170 ms import
(docs/architecture.md).
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

PCMU, PCMA = 0, 8  # RFC 3551 §6 static payload types
CLOCK_RATE = 8000
FRAME_SAMPLES = 160  # 20 ms
HEADER = struct.Struct("!BBHII")
VERSION = 2


@dataclass(frozen=True)
class RtpPacket:
    """What a receiver reads of one packet."""

    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    marker: bool
    payload: bytes


def build(payload_type: int, sequence: int, timestamp: int, ssrc: int, payload: bytes,
          marker: bool = False) -> bytes:
    """One RTP packet with the fixed header (V=2, no padding, extension or CSRC)."""
    return HEADER.pack(VERSION << 6, (int(marker) << 7) | (payload_type & 0x7F),
                       sequence & 0xFFFF, timestamp & 0xFFFFFFFF, ssrc & 0xFFFFFFFF) + payload


def parse(data: bytes) -> RtpPacket:
    """Parse a packet (RFC 3550 §5.1, with CSRC list, header extension and padding)."""
    if len(data) < HEADER.size:
        raise ValueError("shorter than an RTP header")
    first, second, sequence, timestamp, ssrc = HEADER.unpack_from(data)
    if first >> 6 != VERSION:
        raise ValueError("not RTP version 2")
    offset = HEADER.size + 4 * (first & 0x0F)
    if first & 0x10:  # §5.3.1 header extension: 16-bit profile, 16-bit length in words
        if len(data) < offset + 4:
            raise ValueError("RTP header extension cut off")
        offset += 4 + 4 * struct.unpack_from("!H", data, offset + 2)[0]
    end = len(data)
    if first & 0x20:  # padding: the last octet counts the padding octets
        end -= data[-1]
    if offset > end:
        raise ValueError("RTP header longer than the packet")
    payload_type = second & 0x7F
    if 72 <= payload_type <= 76:  # RFC 5761 §4: RTCP packet types 200-204 with the marker bit
        raise ValueError("an RTCP packet, not RTP")
    return RtpPacket(payload_type, sequence, timestamp, ssrc, bool(second & 0x80),
                     data[offset:end])


_SEG_UEND = (0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF)
_SEG_AEND = (0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF)
_BIAS = 0x84
_CLIP = 8159


def _segment(value: int, ends: tuple[int, ...]) -> int:
    for seg, end in enumerate(ends):
        if value <= end:
            return seg
    return 8


def ulaw(sample: int) -> int:
    """A 16-bit linear sample as a µ-law byte (G.711 §3)."""
    sample >>= 2  # 14-bit
    mask = 0xFF
    if sample < 0:
        sample, mask = -sample, 0x7F
    sample = min(sample, _CLIP) + (_BIAS >> 2)
    seg = _segment(sample, _SEG_UEND)
    if seg >= 8:
        return 0x7F ^ mask
    return ((seg << 4) | ((sample >> (seg + 1)) & 0x0F)) ^ mask


def alaw(sample: int) -> int:
    """A 16-bit linear sample as an A-law byte (G.711 §2)."""
    sample >>= 3  # 13-bit
    if sample >= 0:
        mask = 0xD5
    else:
        mask, sample = 0x55, -sample - 1
    seg = _segment(sample, _SEG_AEND)
    if seg >= 8:
        return 0x7F ^ mask
    value = (seg << 4) | ((sample >> (seg if seg >= 2 else 1)) & 0x0F)
    return value ^ mask


def tone(payload_type: int, frequency: float = 1000.0, level: float = 0.25) -> bytes:
    """One 20 ms frame of a sine tone, encoded for ``payload_type`` (PCMA or PCMU); 1 kHz
    repeats every 8 samples, so the same frame serves every packet."""
    encode = alaw if payload_type == PCMA else ulaw
    return bytes(encode(int(level * 32767 * math.sin(2 * math.pi * frequency * n / CLOCK_RATE)))
                 for n in range(FRAME_SAMPLES))

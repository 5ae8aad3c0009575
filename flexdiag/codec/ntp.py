"""NTP client mode (RFC 5905), sans-I/O, using ntplib's packet codec.

A client request carries a transmit timestamp; the server copies it into the reply's origin
timestamp, which is how a reply is matched to its request and a spoofed one rejected
(RFC 5905 §8, "bogus packet" test). Offset and delay follow RFC 5905 §8.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import ntplib

NTP_EPOCH_OFFSET_S = 2208988800  # seconds from 1900-01-01 to 1970-01-01
PACKET_LENGTH = 48
MODE_CLIENT = 3
MODE_SERVER = 4
LEAP_ALARM = 3  # RFC 5905 §7.3: clock unsynchronized
STRATUM_UNSYNC = 16


KISS_CODE_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


@dataclass(frozen=True)
class NtpReply:
    """The fields of a server reply that a diagnostic reads; times in Unix seconds."""

    leap: int
    version: int
    mode: int
    stratum: int
    origin_raw: int  # the 64-bit origin timestamp, exactly as sent by us
    receive_s: float
    transmit_s: float
    ref_id: int

    @property
    def kiss_code(self) -> str | None:
        """The kiss-o'-death code (RFC 5905 §7.4: stratum 0, the reference id as four ASCII
        letters, e.g. ``RATE``, ``DENY``); ``"????"`` when it is not readable text."""
        if self.stratum != 0:
            return None
        raw = self.ref_id.to_bytes(4, "big").rstrip(b"\0")
        return raw.decode("ascii") if raw and set(raw) <= KISS_CODE_CHARS else "????"

    @property
    def synchronised(self) -> bool:
        """A usable time source: not a kiss-o'-death, not leap 3 (alarm), stratum 1-15
        (RFC 5905 §7.3)."""
        return self.leap != LEAP_ALARM and 0 < self.stratum < STRATUM_UNSYNC


def to_ntp_raw(unix_s: float) -> int:
    """A Unix time as a 64-bit NTP timestamp (32.32 fixed point, RFC 5905 §6)."""
    return int(round((unix_s + NTP_EPOCH_OFFSET_S) * 2**32)) & 0xFFFFFFFFFFFFFFFF


def from_ntp_raw(raw: int) -> float:
    """A 64-bit NTP timestamp as Unix seconds."""
    return raw / 2**32 - NTP_EPOCH_OFFSET_S


def build_request(transmit_s: float, version: int = 4, nonce: int | None = None) -> bytes:
    """A client-mode request whose transmit timestamp is ``transmit_s`` (Unix seconds), or,
    given a 64-bit ``nonce``, that nonce instead.

    A client needs its send time only locally; the server merely copies the field into its
    reply's origin timestamp (RFC 5905 §8), which is how a client recognises its answer. A
    random value there (RFC 5905 §9.1 suggests at least random low-order bits; the NTP data
    minimisation draft, draft-ietf-ntp-data-minimization, a wholly random one) makes an
    off-path forger guess 64 bits instead of reading the clock, and tells nobody our time.
    """
    packet = ntplib.NTPPacket(version=version, mode=MODE_CLIENT)
    data = bytearray(packet.to_data())
    raw = nonce if nonce is not None else to_ntp_raw(transmit_s)
    struct.pack_into("!Q", data, 40, raw & 0xFFFF_FFFF_FFFF_FFFF)
    return bytes(data)


def request_transmit_raw(data: bytes) -> int:
    """The raw transmit timestamp of a request, as the server must echo it."""
    if len(data) < PACKET_LENGTH:
        raise ValueError("NTP packet is shorter than 48 bytes")
    return int(struct.unpack_from("!Q", data, 40)[0])


def parse_reply(data: bytes) -> NtpReply:
    """Parse a server reply; extension fields and MACs after 48 bytes are ignored."""
    if len(data) < PACKET_LENGTH:
        raise ValueError("NTP packet is shorter than 48 bytes")
    packet = ntplib.NTPPacket()
    packet.from_data(data[:PACKET_LENGTH])  # any 48 bytes unpack (ntplib refuses short ones)
    if packet.mode != MODE_SERVER:
        raise ValueError("NTP packet is not a server reply")
    receive_raw, transmit_raw = struct.unpack_from("!QQ", data, 32)
    # RFC 5905 §8 (packet sanity): a zero receive or transmit timestamp is invalid; only a
    # kiss-o'-death (stratum 0, §7.4) carries no usable time and is still a message.
    if packet.stratum != 0 and (receive_raw == 0 or transmit_raw == 0):
        raise ValueError("NTP reply has a zero receive or transmit timestamp")
    return NtpReply(
        leap=packet.leap,
        version=packet.version,
        mode=packet.mode,
        stratum=packet.stratum,
        origin_raw=int(struct.unpack_from("!Q", data, 24)[0]),
        receive_s=ntplib.ntp_to_system_time(packet.recv_timestamp),
        transmit_s=ntplib.ntp_to_system_time(packet.tx_timestamp),
        ref_id=packet.ref_id,
    )


def build_reply(
    request: bytes,
    *,
    receive_s: float,
    transmit_s: float,
    stratum: int = 2,
    leap: int = 0,
) -> bytes:
    """A server reply to ``request`` (for test servers): origin = the request's transmit."""
    packet = ntplib.NTPPacket(version=4, mode=MODE_SERVER)
    packet.stratum = stratum
    packet.leap = leap
    data = bytearray(packet.to_data())
    struct.pack_into("!Q", data, 24, request_transmit_raw(request))
    struct.pack_into("!Q", data, 32, to_ntp_raw(receive_s))
    struct.pack_into("!Q", data, 40, to_ntp_raw(transmit_s))
    return bytes(data)


def offset_delay(t1: float, t2: float, t3: float, t4: float) -> tuple[float, float]:
    """Clock offset and round-trip delay (RFC 5905 §8):
    offset = ((T2 - T1) + (T3 - T4)) / 2, delay = (T4 - T1) - (T3 - T2)."""
    return ((t2 - t1) + (t3 - t4)) / 2, (t4 - t1) - (t3 - t2)

"""SDP offers and answers for one audio stream (RFC 4566, RFC 3264), sans-I/O.

A test call offers G.711 A-law and µ-law (RFC 3551) on one RTP port; the answer (the platform's
relay may rewrite both: FAQ item 4, rtpengine's replace-origin) says where to send audio and
which payload type was chosen.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from flexdiag.codec.rtp import PCMA, PCMU

NAMES = {PCMA: "PCMA", PCMU: "PCMU"}


@dataclass(frozen=True)
class Media:
    """Where a party wants its audio, and the payload types it takes, in its order."""

    address: str
    port: int
    payload_types: tuple[int, ...]
    direction: str = "sendrecv"

    @property
    def codec(self) -> int | None:
        """The first payload type both sides can use (G.711 only here)."""
        return next((pt for pt in self.payload_types if pt in NAMES), None)


def build(address: str, port: int, payload_types: tuple[int, ...] = (PCMA, PCMU),
          session_id: int | None = None) -> bytes:
    """An SDP with one audio stream (RFC 4566 §5; ptime 20, RFC 4566 §6)."""
    family = "IP6" if ":" in address else "IP4"
    sid = session_id if session_id is not None else int.from_bytes(os.urandom(4), "big")
    lines = [
        "v=0",
        f"o=flexdiag {sid} {sid} IN {family} {address}",
        "s=flexdiag test call",
        f"c=IN {family} {address}",
        "t=0 0",
        f"m=audio {port} RTP/AVP {' '.join(map(str, payload_types))}",
        *(f"a=rtpmap:{pt} {NAMES[pt]}/8000" for pt in payload_types if pt in NAMES),
        "a=ptime:20",
        "a=sendrecv",
    ]
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


_DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")


def _sections(text: str) -> tuple[list[tuple[str, str]], list[list[tuple[str, str]]]]:
    """The session-level lines and each media section's lines, as (type, value) pairs."""
    session: list[tuple[str, str]] = []
    media: list[list[tuple[str, str]]] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        kind, eq, value = line.partition("=")
        if not eq:
            continue
        if kind == "m":
            media.append([])
        (media[-1] if media else session).append((kind, value))
    return session, media


def _connection(lines: list[tuple[str, str]]) -> str | None:
    for kind, value in lines:
        fields = value.split()
        if kind == "c" and len(fields) >= 3:
            return fields[2].split("/")[0]
    return None


def _direction(lines: list[tuple[str, str]], default: str) -> str:
    return next((v for k, v in lines if k == "a" and v in _DIRECTIONS), default)


def parse(body: bytes) -> Media:
    """The first audio stream of an SDP: its connection address (media-level ``c=`` before
    session-level, RFC 4566 §5.7), port, payload types and direction (RFC 3264 §5.1)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("SDP is not UTF-8") from None
    session, sections = _sections(text)
    for lines in sections:
        fields = lines[0][1].split()
        if len(fields) < 3 or fields[0] != "audio":
            continue
        if not fields[1].isascii() or not fields[1].isdigit() or int(fields[1]) > 65535:
            raise ValueError("SDP media port is not a port number")
        address = _connection(lines) or _connection(session)
        if address is None:
            raise ValueError("SDP has no connection address for its audio")
        types = tuple(int(f) for f in fields[3:] if f.isascii() and f.isdigit())
        return Media(address, int(fields[1]), types,
                     _direction(lines, _direction(session, "sendrecv")))
    raise ValueError("SDP has no audio stream")

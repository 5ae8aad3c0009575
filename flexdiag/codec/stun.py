"""STUN (RFC 8489) messages, wrapping ``aioice.stun`` at one boundary.

aioice 0.13's codec is internal API: it does not check the magic cookie, lets ``struct.error``
escape on a truncated attribute and knows no RESPONSE-PORT or PADDING (RFC 5780). This module is
the only importer of ``aioice``; it adds those checks so that callers see a :class:`ValueError`
with a fixed message for any malformed datagram.
"""

from __future__ import annotations

import ipaddress
import os
import struct
from dataclasses import dataclass
from typing import Any

from aioice import stun as _stun

from flexdiag.addr import valid_port

COOKIE = _stun.COOKIE  # RFC 8489 §5: magic cookie 0x2112A442
HEADER_LENGTH = _stun.HEADER_LENGTH

# RFC 5780 §7.2 CHANGE-REQUEST flags.
CHANGE_IP = 0x04
CHANGE_PORT = 0x02
# RFC 5780 §7.5 RESPONSE-PORT: unknown to aioice, so encoded and decoded here.
RESPONSE_PORT = 0x0027


@dataclass(frozen=True)
class StunRequest:
    """A parsed Binding request (for test servers)."""

    transaction_id: bytes
    change: int  # CHANGE-REQUEST flags, 0 when absent
    response_port: int | None  # RESPONSE-PORT, when present


@dataclass(frozen=True)
class StunResponse:
    """A parsed Binding success or error response."""

    transaction_id: bytes
    is_error: bool
    mapped: tuple[str, int] | None
    """XOR-MAPPED-ADDRESS, or MAPPED-ADDRESS from an RFC 3489 server (RFC 8489 §14.1-14.2)."""
    xor_mapped: bool
    other_address: tuple[str, int] | None  # RFC 5780 §7.4
    response_origin: tuple[str, int] | None  # RFC 5780 §7.3
    error_code: int | None
    error_reason: str | None
    software: str | None


def new_transaction_id() -> bytes:
    """96 random bits (RFC 8489 §6: uniformly and randomly chosen)."""
    return os.urandom(12)


def build_binding_request(
    transaction_id: bytes,
    *,
    change_ip: bool = False,
    change_port: bool = False,
    response_port: int | None = None,
) -> bytes:
    """A Binding request (RFC 8489 §6.1), optionally with CHANGE-REQUEST (RFC 5780 §7.2) or
    RESPONSE-PORT (RFC 5780 §7.5: answer to this port of my public address)."""
    if len(transaction_id) != 12:
        raise ValueError("STUN transaction ID must be 12 bytes")
    message = _stun.Message(
        message_method=_stun.Method.BINDING,
        message_class=_stun.Class.REQUEST,
        transaction_id=transaction_id,
    )
    if change_ip or change_port:
        message.attributes["CHANGE-REQUEST"] = (CHANGE_IP if change_ip else 0) | (
            CHANGE_PORT if change_port else 0
        )
    data = bytes(message)
    if response_port is not None:
        # RFC 5780 §7.5: a 16-bit port and 2 bytes of padding.
        data += struct.pack("!HHHH", RESPONSE_PORT, 4, response_port, 0)
        data = data[:2] + struct.pack("!H", len(data) - HEADER_LENGTH) + data[4:]
    # RFC 8489 §14.7: FINGERPRINT last, to tell STUN apart from other protocols.
    fingerprint = _stun.message_fingerprint(data)
    data += struct.pack("!HHI", 0x8028, 4, fingerprint)
    return data[:2] + struct.pack("!H", len(data) - HEADER_LENGTH) + data[4:]


def build_binding_response(
    transaction_id: bytes,
    mapped: tuple[str, int],
    *,
    other_address: tuple[str, int] | None = None,
    response_origin: tuple[str, int] | None = None,
) -> bytes:
    """A Binding success response; used by test servers and benchmarks."""
    message = _stun.Message(
        message_method=_stun.Method.BINDING,
        message_class=_stun.Class.RESPONSE,
        transaction_id=transaction_id,
    )
    message.attributes["XOR-MAPPED-ADDRESS"] = mapped
    if response_origin:
        message.attributes["RESPONSE-ORIGIN"] = response_origin
    if other_address:
        message.attributes["OTHER-ADDRESS"] = other_address
    message.add_fingerprint()
    return bytes(message)


def parse_binding_request(data: bytes) -> StunRequest:
    """A Binding request's transaction ID, CHANGE-REQUEST and RESPONSE-PORT; for test
    servers."""
    message = _parse(data)
    if message.message_class != _stun.Class.REQUEST:
        raise ValueError("STUN message is not a request")
    response_port = None
    pos = HEADER_LENGTH
    while pos + 4 <= len(data):
        attr_type, attr_len = struct.unpack("!HH", data[pos:pos + 4])
        if attr_type == RESPONSE_PORT and attr_len >= 2:
            response_port = struct.unpack("!H", data[pos + 4:pos + 6])[0]
        pos += 4 + attr_len + (-attr_len % 4)
    return StunRequest(bytes(message.transaction_id),
                       int(message.attributes.get("CHANGE-REQUEST", 0)), response_port)


def _parse(data: bytes) -> _stun.Message:
    if len(data) < HEADER_LENGTH:
        raise ValueError("STUN message length is less than 20 bytes")
    # RFC 8489 §5: the two most significant bits are zero, the cookie is fixed and the
    # length counts whole 32-bit words after the header.
    if data[0] & 0xC0:
        raise ValueError("STUN message does not start with two zero bits")
    length, cookie = struct.unpack("!HI", data[2:8])
    if cookie != COOKIE:
        raise ValueError("STUN message has a wrong magic cookie")
    if length % 4:
        raise ValueError("STUN message length is not a multiple of 4")
    try:
        return _stun.parse_message(data)
    except ValueError as exc:
        raise ValueError(_fixed(str(exc))) from None
    except (struct.error, UnicodeDecodeError, IndexError):
        raise ValueError("STUN attribute is truncated or malformed") from None


def _fixed(message: str) -> str:
    # aioice's own messages are fixed strings, except enum errors ("5 is not a valid Method").
    return "STUN message has an unknown method" if "is not a valid" in message else message


def usable_address(addr: tuple[Any, Any]) -> bool:
    """A transport address a peer may name: a unicast, specified IP and a port 1-65535."""
    try:
        ip = ipaddress.ip_address(str(addr[0]))
    except ValueError:
        return False
    return not (ip.is_unspecified or ip.is_multicast) and valid_port(int(addr[1]))


def _usable_or_none(addr: tuple[Any, Any] | None) -> tuple[str, int] | None:
    return (str(addr[0]), int(addr[1])) if addr is not None and usable_address(addr) else None


def parse_binding_response(data: bytes) -> StunResponse:
    """Parse a Binding success or error response (RFC 8489 §6.3)."""
    message = _parse(data)
    if message.message_method != _stun.Method.BINDING:
        raise ValueError("STUN message is not a Binding")
    if message.message_class not in (_stun.Class.RESPONSE, _stun.Class.ERROR):
        raise ValueError("STUN message is not a response")
    attrs = message.attributes
    xor_mapped = "XOR-MAPPED-ADDRESS" in attrs
    mapped = attrs.get("XOR-MAPPED-ADDRESS") or attrs.get("MAPPED-ADDRESS")
    error = attrs.get("ERROR-CODE")
    is_error = message.message_class == _stun.Class.ERROR
    if not is_error and mapped is None:
        raise ValueError("STUN Binding response has no mapped address")
    if mapped is not None and not usable_address(mapped):
        raise ValueError("STUN mapped address is impossible (unspecified, multicast or port 0)")
    return StunResponse(
        transaction_id=bytes(message.transaction_id),
        is_error=is_error,
        mapped=(str(mapped[0]), int(mapped[1])) if mapped else None,
        xor_mapped=xor_mapped,
        # Addresses flexdiag would send to: an impossible one is as good as absent.
        other_address=_usable_or_none(attrs.get("OTHER-ADDRESS") or attrs.get("CHANGED-ADDRESS")),
        response_origin=_usable_or_none(attrs.get("RESPONSE-ORIGIN")
                                        or attrs.get("SOURCE-ADDRESS")),
        error_code=error[0] if error else None,
        error_reason=error[1] if error else None,
        software=attrs.get("SOFTWARE"),
    )

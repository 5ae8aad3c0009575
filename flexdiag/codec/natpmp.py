"""NAT-PMP's external address request and response (RFC 6886 §3.2), sans-I/O.

The gateway's own view of its internet side: the request is two bytes (version 0, opcode 0),
sent to the default gateway's port 5351; the response carries a result code and the gateway's
external IPv4 address. A PCP server (RFC 6887 §9) answers a version-0 request with its own
version (2) and UNSUPP_VERSION, which says "PCP here" (read as such, not as an error).
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass

PORT = 5351  # RFC 6886 §3.1
REQUEST = b"\x00\x00"  # version 0, opcode 0: external address
RESULTS = {0: "success", 1: "unsupported version", 2: "not authorized/refused",
           3: "network failure", 4: "out of resources", 5: "unsupported opcode"}
PCP_VERSION = 2


@dataclass(frozen=True)
class ExternalAddress:
    """A gateway's answer: the result code, seconds since its mappings were reset, and (on
    success) its external address. ``pcp``: a PCP server answered instead."""

    result: int
    epoch_s: int = 0
    address: str | None = None
    pcp: bool = False


def parse(data: bytes) -> ExternalAddress:
    """A response to :data:`REQUEST` (RFC 6886 §3.2; RFC 6887 §9 for a PCP server's)."""
    if len(data) >= 4 and data[0] == PCP_VERSION:
        return ExternalAddress(result=data[3], pcp=True)  # PCP: result code at offset 3
    if len(data) < 8 or data[0] != 0 or data[1] != 128:
        raise ValueError("not a NAT-PMP external address response")
    result, epoch = struct.unpack_from("!HI", data, 2)
    if result != 0:
        return ExternalAddress(result, epoch)
    if len(data) < 12:
        raise ValueError("NAT-PMP success without an address")
    return ExternalAddress(0, epoch, str(ipaddress.IPv4Address(data[8:12])))

"""Transport addresses as evidence writes them: pure helpers shared by every layer."""

from __future__ import annotations

import ipaddress

Addr = tuple[str, int]


MIN_PORT, MAX_PORT = 1, 65535  # a UDP port a packet can carry (port 0 is "any")


def valid_port(port: int) -> bool:
    """A port number a datagram can be sent to or from: 1-65535."""
    return MIN_PORT <= port <= MAX_PORT


def format_addr(addr: tuple[str, int], default_port: int | None = None) -> str:
    """``"host:port"``, with brackets for an IPv6 literal, as evidence and settings are
    written; the host alone when the port is ``default_port`` (as a phone's field takes it)."""
    host, port = addr[0], addr[1]
    if port == default_port:
        return host
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def same_ip(a: str, b: str) -> bool:
    """Equal addresses, whatever their spelling."""
    try:
        return ipaddress.ip_address(a) == ipaddress.ip_address(b)
    except ValueError:
        return a == b


def same_addr(a: Addr, b: Addr) -> bool:
    """Equal IP and port."""
    return same_ip(a[0], b[0]) and a[1] == b[1]

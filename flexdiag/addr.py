"""Transport addresses as evidence writes them: pure helpers shared by every layer."""

from __future__ import annotations

import ipaddress

Addr = tuple[str, int]


def format_addr(addr: Addr) -> str:
    """``"ip:port"``, with brackets for IPv6, as evidence is written."""
    host, port = addr[0], addr[1]
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

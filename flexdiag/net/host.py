"""What support asks about the machine a report came from: OS, the interface and address that
reach the platform, the default gateway (and its MAC address where the neighbour table shows
it). Read from the OS (Linux ``/proc``; elsewhere the fields stay ``None``), never guessed."""

from __future__ import annotations

import platform
import socket
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from flexdiag.records import HostNetwork

SECRET_OPTIONS = ("--password", "--pushgateway-password", "--basic-auth")
OUI_FILE = Path("/usr/share/ieee-data/oui.txt")  # Debian's ieee-data: the IEEE's MA-L list


def _default_route(proc: Path) -> tuple[str | None, str | None]:
    """(interface, gateway IP) of the IPv4 default route, from ``/proc/net/route``."""
    try:
        lines = (proc / "net" / "route").read_text().splitlines()[1:]
    except OSError:
        return None, None
    for line in lines:
        fields = line.split()
        if len(fields) > 2 and fields[1] == "00000000":
            gateway = socket.inet_ntoa(struct.pack("<L", int(fields[2], 16)))
            return fields[0], gateway
    return None, None


def _neighbour_mac(proc: Path, ip: str | None) -> str | None:
    if ip is None:
        return None
    try:
        lines = (proc / "net" / "arp").read_text().splitlines()[1:]
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        if len(fields) > 3 and fields[0] == ip and fields[3] != "00:00:00:00:00:00":
            return fields[3]
    return None


CONTAINER_MARKERS = (Path("/.dockerenv"), Path("/run/.containerenv"))


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None


def network(local_ip: str | None, proc: Path = Path("/proc"), sys: Path = Path("/sys"),
            markers: Sequence[Path] = CONTAINER_MARKERS) -> HostNetwork:
    """Where this computer sits (``host.network``): the default route's interface, its ARPHRD
    type and MAC (``/sys/class/net``), the gateway and its MAC, container and WSL hints."""
    interface, gateway = _default_route(proc)
    if_type = own_mac = None
    if interface is not None and "/" not in interface:
        raw = _read(sys / "class" / "net" / interface / "type")
        if_type = int(raw) if raw is not None and raw.isdigit() else None
        own_mac = _read(sys / "class" / "net" / interface / "address")
    release = (_read(proc / "sys" / "kernel" / "osrelease") or "").lower()
    return HostNetwork(
        interface=interface, if_type=if_type, own_mac=own_mac, gateway=gateway,
        gateway_mac=_neighbour_mac(proc, gateway), local_ip=local_ip,
        container=next((str(m) for m in markers if m.exists()), None),
        wsl="microsoft" in release or "wsl" in release)


def vendor(mac: str | None, oui_file: Path = OUI_FILE) -> str | None:
    """The maker of a network device, from its MAC's first three bytes (the IEEE's OUI
    list, where the system has it; the file is scanned line by line, never loaded whole)."""
    if mac is None:
        return None
    prefix = mac.upper().replace(":", "-")[:8]
    try:
        with open(oui_file, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith(prefix) and "(hex)" in line:
                    return line.split("(hex)", 1)[1].strip() or None
    except OSError:
        return None
    return None


def safe_argv(argv: Sequence[str]) -> list[str]:
    """The command line without the values of options that carry secrets."""
    out: list[str] = []
    hide = False
    for arg in argv:
        if hide:
            out.append("[hidden]")
            hide = False
        elif arg.split("=", 1)[0] in SECRET_OPTIONS:
            hide = "=" not in arg
            out.append(arg.split("=", 1)[0] + ("=[hidden]" if "=" in arg else ""))
        else:
            out.append(arg)
    return out


def environment(version: str, argv: Sequence[str], local_ip: str | None,
                proc: Path = Path("/proc"), oui_file: Path = OUI_FILE) -> dict[str, Any]:
    """design.md's top-level ``environment`` object."""
    interface, gateway = _default_route(proc)
    mac = _neighbour_mac(proc, gateway)
    return {
        "flexdiag_version": version,
        "argv": safe_argv(argv),
        "os": platform.platform(),
        "interface": interface,
        "local_ip": local_ip,
        "gateway_ip": gateway,
        "gateway_mac": mac,
        "gateway_vendor": vendor(mac, oui_file),
    }

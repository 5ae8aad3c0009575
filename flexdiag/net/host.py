"""What support asks about the machine a report came from: OS, the interface and address that
reach the platform, the default gateway (and its MAC address where the neighbour table shows
it). Read from the OS, never guessed: Linux's ``/proc`` and ``/sys``; elsewhere (or with
``FLEXDIAG_PORTABLE=1``) the OS's own tools where present (``ip``, ``route``/``netstat``,
``arp``), else the fields stay ``None``."""

from __future__ import annotations

import functools
import platform
import re
import shutil
import socket
import struct
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from flexdiag.net import capability
from flexdiag.records import HostNetwork

SECRET_OPTIONS = ("--password", "--pushgateway-password", "--basic-auth")
OUI_FILE = Path("/usr/share/ieee-data/oui.txt")  # Debian's ieee-data: the IEEE's MA-L list


PROC = Path("/proc")
TOOL_TIMEOUT_S = 2.0


def _tool(argv: list[str]) -> str:
    """A route or neighbour tool's output ("" when it is missing, fails or hangs)."""
    if shutil.which(argv[0]) is None:
        return ""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S,
                              stdin=subprocess.DEVNULL, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout if done.returncode == 0 else ""


_IPV4 = r"(\d{1,3}(?:\.\d{1,3}){3})"


def parse_ip_route(text: str) -> tuple[str | None, str | None]:
    """``ip -4 route show default``: ``default via 192.168.1.1 dev eth0 ...``."""
    match = re.search(rf"^default via {_IPV4} dev (\S+)", text, re.MULTILINE)
    return (match.group(2), match.group(1)) if match else (None, None)


def parse_bsd_route(text: str) -> tuple[str | None, str | None]:
    """macOS/BSD ``route -n get default``: ``gateway: 192.168.1.1`` and ``interface: en0``."""
    gateway = re.search(rf"^\s*gateway: {_IPV4}\s*$", text, re.MULTILINE)
    interface = re.search(r"^\s*interface: (\S+)", text, re.MULTILINE)
    return (interface.group(1) if interface else None, gateway.group(1) if gateway else None)


def parse_windows_route(text: str) -> tuple[str | None, str | None]:
    """Windows ``route print -4 0.0.0.0``: ``0.0.0.0  0.0.0.0  GATEWAY  INTERFACE-IP  METRIC``
    (the interface is named by its address)."""
    match = re.search(rf"^\s*0\.0\.0\.0\s+0\.0\.0\.0\s+{_IPV4}\s+{_IPV4}", text,
                      re.MULTILINE)
    return (match.group(2), match.group(1)) if match else (None, None)


def parse_neighbour(text: str, ip: str) -> str | None:
    """A MAC address for ``ip`` in ``ip neigh``, ``arp -n`` (BSD) or ``arp -a`` (Windows)
    output, with colons."""
    for line in text.splitlines():
        if ip not in re.split(r"[\s()]+", line):
            continue
        match = re.search(r"([0-9a-fA-F]{1,2}([:-])(?:[0-9a-fA-F]{1,2}\2){4}[0-9a-fA-F]{1,2})",
                          line)
        if match:
            return ":".join(f"{int(b, 16):02x}" for b in re.split("[:-]", match.group(1)))
    return None


def _route_tools() -> tuple[str | None, str | None]:
    """(interface, gateway) from the OS's own route tools, the first that answers."""
    for argv, parse in ((["ip", "-4", "route", "show", "default"], parse_ip_route),
                        (["route", "-n", "get", "default"], parse_bsd_route),
                        (["route", "print", "-4", "0.0.0.0"], parse_windows_route)):
        interface, gateway = parse(_tool(argv))
        if gateway is not None:
            return interface, gateway
    return None, None


def _neighbour_tools(ip: str | None) -> str | None:
    if ip is None:
        return None
    for argv in (["ip", "neigh", "show", ip], ["arp", "-n", ip], ["arp", "-a", ip]):
        mac = parse_neighbour(_tool(argv), ip)
        if mac is not None and mac != "00:00:00:00:00:00":
            return mac
    return None


def _route_and_gateway_mac(proc: Path) -> tuple[str | None, str | None, str | None]:
    """(interface, gateway, gateway MAC): from ``proc`` where this OS has it (or a test gives
    one), else from the OS's tools."""
    if proc != PROC or capability.procfs():
        interface, gateway = _default_route(proc)
        return interface, gateway, _neighbour_mac(proc, gateway)
    interface, gateway = _route_tools()
    return interface, gateway, _neighbour_tools(gateway)


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


def network(local_ip: str | None, proc: Path = PROC, sys: Path = Path("/sys"),
            markers: Sequence[Path] = CONTAINER_MARKERS) -> HostNetwork:
    """Where this computer sits (``host.network``): the default route's interface, its ARPHRD
    type and MAC (``/sys/class/net``), the gateway and its MAC, container and WSL hints."""
    interface, gateway, gateway_mac = _route_and_gateway_mac(proc)
    if_type = own_mac = None
    if interface is not None and "/" not in interface and (proc != PROC or capability.procfs()):
        raw = _read(sys / "class" / "net" / interface / "type")
        if_type = int(raw) if raw is not None and raw.isdigit() else None
        own_mac = _read(sys / "class" / "net" / interface / "address")
    release = (_read(proc / "sys" / "kernel" / "osrelease") or "").lower()
    return HostNetwork(
        interface=interface, if_type=if_type, own_mac=own_mac, gateway=gateway,
        gateway_mac=gateway_mac, gateway_vendor=vendor(gateway_mac), local_ip=local_ip,
        container=next((str(m) for m in markers if m.exists()), None),
        wsl="microsoft" in release or "wsl" in release)


@functools.lru_cache(maxsize=16)
def vendor(mac: str | None, oui_file: Path = OUI_FILE) -> str | None:
    """The maker of a network device, from its MAC's first three bytes: the IEEE's OUI list
    where the system has it (scanned line by line, never loaded whole), else the routers'
    makers flexdiag carries (``flexdiag/data/router-ouis.tsv``, from the same list)."""
    try:
        if mac is None or int(mac[:2], 16) & 0x02:
            return None  # locally administered (bit 1 of the first octet): no maker's OUI
    except ValueError:
        return None
    prefix = mac.upper().replace(":", "-")[:8]
    try:
        with open(oui_file, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith(prefix) and "(hex)" in line:
                    return line.split("(hex)", 1)[1].strip() or None
        return None  # the full list is there and does not know it
    except OSError:
        return _carried_vendor(prefix.replace("-", ""))


def _carried_vendor(oui: str) -> str | None:
    from importlib import resources

    try:
        text = resources.files("flexdiag").joinpath("data/router-ouis.tsv").read_text("utf-8")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(oui + "\t"):
            return line.split("\t", 1)[1] or None
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
                proc: Path = PROC, oui_file: Path = OUI_FILE) -> dict[str, Any]:
    """design.md's top-level ``environment`` object."""
    interface, gateway, mac = _route_and_gateway_mac(proc)
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

"""Is flexdiag where the phones are? Pure: from the default route's interface, the gateway and
their MAC addresses (``flexdiag.records.HostNetwork``).

A run inside a container's NAT (Docker's bridge, Docker Desktop's VM, Podman, rootless
slirp4netns), inside WSL2's NAT, or through a VPN tunnel measures that NAT or that tunnel, not
the customer's router: every other verdict is then about the wrong box.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from dataclasses import dataclass

# ARPHRD types (linux/if_arp.h) of tunnels: PPP, IPIP, SIT, GRE, and NONE (tun, WireGuard).
TUNNEL_TYPES = {512: "PPP", 768: "IPIP", 776: "SIT", 778: "GRE", 65534: "tun/WireGuard"}
TUNNEL_NAMES = re.compile(r"^(tun|tap|wg|utun|ppp|ipsec|vpn|tailscale|zt|nordlynx|proton|"
                          r"gpd|cscotun|ztun)[0-9a-z-]*$", re.IGNORECASE)
DOCKER_MAC = "02:42:"  # Docker's bridges and containers (locally administered, 02:42:...)
DOCKER_DESKTOP = ipaddress.IPv4Network("192.168.65.0/24")  # Docker Desktop's VM network
PODMAN = ipaddress.IPv4Network("10.88.0.0/16")  # Podman's default bridge
SLIRP_IP = "10.0.2.100"  # rootless containers' slirp4netns (tap0)


@dataclass(frozen=True)
class HostNetwork:
    """Where this computer sits on the network: the default route's interface (its name and
    ARPHRD type, its MAC), the gateway and its MAC, the local address towards the platform,
    and hints of a container or WSL. ``None`` where the OS did not say."""

    interface: str | None = None
    if_type: int | None = None  # /sys/class/net/IF/type: 1 Ethernet, 65534 tun/WireGuard, ...
    own_mac: str | None = None
    gateway: str | None = None
    gateway_mac: str | None = None
    local_ip: str | None = None
    container: str | None = None  # the marker file found (/.dockerenv, /run/.containerenv)
    wsl: bool = False  # the Linux kernel of WSL (Microsoft's, with its own NAT by default)
    gateway_vendor: str | None = None  # the gateway's maker, from its MAC (IEEE OUI)


class Where(enum.StrEnum):
    LAN = "lan"  # on a network of its own: the customer's (as far as one can tell)
    CONTAINER = "container"  # behind a container runtime's NAT
    WSL = "wsl"  # behind WSL2's NAT
    VPN = "vpn"  # the default route goes through a tunnel
    UNKNOWN = "unknown"  # no default route could be read


@dataclass(frozen=True)
class Placement:
    where: Where
    kind: str  # which one: "docker", "docker-desktop", "podman", "slirp4netns", "wsl2", a
    # tunnel type or name; "" for the LAN


def _in(ip: str | None, net: ipaddress.IPv4Network) -> bool:
    try:
        return ip is not None and ipaddress.ip_address(ip) in net
    except ValueError:
        return False


def _container(host: HostNetwork) -> str | None:
    macs = [m.lower() for m in (host.gateway_mac, host.own_mac) if m]
    if any(m.startswith(DOCKER_MAC) for m in macs):
        return "docker"
    if host.container and _in(host.local_ip, DOCKER_DESKTOP):
        return "docker-desktop"
    if host.container and _in(host.local_ip, PODMAN):
        return "podman"
    if host.local_ip == SLIRP_IP and (host.interface or "").startswith("tap"):
        return "slirp4netns"
    return None


def classify(host: HostNetwork) -> Placement:
    """Container first (a rootless container's tap0 is no VPN), then WSL, then a tunnel."""
    if host.interface is None:
        return Placement(Where.UNKNOWN, "")
    container = _container(host)
    if container:
        return Placement(Where.CONTAINER, container)
    if host.wsl:
        return Placement(Where.WSL, "wsl2")
    if host.if_type in TUNNEL_TYPES:
        return Placement(Where.VPN, f"{host.interface}, {TUNNEL_TYPES[host.if_type]}")
    if TUNNEL_NAMES.match(host.interface):
        return Placement(Where.VPN, host.interface)
    return Placement(Where.LAN, "")

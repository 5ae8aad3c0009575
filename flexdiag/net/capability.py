"""What this operating system lets flexdiag do, chosen by capability, never by name.

- **ICMP errors on unconnected sockets** (``IP_RECVERR``, Linux's ip(7)): each error says which
  destination failed, so a closed port ends only the exchange that sent to it, at once; the
  TTL-limited probes of ``media.ports`` and ``nat.upstream`` read who sent a time-exceeded.
  Without it (macOS, Windows, BSD), an error the OS reports on the socket (Windows' WSAECONNRESET
  on an unconnected socket, kept on with SIO_UDP_CONNRESET where the OS has that switch: it
  means "a previous send drew an ICMP port unreachable") ends the one exchange it can belong
  to, silence ends the others
  (at the run's evidence-based silence, flexdiag.net.flows), and the TTL-limited probes say
  they were not measured.
- **/proc and /sys** (Linux): the default route, its interface and type, the gateway's MAC.
  Without them: the OS's own route tool where present (``ip route``, ``route -n get default``,
  ``netstat -rn``, ``route print``), else "not determined".

``FLEXDIAG_PORTABLE=1`` makes a Linux machine take the paths of an OS without either, so that
the test suite runs its verdict tests once more as flexdiag would run on a laptop elsewhere.
"""

from __future__ import annotations

import os
import socket
import sys
from typing import Any


def portable() -> bool:
    """``FLEXDIAG_PORTABLE=1``: behave as on an OS without IP_RECVERR and /proc."""
    return os.environ.get("FLEXDIAG_PORTABLE", "").strip() not in ("", "0")


def error_queue() -> bool:
    """Can ICMP errors be read, with their destination and sender, on an unconnected UDP
    socket (IP_RECVERR and MSG_ERRQUEUE)?"""
    return not portable() and sys.platform.startswith("linux")


def report_port_unreachable(sock: Any) -> bool:
    """Where the OS has a switch for it (Windows' SIO_UDP_CONNRESET, by its presence in the
    socket module, not by the platform's name), keep reporting ICMP port unreachable on the UDP
    socket as WSAECONNRESET: it is on by default, turned on again here in case a policy or a
    layered provider turned it off. True when it was set."""
    control = getattr(socket, "SIO_UDP_CONNRESET", None)
    ioctl = getattr(sock, "ioctl", None)
    if control is None or ioctl is None:
        return False
    try:
        ioctl(control, True)
    except OSError:
        return False
    return True


def procfs() -> bool:
    """Are Linux's /proc and /sys there to read the routing table from?"""
    return not portable() and os.path.exists("/proc/net/route")

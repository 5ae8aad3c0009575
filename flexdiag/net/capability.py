"""What this operating system lets flexdiag do, chosen by capability, never by name.

- **ICMP errors on unconnected sockets** (``IP_RECVERR``, Linux's ip(7)): each error says which
  destination failed, so a closed port ends only the exchange that sent to it, at once; the
  TTL-limited probes of ``media.ports`` and ``nat.upstream`` read who sent a time-exceeded.
  Without it (macOS, Windows, BSD), an error the OS reports on the socket (Windows' WSAECONNRESET
  on an unconnected socket) ends the one exchange it can belong to, silence ends the others
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
import sys


def portable() -> bool:
    """``FLEXDIAG_PORTABLE=1``: behave as on an OS without IP_RECVERR and /proc."""
    return os.environ.get("FLEXDIAG_PORTABLE", "").strip() not in ("", "0")


def error_queue() -> bool:
    """Can ICMP errors be read, with their destination and sender, on an unconnected UDP
    socket (IP_RECVERR and MSG_ERRQUEUE)?"""
    return not portable() and sys.platform.startswith("linux")


def procfs() -> bool:
    """Are Linux's /proc and /sys there to read the routing table from?"""
    return not portable() and os.path.exists("/proc/net/route")

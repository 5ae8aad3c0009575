"""The local ports of the quick run: the same ones run after run.

A NAT entry is keyed by the flow's addresses and ports (RFC 4787 §4.1, "mapping"; Linux's
conntrack tuple). A run that sends from the ports the previous run used rides the entries that
run made instead of needing new ones, so a router whose table is nearly full (FAQ item 6) does
not refuse a second run that the first passed, and a scheduled health check does not add a
dozen entries to the customer's table every few minutes. It is also what a phone does: it sends
from the same port for weeks.

Measurements that need a *fresh* mapping keep ephemeral ports: the lifetime probe (a mapping
made now, then left quiet) and the capacity probe (new flows are what it measures). The phones'
own port (``--local-sip-port``) is a setting of its own. DNS is the one exception to the
stable ports: its answers decide where every other probe goes, so its flow leaves from a random
port every run (RFC 5452 §9.2, against off-path forgery); that costs one entry per run, which
the previous run's DNS entry gives back when it expires.

The ports lie below Linux's ephemeral range (32768-60999 by default), so the kernel does not
hand them to other programs' sockets; one that is in use (another run at the same moment, or
another program) falls back to an ephemeral port for that run.
"""

from __future__ import annotations

import errno
import random
from enum import Enum

from flexdiag.settings import OWN_PORTS
from flexdiag.vocab import MEDIA_PORTS

RTP_PORT_TRIES = 8  # random ports of the phones' RTP range tried before an ephemeral one


class Role(Enum):
    """A socket of the quick run, and its offset from :data:`BASE`."""

    # 0 was DNS's; DNS now takes a random port every run (flexdiag.net.dns).
    PRIMARY = 1  # STUN test I, the RFC 5780 mapping tests and SIP OPTIONS
    FILTERING = 2  # RFC 5780 §4.4: only ever sends to the STUN server's primary address
    NTP = 3
    PRESERVATION = 4  # ... to 4 + PRESERVATION_SOCKETS - 1: the port-preservation sockets
    UPSTREAM = 7  # nat.upstream's TTL-limited Bindings towards the STUN server


BASE = OWN_PORTS.start - 1  # Role offsets start at 1 (0 was DNS's)
PRESERVATION_SOCKETS = 3  # besides the primary socket, as several phones would open


def stable_port(role: Role, index: int = 0) -> int:
    """The local port ``role`` uses (``index``: which of several sockets of that role)."""
    return BASE + role.value + index


# bind() errors after which an ephemeral port is taken instead of the stable one.
FALL_BACK = frozenset({errno.EADDRINUSE, errno.EACCES})


def socket_failure(code: int | None) -> str:
    """What a socket error on *this computer* means, as a kind the checks word: ``no-fds``
    (the process's or the system's open-file limit: EMFILE, ENFILE, ENOBUFS), ``denied`` (a
    privileged port without the rights: EACCES, EPERM), ``in-use`` (another socket holds the
    port: EADDRINUSE) or ``other``. None of them is the router's doing."""
    if code in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
        return "no-fds"
    if code in (errno.EACCES, errno.EPERM):
        return "denied"
    if code == errno.EADDRINUSE:
        return "in-use"
    return "other"


def rtp_ports(tries: int = RTP_PORT_TRIES) -> list[int]:
    """Local ports to try, in order, for a socket that stands in for a phone's RTP: ``tries``
    random even ports of the phones' range (FAQ item 4: RTP on an even port, RFC 3550 §11),
    then 0 (an ephemeral port) when all of them are taken."""
    low, high = MEDIA_PORTS
    return [*random.sample(range(low, high, 2), tries), 0]

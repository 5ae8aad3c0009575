"""Real servers from Debian packages on loopback addresses 127.77.0.x: coturn (STUN, RFC 5780
with two addresses), kamailio (SIP OPTIONS on 5060 and 38388), chrony (NTP) and dnsmasq (DNS)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.daemons import (
    Daemon,
    chrony_argv,
    coturn_argv,
    dnsmasq_argv,
    kamailio_argv,
    ntp_synced,
    require,
    udp_bound,
)

STUN_IPS = ("127.77.0.1", "127.77.0.2")
SIP_IP = "127.77.0.3"
NTP_IP, NTP_PORT = "127.77.0.4", 11123
DNS_IP, DNS_PORT = "127.77.0.5", 5353
# CNAME chains (issue #21): 20 links from long.test.invalid (dnsmasq answers the first 16 and
# leaves the chain open) and 8 from short.test.invalid, both ending at the SIP server.
CNAMES = {
    **{("long" if i == 0 else f"l{i}") + ".test.invalid": f"l{i + 1}.test.invalid"
       for i in range(20)},
    **{("short" if i == 0 else f"s{i}") + ".test.invalid": f"s{i + 1}.test.invalid"
       for i in range(8)},
}
@dataclass
class RealPlatform:
    def args(self) -> list[str]:
        return [
            "--sip-server", "voip.test.invalid",
            "--stun-server", "stun.test.invalid:3478",
            "--ntp-server", f"ntp.test.invalid:{NTP_PORT}",
            "--dns-server", f"{DNS_IP}:{DNS_PORT}",
            "--platform-ranges", "127.77.0.0/24",
            "--timeout", "4",
        ]


@pytest.fixture(scope="session")
def real_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealPlatform]:
    require("turnserver", "kamailio", "chronyd", "dnsmasq")
    work: Path = tmp_path_factory.mktemp("interop")
    records = {"voip.test.invalid": SIP_IP, "stun.test.invalid": STUN_IPS[0],
               "ntp.test.invalid": NTP_IP, "l20.test.invalid": SIP_IP,
               "s8.test.invalid": SIP_IP}
    daemons = [
        (Daemon("coturn", coturn_argv(STUN_IPS, work), work / "coturn.log"),
         lambda: all(udp_bound(ip, p) for ip in STUN_IPS for p in (3478, 3479))),
        (Daemon("kamailio", kamailio_argv(SIP_IP, work), work / "kamailio.log"),
         lambda: udp_bound(SIP_IP, 5060) and udp_bound(SIP_IP, 38388)),
        (Daemon("chrony", chrony_argv(NTP_IP, NTP_PORT, work), work / "chrony.log"),
         lambda: udp_bound(NTP_IP, NTP_PORT) and ntp_synced(NTP_IP, NTP_PORT)),
        (Daemon("dnsmasq", dnsmasq_argv(DNS_IP, DNS_PORT, "test.invalid", records, work,
                                         CNAMES),
                work / "dnsmasq.log"), lambda: udp_bound(DNS_IP, DNS_PORT)),
    ]
    started: list[Daemon] = []
    try:
        for daemon, ready in daemons:
            started.append(daemon)
            daemon.start(ready, timeout_s=15)
        yield RealPlatform()
    finally:
        for daemon in reversed(started):
            daemon.stop()

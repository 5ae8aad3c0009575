"""Real servers from Debian packages on loopback addresses 127.77.0.x: coturn (STUN, RFC 5780
with two addresses), kamailio (SIP OPTIONS on 5060 and 38388), chrony (NTP) and dnsmasq (DNS)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.daemons import Daemon, require, udp_bound

STUN_IPS = ("127.77.0.1", "127.77.0.2")
SIP_IP = "127.77.0.3"
NTP_IP, NTP_PORT = "127.77.0.4", 11123
DNS_IP, DNS_PORT = "127.77.0.5", 5353
KAMAILIO_MODULES = "/usr/lib/x86_64-linux-gnu/kamailio/modules/"

KAMAILIO_CFG = """#!KAMAILIO
debug=2
log_stderror=yes
children=1
auto_aliases=no
listen=udp:{ip}:5060
listen=udp:{ip}:38388
mpath="{modules}"
loadmodule "sl.so"
# Answer like the platform (FAQ item 5): from the socket the request came in on, to the source
# address and port, with received/rport in the Via (RFC 3581).
request_route {{
    force_rport();
    if (method == "OPTIONS") {{
        sl_send_reply("200", "OK");
        exit;
    }}
    sl_send_reply("404", "Not Found");
}}
"""

CHRONY_CONF = """bindaddress {ip}
port {port}
allow all
local stratum 8
cmdport 0
pidfile {dir}/chronyd.pid
driftfile {dir}/drift
"""


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


def _chrony_synced() -> bool:
    import ntplib

    if not udp_bound(NTP_IP, NTP_PORT):
        return False
    try:
        reply = ntplib.NTPClient().request(NTP_IP, port=NTP_PORT, version=4, timeout=0.3)
    except ntplib.NTPException:
        return False
    return bool(reply.leap != 3 and 0 < reply.stratum < 16)


@pytest.fixture(scope="session")
def real_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealPlatform]:
    require("turnserver", "kamailio", "chronyd", "dnsmasq")
    work: Path = tmp_path_factory.mktemp("interop")
    (work / "kamailio.cfg").write_text(KAMAILIO_CFG.format(ip=SIP_IP, modules=KAMAILIO_MODULES))
    (work / "chrony.conf").write_text(CHRONY_CONF.format(ip=NTP_IP, port=NTP_PORT, dir=work))
    daemons = [
        (Daemon("coturn", ["turnserver", "-n", "--stun-only", "--no-tls", "--no-dtls", "--no-cli",
                           "-L", STUN_IPS[0], "-L", STUN_IPS[1], "-p", "3478",
                           "--db", str(work / "turndb"), "--log-file", "stdout",
                           "--pidfile", str(work / "turn.pid")], work / "coturn.log"),
         lambda: all(udp_bound(ip, p) for ip in STUN_IPS for p in (3478, 3479))),
        (Daemon("kamailio", ["kamailio", "-f", str(work / "kamailio.cfg"), "-DD", "-E",
                             "-n", "1", "-Y", str(work), "-P", str(work / "kamailio.pid")],
                work / "kamailio.log"),
         lambda: udp_bound(SIP_IP, 5060) and udp_bound(SIP_IP, 38388)),
        (Daemon("chrony", ["chronyd", "-4", "-x", "-d", "-f", str(work / "chrony.conf")],
                work / "chrony.log"), _chrony_synced),
        (Daemon("dnsmasq", ["dnsmasq", "-k", "--conf-file=/dev/null", "--no-resolv",
                            "--no-hosts", "--bind-interfaces", f"--listen-address={DNS_IP}",
                            f"--port={DNS_PORT}", "--user=root",
                            f"--pid-file={work / 'dnsmasq.pid'}", "--local=/test.invalid/",
                            "--log-facility=-",
                            f"--host-record=voip.test.invalid,{SIP_IP}",
                            f"--host-record=stun.test.invalid,{STUN_IPS[0]}",
                            f"--host-record=ntp.test.invalid,{NTP_IP}"],
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

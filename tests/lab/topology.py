"""The NAT lab: a LAN host (the phone), a Linux router doing NAT with nftables, and a provider
host carrying the platform's servers, built in network namespaces.

    fdlab-TAG-lan             fdlab-TAG-rtr                    fdlab-TAG-isp
    203.0.113.10/24 --veth--  203.0.113.1/24 | 198.51.100.1/24  --veth--  198.51.100.254/24
    (flexdiag runs here)      nftables NAT, conntrack              lo: 198.51.100.10, .11 coturn
                                                                   .20 kamailio 5060 + 38388
                                                                   .30 chrony, .53 dnsmasq

Nothing routes outside the namespaces: the LAN's default route is the router, the router's is
the provider host, and the provider host has no default route at all. The LAN resolves the real
platform names (voip.gntel.nl, ...) through dnsmasq on 198.51.100.53, via
/etc/netns/fdlab-TAG-lan/resolv.conf, exactly as a customer's phone would.

TAG is unique per process (its PID and a random suffix), or FLEXDIAG_LAB_TAG when set (the
hand-run lab, ``python -m tests.lab``, uses "manual"): two labs on one machine never share a
namespace, and a lab's teardown removes only the namespaces of its own tag.

Every address is a documentation address (203.0.113.0/24 as the "customer LAN",
198.51.100.0/24 as "the internet"), and every packet stays inside these namespaces.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.daemons import (
    chrony_argv,
    coturn_argv,
    dnsmasq_argv,
    kamailio_argv,
    kamailio_ctl,
    rtpengine_argv,
)

TAG = os.environ.get("FLEXDIAG_LAB_TAG") or f"{os.getpid()}{secrets.token_hex(2)}"
LAN, RTR, ISP = f"fdlab-{TAG}-lan", f"fdlab-{TAG}-rtr", f"fdlab-{TAG}-isp"
NAMESPACES = (LAN, RTR, ISP)
CTR = f"fdlab-{TAG}-ctr"  # a container on the LAN host, behind Docker-style bridge NAT
MDM = f"fdlab-{TAG}-mdm"  # a second NAT in front of the router: the ISP's modem, or its CGN
PHONE_IP, RTR_LAN_IP = "203.0.113.10", "203.0.113.1"
RTR_WAN_IP, ISP_IP = "198.51.100.1", "198.51.100.254"
STUN_IPS = ("198.51.100.10", "198.51.100.11")
PLAIN_STUN_IP = "198.51.100.12"  # a second coturn on one address: no RFC 5780
SIP_IP, NTP_IP, DNS_IP = "198.51.100.20", "198.51.100.30", "198.51.100.53"
# The platform's media addresses in small (FAQ item 4): what media.ports sends to, with
# --media-ranges MEDIA_RANGE (its first host and its middle one).
MEDIA_IPS, MEDIA_RANGE = ("198.51.100.41", "198.51.100.42"), "198.51.100.40/30"
RELAY_IP = "198.51.100.14"  # an impairing relay in front of coturn (tests/lab/relay.py)
# The platform's media relay (FAQ item 4): rtpengine, driven by kamailio over the ng protocol on
# the provider host's own loopback.
RTPENGINE_IP, RTPENGINE_NG = "198.51.100.21", "127.0.0.1:2223"
# Two accounts on the lab's platform (digest-checked by kamailio), for the test call.
CALL_ACCOUNTS = {"31201110001": "Lab-Secret-A7", "31201110002": "Lab-Secret-B9"}
# Media addresses one hop *beyond* the provider host: the router sends them to the provider,
# which forwards them on (so a datagram with TTL 2 expires there: ICMP time exceeded from
# beyond the customer's router). Nothing ever answers at the far end.
FAR_MEDIA_RANGE = "198.51.100.96/28"
PLATFORM_RANGE = "198.51.100.0/24"
SNAT_PORTS = (20000, 29999)
LAN_EPHEMERAL = (40000, 49999)  # outside SNAT_PORTS, so that SNAT has to translate
RESOLV_DIR = Path("/etc/netns") / LAN
CTR_RESOLV_DIR = Path("/etc/netns") / CTR
# Docker's default bridge as `docker run` without --network host makes it: 172.17.0.0/16, the
# bridge (docker0) 172.17.0.1 with a 02:42 MAC, the container 172.17.0.2, masquerade outwards.
DOCKER_NET, DOCKER_GW, DOCKER_CTR = "172.17.0.0/16", "172.17.0.1", "172.17.0.2"
DOCKER_BRIDGE_MAC, DOCKER_CTR_MAC = "02:42:5e:0f:1a:01", "02:42:ac:11:00:02"
# A second NAT between the router and the provider: the ISP's modem in router mode (the router's
# WAN in 192.168.1.0/24, as many Dutch ISP modems hand out), or the ISP's carrier-grade NAT (in
# RFC 6598's 100.64.0.0/10). Either way the box's own internet side is 198.51.100.130/30.
UPSTREAM_NETS = {"double": ("192.168.1.1", "192.168.1.2"), "cgnat": ("100.64.0.1", "100.64.0.2")}
MDM_WAN_IP, ISP_MDM_IP = "198.51.100.130", "198.51.100.129"
MINIUPNPD_CONF = """ext_ifname={ext}
listening_ip=lan
enable_natpmp=yes
enable_upnp=yes
secure_mode=yes
system_uptime=yes
uuid=449dd499-1e0a-4cb5-a5d6-a80eacafd532
allow 1024-65535 203.0.113.0/24 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
"""
TOOLS = ("ip", "nft", "conntrack", "turnserver", "kamailio", "chronyd", "dnsmasq", "rtpengine",
         "kamcmd")

# Router modes: nftables rules for the router, plus conntrack UDP timeouts where they differ.
_NAT = """table ip nat {{
  chain postrouting {{
    type nat hook postrouting priority srcnat;
    {rule}
  }}
}}"""
# "ct state new counter" makes conntrack track flows even without NAT (lab-notes).
_FORWARD = """table inet filter {{
  chain forward {{
    type filter hook forward priority filter;
    ct state new counter
    {rule}
  }}
}}"""
MODES: dict[str, dict[str, Any]] = {
    "routed": {"doc": "no NAT: the router only routes (and tracks flows)",
               "nat": "", "fwd": ""},
    "masquerade": {"doc": "masquerade; Linux keeps the source port when it can",
                   "nat": 'oifname "wan" masquerade', "fwd": ""},
    "snat-ports": {"doc": f"SNAT to {RTR_WAN_IP}:{SNAT_PORTS[0]}-{SNAT_PORTS[1]}: every flow's "
                          "port is translated",
                   "nat": f'oifname "wan" meta l4proto udp snat to {RTR_WAN_IP}:'
                          f"{SNAT_PORTS[0]}-{SNAT_PORTS[1]}", "fwd": ""},
    "random": {"doc": "masquerade fully-random: a new random public port per flow (symmetric)",
               "nat": 'oifname "wan" masquerade fully-random', "fwd": ""},
    "sip-alg": {"doc": "masquerade plus the kernel's SIP ALG (nf_conntrack_sip/nf_nat_sip) on "
                       "UDP 5060 only", "nat": 'oifname "wan" masquerade', "fwd": "",
                "helper": True},
    "drop-5060": {"doc": "masquerade, and UDP port 5060 is dropped in both directions (to the "
                         "server's 5060, and the replies to a phone's local port 5060)",
                  "nat": 'oifname "wan" masquerade', "fwd": "udp dport 5060 counter drop"},
    "short-timeouts": {"doc": "masquerade with conntrack UDP timeouts of 15 s (fresh) and 25 s "
                              "(established)", "nat": 'oifname "wan" masquerade', "fwd": "",
                       "timeouts": (15, 25)},
    "drop-fragments": {"doc": "masquerade, and IP fragments are dropped (before reassembly)",
                       "nat": 'oifname "wan" masquerade', "fwd": "", "fragments": True},
    "short-timeouts-random": {"doc": "masquerade fully-random with conntrack UDP timeouts of "
                                     "15 s (fresh) and 25 s (established): a re-created "
                                     "mapping gets a new port",
                              "nat": 'oifname "wan" masquerade fully-random', "fwd": "",
                              "timeouts": (15, 25)},
    "timeouts-10-40": {"doc": "masquerade with conntrack UDP timeouts of 10 s (fresh) and 40 s "
                              "(established)", "nat": 'oifname "wan" masquerade', "fwd": "",
                       "timeouts": (10, 40)},
    "timeouts-30-30": {"doc": "masquerade with conntrack UDP timeouts of 30 s, fresh and "
                              "established alike", "nat": 'oifname "wan" masquerade', "fwd": "",
                       "timeouts": (30, 30)},
    "sip-alg-timeouts": {"doc": "the kernel's SIP ALG on UDP 5060 with conntrack UDP timeouts "
                                "of 10/40 s (the SIP helper keeps its own flows ~3600 s)",
                         "nat": 'oifname "wan" masquerade', "fwd": "", "helper": True,
                         "timeouts": (10, 40)},
    "drop-media": {"doc": "masquerade, and UDP to and from ports 10000-20000 (the platform's "
                          "media ports, FAQ item 4) dropped both ways: SIP works, audio never",
                   "nat": 'oifname "wan" masquerade',
                   "fwd": "udp dport 10000-20000 counter drop\n    "
                          "udp sport 10000-20000 counter drop"},
    "loss-5": {"doc": "masquerade, and 5 % of the UDP from the LAN's RTP ports (10000-20000) "
                      "dropped at random (nftables numgen)",
               "nat": 'oifname "wan" masquerade',
               "fwd": 'iifname "lan" udp sport 10000-20000 numgen random mod 100 < 5 '
                      "counter drop"},
    "loss-15": {"doc": "as loss-5, with 15 %", "nat": 'oifname "wan" masquerade',
                "fwd": 'iifname "lan" udp sport 10000-20000 numgen random mod 100 < 15 '
                       "counter drop"},
    "table-20": {"doc": "masquerade, and a NAT table of 20 UDP flows from the LAN in all (new "
                        "flows beyond are refused)", "nat": 'oifname "wan" masquerade',
                 "fwd": 'iifname "lan" meta l4proto udp ct count over 20 drop'},
    "table-20-per-host": {"doc": "masquerade, and at most 20 UDP flows per LAN host",
                          "nat": 'oifname "wan" masquerade', "fwd": "", "per_host": 20},
    "flow-limit": {"doc": "masquerade, and at most 4 UDP flows from the LAN at a time",
                   "nat": 'oifname "wan" masquerade',
                   "fwd": 'iifname "lan" meta l4proto udp ct count over 4 drop'},
}
# The kernel's SIP ALG acts only where a ct helper is assigned (lab-notes): on UDP 5060 only.
_HELPER = """table inet helpers {
  ct helper sip5060 {
    type "sip" protocol udp;
    l3proto ip;
  }
  chain prerouting {
    type filter hook prerouting priority filter;
    udp dport 5060 ct state new ct helper set "sip5060"
  }
}"""
# A per-host limit: a dynamic set keyed by source address, each element counting its flows.
_PER_HOST = """table inet perhost {{
  set hosts {{
    type ipv4_addr; size 1024; flags dynamic;
  }}
  chain forward {{
    type filter hook forward priority filter - 1;
    iifname "lan" meta l4proto udp add @hosts {{ ip saddr ct count over {limit} }} counter drop
  }}
}}"""
# Conntrack reassembles fragments at priority -400 (defrag): drop them before that.
_FRAGMENTS = """table ip fragments {
  chain prerouting {
    type filter hook prerouting priority -500;
    ip frag-off & 0x3fff != 0 counter drop
  }
}"""
DEFAULT_TIMEOUTS = (30, 120)  # the kernel's defaults for nf_conntrack_udp_timeout(_stream)


def sh(*argv: str, ns: str | None = None, check: bool = True, timeout: float = 30,
       input: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command, inside namespace ``ns`` if given."""
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(argv)
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, input=input)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({result.returncode}): "
                           f"{result.stderr.strip() or result.stdout.strip()}")
    return result


def missing_tools() -> list[str]:
    return [t for t in TOOLS if shutil.which(t) is None]


def down() -> None:
    """Remove everything this lab (even a crashed run of it) left: processes in its namespaces
    (by the PIDs ``ip netns pids`` lists), the namespaces and the resolver file. Only this
    process's own :data:`TAG` is touched: another lab beside it keeps running. Idempotent."""
    existing = sh("ip", "netns", "list", check=False).stdout
    for ns in (CTR, MDM, *NAMESPACES):
        if ns not in existing.split():
            continue
        pids = sh("ip", "netns", "pids", ns, check=False).stdout.split()
        for signal in (15, 9):
            for pid in pids:
                try:
                    os.kill(int(pid), signal)
                except (ProcessLookupError, ValueError):
                    pass
            deadline = time.monotonic() + 3
            while pids and time.monotonic() < deadline:
                pids = sh("ip", "netns", "pids", ns, check=False).stdout.split()
                time.sleep(0.05)
            if not pids:
                break
        sh("ip", "netns", "del", ns, check=False)
    shutil.rmtree(RESOLV_DIR, ignore_errors=True)
    shutil.rmtree(CTR_RESOLV_DIR, ignore_errors=True)


def _namespace(ns: str) -> None:
    """A network namespace of the lab's, its loopback up."""
    sh("ip", "netns", "add", ns)
    sh("ip", "link", "set", "lo", "up", ns=ns)


def _veth(ns: str, dev: str, peer_ns: str, peer_dev: str) -> None:
    """A veth pair made directly inside the two namespaces: nothing appears in the host's."""
    sh("ip", "-n", ns, "link", "add", dev, "type", "veth", "peer", "name", peer_dev, "netns",
       peer_ns)


def _addresses(*assignments: tuple[str, str, str]) -> None:
    """(namespace, device, address/prefix): the address on the device, the device up."""
    for ns, dev, addr in assignments:
        sh("ip", "-n", ns, "addr", "add", addr, "dev", dev)
        sh("ip", "-n", ns, "link", "set", dev, "up")

@dataclass
class Lab:
    """A running lab. Build it with :meth:`up`; tear it down with :meth:`down`."""

    workdir: Path
    mode: str = "routed"

    # --- building ------------------------------------------------------------------------------

    @classmethod
    def up(cls, workdir: Path, mode: str = "masquerade") -> Lab:
        """Build the topology, start the servers and set ``mode``. Cleans up on failure."""
        down()
        lab = cls(workdir)
        # A fresh workdir: a stale pidfile naming a recycled PID stops chronyd from starting.
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        try:
            lab._topology()
            lab._servers()
            lab.set_mode(mode)
        except BaseException:
            down()
            raise
        return lab

    def down(self) -> None:
        down()

    def _topology(self) -> None:
        for ns in NAMESPACES:
            _namespace(ns)
        _veth(LAN, "eth0", RTR, "lan")
        _veth(ISP, "eth0", RTR, "wan")
        _addresses((LAN, "eth0", f"{PHONE_IP}/24"), (RTR, "lan", f"{RTR_LAN_IP}/24"),
                   (RTR, "wan", f"{RTR_WAN_IP}/24"), (ISP, "eth0", f"{ISP_IP}/24"))
        for addr in (*STUN_IPS, PLAIN_STUN_IP, SIP_IP, NTP_IP, DNS_IP, *MEDIA_IPS, RELAY_IP,
                     RTPENGINE_IP):
            sh("ip", "-n", ISP, "addr", "add", f"{addr}/32", "dev", "lo")
        sh("ip", "-n", LAN, "route", "add", "default", "via", RTR_LAN_IP)
        sh("ip", "-n", RTR, "route", "add", "default", "via", ISP_IP)
        # The provider routes the customer's LAN back to the router only in routed mode's
        # sense; with NAT it never sees 203.0.113.0/24. A route keeps "routed" working.
        sh("ip", "-n", ISP, "route", "add", "203.0.113.0/24", "via", RTR_WAN_IP)
        sh("sysctl", "-qw", "net.ipv4.ip_forward=1", ns=RTR)
        # The far media range: more specific than the router's connected /24, so it goes to
        # the provider, which forwards it (on-link, to nobody): a hop beyond the provider edge.
        sh("ip", "-n", RTR, "route", "add", FAR_MEDIA_RANGE, "via", ISP_IP)
        sh("ip", "-n", ISP, "route", "add", FAR_MEDIA_RANGE, "dev", "eth0")
        sh("sysctl", "-qw", "net.ipv4.ip_forward=1", ns=ISP)
        sh("sysctl", "-qw", "net.ipv4.conf.all.send_redirects=0", ns=ISP)
        sh("sysctl", "-qw", "net.ipv4.conf.eth0.send_redirects=0", ns=ISP)
        sh("sysctl", "-qw",
           f"net.ipv4.ip_local_port_range={LAN_EPHEMERAL[0]} {LAN_EPHEMERAL[1]}", ns=LAN)
        RESOLV_DIR.mkdir(parents=True, exist_ok=True)
        (RESOLV_DIR / "resolv.conf").write_text(f"nameserver {DNS_IP}\n")

    def _daemon(self, name: str, argv: Sequence[str]) -> None:
        log = open(self.workdir / f"{name}.log", "wb")  # noqa: SIM115 - lives with the process
        subprocess.Popen(["ip", "netns", "exec", ISP, *argv], stdout=log,
                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         start_new_session=True)
        log.close()

    def _servers(self) -> None:
        w = self.workdir
        records = {"voip.gntel.nl": SIP_IP, "stun.gntel.nl": STUN_IPS[0], "ntp.gntel.nl": NTP_IP}
        self._daemon("coturn", coturn_argv(STUN_IPS, w))
        plain = w / "plain"
        plain.mkdir()
        self._daemon("coturn-plain", coturn_argv((PLAIN_STUN_IP,), plain))
        self._daemon("rtpengine", rtpengine_argv(RTPENGINE_IP, RTPENGINE_NG, w))
        self._daemon("kamailio", kamailio_argv(SIP_IP, w, CALL_ACCOUNTS, RTPENGINE_NG))
        self._daemon("chrony", chrony_argv(NTP_IP, 123, w))
        self._daemon("dnsmasq", dnsmasq_argv(DNS_IP, 53, "gntel.nl", records, w))
        self._wait_ready()

    def _wait_ready(self, timeout_s: float = 12.0) -> None:
        wanted = {f"{ip}:{port}" for ip in STUN_IPS for port in (3478, 3479)}
        wanted |= {f"{PLAIN_STUN_IP}:3478", f"{SIP_IP}:5060", f"{SIP_IP}:38388",
                   f"{NTP_IP}:123", f"{DNS_IP}:53", RTPENGINE_NG}
        deadline = time.monotonic() + timeout_s
        bound: set[str] = set()
        while time.monotonic() < deadline:
            listing = sh("ss", "-Hunl", ns=ISP, check=False).stdout
            bound = {line.split()[3] for line in listing.splitlines() if len(line.split()) > 3}
            if wanted <= bound and self._chrony_synced():
                return
            time.sleep(0.1)
        raise RuntimeError(f"lab servers not ready in {timeout_s} s; missing "
                           f"{sorted(wanted - bound)}; logs in {self.workdir}")

    def _chrony_synced(self) -> bool:
        code = "import sys\nfrom tests.daemons import ntp_synced as s\nprint(s(sys.argv[1]))"
        out = sh(sys.executable, "-c", code, NTP_IP, ns=ISP, check=False).stdout.strip()
        return out == "True"

    # --- modes ---------------------------------------------------------------------------------

    def set_mode(self, mode: str) -> None:
        """Replace the router's rules with ``mode``'s, reset timeouts and flush conntrack."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; modes: {', '.join(MODES)}")
        spec = MODES[mode]
        rules = ["flush ruleset"]
        if spec.get("helper"):
            rules.append(_HELPER)
        if spec.get("fragments"):
            rules.append(_FRAGMENTS)
        if spec.get("per_host"):
            rules.append(_PER_HOST.format(limit=spec["per_host"]))
        rules.append(_FORWARD.format(rule=spec["fwd"]))
        if spec["nat"]:
            rules.append(_NAT.format(rule=spec["nat"]))
        sh("nft", "-f", "-", ns=RTR, input="\n".join(rules) + "\n")
        fresh, stream = spec.get("timeouts", DEFAULT_TIMEOUTS)
        sh("sysctl", "-qw", f"net.netfilter.nf_conntrack_udp_timeout={fresh}", ns=RTR)
        sh("sysctl", "-qw", f"net.netfilter.nf_conntrack_udp_timeout_stream={stream}", ns=RTR)
        self.flush_conntrack()
        self.mode = mode

    def dropped_packets(self, chain: tuple[str, str, str] = ("inet", "filter", "forward")) -> int:
        """Packets a drop rule of the router has dropped since the mode was set."""
        out = sh("nft", "list", "chain", *chain, ns=RTR).stdout
        for line in out.splitlines():
            if "drop" in line and "counter packets" in line:
                return int(line.split("counter packets")[1].split()[0])
        return 0

    def flow_timer(self, seconds: int) -> None:
        """The keep-alive interval the registrar grants a phone that offers RFC 5626 outbound
        (Flow-Timer; 0: none): how the lab's phone gets a NAT keep-alive setting."""
        sh("kamcmd", "-s", f"unix:{kamailio_ctl(self.workdir)}", "pv.shvSet", "flow_timer",
           "int", str(seconds))

    @contextlib.contextmanager
    def container(self) -> Iterator[str]:
        """A container on the LAN host behind Docker's default bridge NAT (yields its
        namespace); removed again afterwards, also on failure."""
        try:
            _namespace(CTR)
            sh("ip", "-n", LAN, "link", "add", "docker0", "type", "bridge")
            sh("ip", "-n", LAN, "link", "set", "docker0", "address", DOCKER_BRIDGE_MAC)
            sh("ip", "-n", LAN, "addr", "add", f"{DOCKER_GW}/16", "dev", "docker0")
            _veth(LAN, "vethctr", CTR, "eth0")
            sh("ip", "-n", LAN, "link", "set", "vethctr", "master", "docker0")
            for dev in ("docker0", "vethctr"):
                sh("ip", "-n", LAN, "link", "set", dev, "up")
            sh("ip", "-n", CTR, "link", "set", "eth0", "address", DOCKER_CTR_MAC)
            _addresses((CTR, "eth0", f"{DOCKER_CTR}/16"))
            sh("ip", "-n", CTR, "route", "add", "default", "via", DOCKER_GW)
            sh("sysctl", "-qw", "net.ipv4.ip_forward=1", ns=LAN)
            sh("nft", "-f", "-", ns=LAN, input=(
                "table ip dockernat {\n  chain postrouting {\n    type nat hook postrouting "
                f"priority srcnat;\n    ip saddr {DOCKER_NET} oifname \"eth0\" masquerade\n"
                "  }\n}\n"))
            CTR_RESOLV_DIR.mkdir(parents=True, exist_ok=True)
            (CTR_RESOLV_DIR / "resolv.conf").write_text(f"nameserver {DNS_IP}\n")
            yield CTR
        finally:
            sh("nft", "delete", "table", "ip", "dockernat", ns=LAN, check=False)
            sh("ip", "-n", LAN, "link", "del", "vethctr", check=False)
            sh("ip", "-n", LAN, "link", "del", "docker0", check=False)
            sh("sysctl", "-qw", "net.ipv4.ip_forward=0", ns=LAN, check=False)
            sh("ip", "netns", "del", CTR, check=False)
            shutil.rmtree(CTR_RESOLV_DIR, ignore_errors=True)

    @contextlib.contextmanager
    def vpn(self) -> Iterator[str]:
        """The LAN host's default route through a tun device (a VPN client's tunnel, with
        nobody reading it: what goes in is gone); the route restored afterwards."""
        try:
            sh("ip", "-n", LAN, "tuntap", "add", "dev", "tun0", "mode", "tun")
            sh("ip", "-n", LAN, "addr", "add", "10.8.0.2/24", "dev", "tun0")
            sh("ip", "-n", LAN, "link", "set", "tun0", "up")
            sh("ip", "-n", LAN, "route", "replace", "default", "dev", "tun0")
            yield "tun0"
        finally:
            sh("ip", "-n", LAN, "route", "replace", "default", "via", RTR_LAN_IP, check=False)
            sh("ip", "-n", LAN, "link", "del", "tun0", check=False)

    @contextlib.contextmanager
    def second_nat(self, kind: str) -> Iterator[str]:
        """Another NAT between the router and the provider (``double``: the ISP's modem in
        router mode; ``cgnat``: the ISP's carrier-grade NAT): a namespace of its own that
        masquerades again, the router's default route through it. Removed afterwards."""
        box_ip, router_ip = UPSTREAM_NETS[kind]
        try:
            _namespace(MDM)
            _veth(RTR, "wan2", MDM, "lan")
            _veth(MDM, "wan", ISP, "eth1")
            _addresses((RTR, "wan2", f"{router_ip}/24"), (MDM, "lan", f"{box_ip}/24"),
                       (MDM, "wan", f"{MDM_WAN_IP}/30"), (ISP, "eth1", f"{ISP_MDM_IP}/30"))
            sh("ip", "-n", MDM, "route", "add", "default", "via", ISP_MDM_IP)
            sh("sysctl", "-qw", "net.ipv4.ip_forward=1", ns=MDM)
            sh("nft", "-f", "-", ns=MDM, input=_NAT.format(rule='oifname "wan" masquerade'))
            sh("nft", "-f", "-", ns=RTR, input=(
                "table ip natwan2 {\n  chain postrouting {\n    type nat hook postrouting "
                'priority srcnat;\n    oifname "wan2" masquerade\n  }\n}\n'))
            # The router's own WAN link to the provider goes away (its connected route would
            # bypass the second NAT): everything leaves through the box in front of it.
            sh("ip", "-n", RTR, "addr", "del", f"{RTR_WAN_IP}/24", "dev", "wan")
            sh("ip", "-n", RTR, "route", "replace", "default", "via", box_ip, "dev", "wan2")
            self.flush_conntrack()
            yield box_ip
        finally:
            sh("ip", "-n", RTR, "addr", "add", f"{RTR_WAN_IP}/24", "dev", "wan", check=False)
            sh("ip", "-n", RTR, "route", "replace", "default", "via", ISP_IP, "dev", "wan",
               check=False)
            sh("nft", "delete", "table", "ip", "natwan2", ns=RTR, check=False)
            sh("ip", "-n", RTR, "link", "del", "wan2", check=False)
            sh("ip", "netns", "del", MDM, check=False)
            self.flush_conntrack()

    @contextlib.contextmanager
    def miniupnpd(self, ext_ifname: str = "wan", stun: bool = False, ns: str = RTR,
                  listen_ip: str = RTR_LAN_IP) -> Iterator[int]:
        """miniupnpd (NAT-PMP/PCP and UPnP IGD) on the LAN side (interface ``lan``, address
        ``listen_ip``) of the router, or of the box in front of it (``ns=MDM``), its WAN
        ``ext_ifname``; stopped by its PID afterwards. It calls any documentation address
        "reserved" and so answers "network failure" (NAT-PMP) and an empty address (UPnP) for
        the router's external address, in every mode of this lab; with ``stun`` it learns its
        external address from the lab's STUN server instead (``ext_perform_stun``, at start:
        up to 10 s behind a second NAT), as a router behind another NAT can, and then tells
        that one."""
        name = f"miniupnpd-{ns}"
        conf = self.workdir / f"{name}.conf"
        extra = f"ext_perform_stun=yes\next_stun_host={STUN_IPS[0]}\n" if stun else ""
        conf.write_text(MINIUPNPD_CONF.format(ext=ext_ifname) + extra)
        log_path = self.workdir / f"{name}.log"
        log = open(log_path, "wb")  # noqa: SIM115 - lives with it
        process = subprocess.Popen(
            ["ip", "netns", "exec", ns, "miniupnpd", "-d", "-f", str(conf), "-P",
             str(self.workdir / f"{name}.pid")], stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                if f"{listen_ip}:5351" in sh("ss", "-Hunl", ns=ns, check=False).stdout:
                    break
                if process.poll() is not None:
                    raise RuntimeError("miniupnpd exited: " + log_path.read_text()[-2000:])
                time.sleep(0.05)
            else:
                raise RuntimeError("miniupnpd did not listen: " + log_path.read_text()[-2000:])
            yield process.pid
        finally:
            if process.poll() is None:
                os.killpg(process.pid, 15)
                try:
                    process.wait(5)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, 9)
                    process.wait(5)

    def relay_learns(self, learns: bool) -> None:
        """Whether the media relay learns a phone's translated port from its first packet
        (rtpengine's default) or never does (its per-call ``asymmetric`` flag)."""
        sh("kamcmd", "-s", f"unix:{kamailio_ctl(self.workdir)}", "pv.shvSet", "asymmetric",
           "int", "0" if learns else "1")

    def registered_users(self) -> set[str]:
        """The users in the registrar's location table (kamcmd ul.dump)."""
        out = sh("kamcmd", "-s", f"unix:{kamailio_ctl(self.workdir)}", "ul.dump").stdout
        return set(re.findall(r"AoR:\s*(\S+)", out))

    def flush_conntrack(self) -> None:
        sh("conntrack", "-F", ns=RTR, check=False)

    # --- using ---------------------------------------------------------------------------------

    def conntrack(self) -> list[dict[str, Any]]:
        """The router's UDP conntrack table: one dict per flow with ``orig`` and ``reply``
        tuples (src, dst, sport, dport) and the flags conntrack shows."""
        out = sh("conntrack", "-L", "-p", "udp", ns=RTR, check=False).stdout
        flows = []
        for line in out.splitlines():
            fields = line.split()
            pairs = [f.split("=", 1) for f in fields if "=" in f]
            tuples: list[dict[str, str]] = [{}, {}]
            index = -1
            for key, value in pairs:
                if key == "src":
                    index += 1
                if 0 <= index < 2 and key in ("src", "dst", "sport", "dport"):
                    tuples[index][key] = value
            flows.append({"orig": tuples[0], "reply": tuples[1],
                          "flags": [f for f in fields if f.startswith("[")],
                          "helper": next((v for k, v in pairs if k == "helper"), None)})
        return flows

    def run(
        self, *argv: str, ns: str = LAN, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        """Run a command in a lab namespace (default: the LAN host)."""
        return sh(*argv, ns=ns, check=False, timeout=timeout)

    def flexdiag_argv(self, *args: str, ns: str = LAN) -> list[str]:
        """The command line of ``flexdiag run --json`` on the LAN host (lab's ranges)."""
        return ["ip", "netns", "exec", ns, sys.executable, "-m", "flexdiag", "run", "--json",
                "--platform-ranges", PLATFORM_RANGE, "--timeout", "4", *args]

    def flexdiag(self, *args: str, timeout: float = 60, quick: bool = True,
                 ns: str = LAN, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
        """``flexdiag run --json`` on the LAN host with the lab's platform ranges; returns the
        exit code and the parsed report. ``--quick`` unless ``quick`` is false or the test
        measures the lifetime itself (``--lifetime``): most tests are about other checks,
        and the default run watches a quiet mapping for up to 3 minutes."""
        if quick and "--lifetime" not in args:
            args = ("--quick", *args)
        result = subprocess.run(self.flexdiag_argv(*args, ns=ns), capture_output=True,
                                text=True, timeout=timeout,
                                env={**os.environ, **env} if env else None)
        return parse_report(result.returncode, result.stdout, result.stderr)


def checks(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A report's checks by id."""
    return {c["id"]: c for c in report["checks"]}


def parse_report(code: int, stdout: str, stderr: str) -> tuple[int, dict[str, Any]]:
    """Exit code and parsed JSON of a flexdiag run, or an error naming what it printed."""
    if not stdout.strip():
        raise RuntimeError(f"flexdiag printed no report (exit {code}): {stderr}")
    return code, json.loads(stdout)

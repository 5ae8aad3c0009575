"""Start and stop real third-party servers for interop and lab tests.

Each daemon is started with its PID recorded and stopped by that PID (never by name); a test
that needs a missing tool or root skips with the reason, except under CI (``CI=true``), where
it fails so that a missing install step cannot hide.
"""

from __future__ import annotations

import errno
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def require(*tools: str, root: bool = False) -> None:
    """Skip (or fail under CI) unless every tool is on PATH and, if asked, we are root."""
    missing = [t for t in tools if shutil.which(t) is None]
    reason = ""
    if missing:
        reason = "missing tools: " + ", ".join(missing) + " (.ci/run installs them)"
    elif root and os.geteuid() != 0:
        reason = "needs root"
    if reason:
        if IN_CI:
            pytest.fail(reason + " - CI must run these tests")
        pytest.skip(reason)


def udp_bound(host: str, port: int) -> bool:
    """Is something bound to this UDP address? (Our bind fails with EADDRINUSE.)"""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE
    return False


@dataclass
class Daemon:
    """One server process, started in the foreground of its own process group."""

    name: str
    argv: Sequence[str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    extra_pids: list[int] = field(default_factory=list)

    def start(self, ready: Callable[[], bool], timeout_s: float = 10.0) -> Daemon:
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(list(self.argv), stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}: "
                                   + self.log.read_text(errors="replace")[-2000:])
            if ready():
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.name} not ready after {timeout_s} s: "
                           + self.log.read_text(errors="replace")[-2000:])

    def stop(self) -> None:
        """Terminate by PID (the process group we created for it), then kill if needed."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, 15)
        except ProcessLookupError:
            return
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait(5)


# --- how each real server is configured, shared by the interop tests and the NAT lab --------------

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
loadmodule "tm.so"
loadmodule "pv.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "nathelper.so"
loadmodule "textops.so"
loadmodule "ctl.so"
loadmodule "stun.so"
loadmodule "rr.so"
loadmodule "siputils.so"
loadmodule "htable.so"
loadmodule "auth.so"
{rtpengine_modules}
# A phone's NAT keep-alive, as the lab's phone (baresip) can do one: RFC 5626 outbound. A
# REGISTER that offers outbound is answered with Flow-Timer: K (the shared variable
# flow_timer, set per test through the control socket: kamcmd pv.shvSet flow_timer int K;
# 0: none), and the phone then sends a STUN Binding from its SIP socket every 80-100 % of K
# (RFC 5626 §4.4.1), which the stun module answers on the SIP sockets.
modparam("ctl", "binrpc", "unix:{ctl}")
modparam("pv", "shvset", "flow_timer=i:0")
# The platform in small for a test call (lab-notes): accounts with passwords in an htable (no
# database), digest-checked; other users (the lab's baresip phone) register without. The
# shared variable asymmetric=1 makes the media relay never learn (rtpengine's per-call flag).
modparam("pv", "shvset", "asymmetric=i:0")
modparam("htable", "htable", "passwd=>size=4;")
modparam("auth", "algorithm", "{algorithm}")
# A registrar as the platform is one (lab-notes): the location table in memory, any interval
# accepted, the phone's public address (as the NAT made it) saved with its binding. nathelper
# never pings (natping_interval 0): a ping would keep the NAT mapping alive and hide what the
# lab is there to show.
modparam("usrloc", "db_mode", 0)
modparam("registrar", "min_expires", 1)
modparam("registrar", "received_avp", "$avp(RECEIVED)")
modparam("nathelper", "received_avp", "$avp(RECEIVED)")
modparam("nathelper", "natping_interval", 0)
# An incoming call to an unreachable phone fails fast (408 after 2 s), not after 32 s.
modparam("tm", "fr_timer", 2000)
modparam("tm", "fr_inv_timer", 2000)

event_route[htable:mod-init] {{
{passwords}
}}

# Like the platform (FAQ item 5): answer from the socket the request came in on, to the source
# address and port, with received/rport in the Via (RFC 3581). A request for a user (the
# provider side calling a phone) goes to the phone's registered address, from the socket the
# phone registered through.
request_route {{
    force_rport();
    if (has_totag()) {{
        route(WITHINDLG);
        exit;
    }}
    if (method == "CANCEL") {{
        if (t_check_trans()) {{
            t_relay();
        }}
        exit;
    }}
    if (method == "ACK") {{
        if (t_check_trans()) {{
            t_relay();
        }}
        exit;
    }}
    if (method == "REGISTER") {{
        if ($sht(passwd=>$tU) != $null) {{
            if (!pv_www_authenticate("$td", "$sht(passwd=>$tU)", "0")) {{
                www_challenge("$td", "1");
                exit;
            }}
            consume_credentials();
        }}
        fix_nated_register();
        if ($shv(flow_timer) > 0 && search("^(Supported|k):.*outbound")) {{
            append_to_reply("Require: outbound\r\nFlow-Timer: $shv(flow_timer)\r\n");
        }}
        if (!save("location")) {{
            sl_reply_error();
        }}
        exit;
    }}
    if ($rU == $null) {{
        if (method == "OPTIONS") {{
            sl_send_reply("200", "OK");
            exit;
        }}
        sl_send_reply("404", "Not Found");
        exit;
    }}
    if (method == "INVITE" && $sht(passwd=>$fU) != $null) {{
        if (!pv_proxy_authenticate("$fd", "$sht(passwd=>$fU)", "0")) {{
            proxy_challenge("$fd", "1");
            exit;
        }}
        consume_credentials();
    }}
    if (!lookup("location")) {{
        sl_send_reply("404", "Not Found");
        exit;
    }}
    if (method == "INVITE") {{
        record_route();
        set_contact_alias();
        route(MEDIA);
        t_on_reply("REPLY");
    }}
    t_relay();
}}

# In-dialog requests (ACK, BYE) follow the route set; the phone's Contact carries its public
# address as an alias (set_contact_alias), which handle_ruri_alias turns into the destination.
route[WITHINDLG] {{
    if (loose_route()) {{
        handle_ruri_alias();
        if (method == "BYE") {{
            route(MEDIA);
        }}
        t_relay();
        exit;
    }}
    if (method == "ACK" && t_check_trans()) {{
        t_relay();
        exit;
    }}
    sl_send_reply("404", "Not Here");
}}

onreply_route[REPLY] {{
    if (status =~ "(18[03])|(2[0-9][0-9])") {{
        set_contact_alias();
        route(MEDIA);
    }}
}}

route[MEDIA] {{
{media}
}}
"""
# The media relay (rtpengine, FAQ item 4) as the platform anchors audio: the relay's address in
# the SDP, audio sent to the SIP source address (SIP-source-address), learning the phone's
# translated port from its first packet unless asymmetric (kamcmd pv.shvSet asymmetric int 1).
RTPENGINE_FLAGS = "replace-origin replace-session-connection ICE=remove RTP/AVP SIP-source-address"
RTPENGINE_MEDIA = f"""    if (!has_body("application/sdp") && method != "BYE") {{
        return;
    }}
    if ($shv(asymmetric) == 1) {{
        rtpengine_manage("{RTPENGINE_FLAGS} asymmetric");
    }} else {{
        rtpengine_manage("{RTPENGINE_FLAGS}");
    }}"""
RTPENGINE_MODULES = """loadmodule "rtpengine.so"
modparam("rtpengine", "rtpengine_sock", "udp:{ng}")"""


CHRONY_CONF = """bindaddress {ip}
port {port}
allow all
local stratum 8
cmdport 0
pidfile {dir}/chronyd.pid
driftfile {dir}/drift
"""


def coturn_argv(ips: tuple[str, ...], workdir: Path) -> list[str]:
    """coturn as a STUN server; with two addresses it speaks RFC 5780 (OTHER-ADDRESS,
    CHANGE-REQUEST, RESPONSE-PORT; alternate port 3479), with one it does not (lab-notes)."""
    listen = [arg for ip in ips for arg in ("-L", ip)]
    return ["turnserver", "-n", "--stun-only", "--no-tls", "--no-dtls", "--no-cli", *listen,
            "-p", "3478", "--db", str(workdir / "turndb"), "--log-file", "stdout",
            "--pidfile", str(workdir / "turnserver.pid")]


def kamailio_ctl(workdir: Path) -> Path:
    """kamailio's control socket (kamcmd -s unix:PATH ...)."""
    return workdir / "kamailio.ctl"


def kamailio_argv(ip: str, workdir: Path, accounts: dict[str, str] | None = None,
                  rtpengine_ng: str | None = None, algorithm: str = "MD5") -> list[str]:
    """kamailio in the foreground answering OPTIONS on ``ip`` ports 5060 and 38388; a
    registrar, and a proxy that challenges ``accounts`` (user -> password) with digest
    ``algorithm`` and, given ``rtpengine_ng`` (the relay's control address), anchors calls'
    media on rtpengine."""
    passwords = "\n".join(f'    $sht(passwd=>{user}) = "{password}";'
                           for user, password in (accounts or {}).items())
    cfg = KAMAILIO_CFG.format(
        ip=ip, modules=KAMAILIO_MODULES, ctl=kamailio_ctl(workdir), algorithm=algorithm,
        passwords=passwords or "    ;",
        rtpengine_modules=RTPENGINE_MODULES.format(ng=rtpengine_ng) if rtpengine_ng else "",
        media=RTPENGINE_MEDIA if rtpengine_ng else "    return;")
    (workdir / "kamailio.cfg").write_text(cfg)
    return ["kamailio", "-f", str(workdir / "kamailio.cfg"), "-DD", "-E", "-n", "1",
            "-Y", str(workdir), "-P", str(workdir / "kamailio.pid")]


def rtpengine_argv(ip: str, ng: str, workdir: Path, learning: str = "delayed") -> list[str]:
    """rtpengine userspace-only (lab-notes): media on ``ip`` ports 10000-20000, controlled by
    kamailio over the ng protocol on ``ng`` (host:port)."""
    return ["rtpengine", "--config-file=none", "--table=-1", "--foreground",
            "--log-stderr", f"--interface={ip}", f"--listen-ng={ng}",
            "--port-min=10000", "--port-max=20000", f"--endpoint-learning={learning}",
            f"--pidfile={workdir / 'rtpengine.pid'}"]


def chrony_argv(ip: str, port: int, workdir: Path) -> list[str]:
    """chronyd serving the machine's own clock on ``ip:port``; ``-x``: never touches the clock."""
    (workdir / "chrony.conf").write_text(CHRONY_CONF.format(ip=ip, port=port, dir=workdir))
    return ["chronyd", "-4", "-x", "-d", "-f", str(workdir / "chrony.conf")]


def dnsmasq_argv(ip: str, port: int, domain: str, records: dict[str, str],
                 workdir: Path, cnames: dict[str, str] | None = None) -> list[str]:
    """dnsmasq answering ``records`` (name -> address) and ``cnames`` (alias -> target),
    NXDOMAIN for other names in ``domain``, and asking nobody upstream."""
    return ["dnsmasq", "-k", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
            "--bind-interfaces", f"--listen-address={ip}", f"--port={port}", "--user=root",
            f"--pid-file={workdir / 'dnsmasq.pid'}", f"--local=/{domain}/", "--log-facility=-",
            *(f"--host-record={name},{addr}" for name, addr in records.items()),
            *(f"--cname={alias},{target}" for alias, target in (cnames or {}).items())]


def ntp_synced(ip: str, port: int = 123) -> bool:
    """Does the NTP server answer as synchronised? (chrony says leap 3 until it has selected
    its local reference.) Uses ntplib, not flexdiag, so a flexdiag bug cannot hide here."""
    import ntplib

    try:
        reply = ntplib.NTPClient().request(ip, port=port, version=4, timeout=0.3)
    except (ntplib.NTPException, OSError):
        return False
    return bool(reply.leap != 3 and 0 < reply.stratum < 16)

"""A real SIP phone in the lab: baresip on the LAN host, registering through the router to the
lab's kamailio (a registrar, tests/daemons.py), and sipsak on the provider side standing in for
an incoming call (an OPTIONS to the registered user, which kamailio relays to the address the
phone registered from, through the socket it registered on).

``reachable_after_idle`` is the question every phone test asks: registered, then left alone for
a while as a phone between two calls is, can the platform still reach it?
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.lab.topology import ISP, LAN, PHONE_IP, SIP_IP, Lab

USER = "phone"
REGISTER_TIMEOUT_S = 5.0
CALL_TIMEOUT_S = 10.0  # sipsak's own bound; kamailio answers 408 after 2 s (fr_timer)
TOOLS = ("baresip", "sipsak")

CONFIG = """sip_listen\t\t{ip}:{local_port}
module_path\t\t/usr/lib/baresip/modules
module\t\t\tg711.so
module\t\t\tausine.so
module_app\t\taccount.so
audio_source\t\t{source}
audio_player\t\t{player}
audio_alert\t\tnil,nil
"""
ACCOUNT = ('<sip:{user}@voip.gntel.nl;transport=udp>;outbound="sip:{server}:{port};'
           'transport=udp";regint={regint}{extra}\n')
# The phone's NAT keep-alive (lab-notes): baresip/libre have no keep-alive setting of their own,
# but RFC 5626 outbound: with it the registrar's Flow-Timer (the lab's, Lab.flow_timer) makes
# the phone send a STUN Binding from its SIP socket every 80-100 % of that interval.
KEEPALIVE_ACCOUNT = ";sipnat=outbound"
KEEPALIVE_MODULES = "module_tmp\t\tuuid.so\n"  # +sip.instance, which outbound needs


@dataclass(frozen=True)
class PhoneSettings:
    """What an installer sets on a phone (design.md's summary.phone_settings, with the
    phones' defaults filled in)."""

    sip_port: int = 5060
    local_sip_port: int = 5060
    registration_time_s: int = 3600
    keepalive_s: int | None = None  # the phone's NAT keep-alive (None: off, the default)

    def applied(self, phone_settings: dict[str, Any]) -> PhoneSettings:
        """These settings with flexdiag's ``summary.phone_settings`` applied."""
        known = {k: v for k, v in phone_settings.items()
                 if k in ("sip_port", "local_sip_port", "registration_time_s", "keepalive_s")}
        return PhoneSettings(**{**self.__dict__, **known})


@dataclass(frozen=True)
class PhoneResult:
    """What the phone experienced."""

    registered: bool
    reachable: bool
    log: str

    def __str__(self) -> str:
        if not self.registered:
            return "not registered"
        return "reachable" if self.reachable else "registered, unreachable after idle"


class Phone:
    """One baresip process in the LAN namespace, started and stopped by its PID."""

    def __init__(self, workdir: Path, settings: PhoneSettings, answering: bool = False) -> None:
        self.dir = workdir / f"phone-{settings.local_sip_port}-{settings.sip_port}"
        self.settings = settings
        self.answering = answering
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Phone:
        self.dir.mkdir(parents=True, exist_ok=True)
        s = self.settings
        keepalive = bool(s.keepalive_s)
        config = CONFIG.format(ip=PHONE_IP, local_port=s.local_sip_port,
                               source="ausine,440" if self.answering else "ausine,nil",
                               player="aubridge,nil" if self.answering else "nil,nil")
        if self.answering:
            config += ANSWERING
        (self.dir / "config").write_text(config + (KEEPALIVE_MODULES if keepalive else ""))
        (self.dir / "accounts").write_text(ACCOUNT.format(
            user=USER, server=SIP_IP, port=s.sip_port, regint=s.registration_time_s,
            extra=(KEEPALIVE_ACCOUNT if keepalive else "")
            + (";answermode=auto" if self.answering else "")))
        self.log_path = self.dir / "baresip.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                # -s (SIP trace) with a keep-alive: the registrar's Flow-Timer shows in it.
                ["ip", "netns", "exec", LAN, "baresip", "-f", str(self.dir),
                 *(["-s"] if keepalive else [])], stdout=log,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                cwd=self.dir)
        return self

    def registered(self, timeout_s: float = REGISTER_TIMEOUT_S) -> bool:
        """Wait (bounded) for the registrar's 200 OK to the phone's REGISTER."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if "200 OK" in self.log():
                return True
            if self.process is not None and self.process.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def __exit__(self, *exc: object) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)


# A called phone that answers by itself and plays a tone (lab-notes): ausine at 48 kHz stereo
# (other rates: the call is never answered), aubridge as the player (no sound card).
ANSWERING = """module\t\t\taubridge.so
ausrc_srate\t\t48000
ausrc_channels\t\t2
"""
AUDIO_ESTABLISHED = "incoming rtp for 'audio' established"


@dataclass(frozen=True)
class AudioResult:
    """What the called phone experienced of a call's audio."""

    answered: bool
    heard: bool  # the phone's own log: RTP arrived ("incoming rtp ... established")
    caller: dict[str, Any]
    log: str


def audio_to_phone(lab: Lab, seconds: float = 3.0) -> AudioResult:
    """The real phone (baresip, auto-answer) is called through the lab's platform (the relay
    anchoring the audio) by a platform account; does audio reach it?"""
    import json
    import sys

    lab.flush_conntrack()
    settings = PhoneSettings(local_sip_port=5070)
    with Phone(lab.workdir, settings, answering=True) as phone:
        if not phone.registered():
            return AudioResult(False, False, {}, phone.log())
        result = lab.run(sys.executable, "-m", "tests.lab.caller", USER, str(seconds),
                         timeout=30)
        caller = json.loads(result.stdout or "{}")
        time.sleep(0.3)
        log = phone.log()
        return AudioResult(caller.get("final") == 200, AUDIO_ESTABLISHED in log, caller, log)


def call(lab: Lab) -> bool:
    """The provider side calls the phone (sipsak OPTIONS to the registered user, relayed by
    kamailio): ``True`` when the phone answered."""
    result = lab.run("timeout", str(CALL_TIMEOUT_S), "sipsak", "-s",
                     f"sip:{USER}@{SIP_IP}:5060", ns=ISP, timeout=CALL_TIMEOUT_S + 5)
    return result.returncode == 0


def reachable_after_idle(lab: Lab, settings: PhoneSettings, idle_s: float) -> PhoneResult:
    """Start a phone with ``settings``; once registered, leave it idle for ``idle_s`` (it
    re-registers on its own schedule meanwhile), then call it. The router's flows are flushed
    first, so that no flow of an earlier phone is reused."""
    lab.flush_conntrack()
    lab.flow_timer(settings.keepalive_s or 0)
    with Phone(lab.workdir, settings) as phone:
        if not phone.registered():
            return PhoneResult(False, False, phone.log())
        time.sleep(idle_s)
        reachable = call(lab)
        return PhoneResult(True, reachable, phone.log())

"""The test call against a real registrar and proxy (kamailio with digest accounts, record-route
and nathelper) and a real media relay (rtpengine, userspace) on loopback (issue #25).

What the lab (tests/lab/test_call.py) shows across a NAT, this shows without one: the SIP side
speaks to kamailio as the platform's would be spoken to, the audio goes through rtpengine both
ways, a wrong password and a SHA-256 challenge are met as they come, Ctrl-C still unregisters,
and no password ever appears in what flexdiag prints.
"""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.commands import ENV, free_port
from tests.daemons import (
    Daemon,
    kamailio_argv,
    kamailio_ctl,
    require,
    rtpengine_argv,
    udp_bound,
)

pytestmark = [pytest.mark.interop, pytest.mark.xdist_group("interop")]

SIP_IP, SHA_IP, RELAY_IP = "127.77.0.23", "127.77.0.24", "127.77.0.21"
RELAY_NG = f"{RELAY_IP}:22223"
ACCOUNTS = {"31201110001": "Interop-Secret-A", "31201110002": "Interop-Secret-B"}
PASSWORDS = ",".join(ACCOUNTS.values())


class Platform:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir

    def users(self) -> str:
        """kamailio's location table (kamcmd ul.dump)."""
        return subprocess.run(["kamcmd", "-s", f"unix:{kamailio_ctl(self.workdir)}",
                               "ul.dump"], capture_output=True, text=True, timeout=10).stdout

    def argv(self, *extra: str, server: str = SIP_IP) -> list[str]:
        return [sys.executable, "-m", "flexdiag", "run", "--quick", "--json",
                "--sip-server", server, "--stun-server", f"{server}:3478",
                "--ntp-server", f"{server}:123", "--platform-ranges", "127.0.0.0/8",
                "--timeout", "2", "--local-sip-port", str(free_port()),
                "--call-accounts", ",".join(ACCOUNTS), "--call-seconds", "2", *extra]


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    require("kamailio", "kamcmd", "rtpengine")
    work = tmp_path_factory.mktemp("call")
    relay = Daemon("rtpengine", rtpengine_argv(RELAY_IP, RELAY_NG, work), work / "rtp.log")
    proxy = Daemon("kamailio", kamailio_argv(SIP_IP, work, ACCOUNTS, RELAY_NG),
                   work / "kamailio.log")
    started: list[Daemon] = []
    try:
        for daemon, ready in ((relay, lambda: udp_bound(RELAY_IP, 22223)),
                              (proxy, lambda: udp_bound(SIP_IP, 5060))):
            started.append(daemon)
            daemon.start(ready, timeout_s=15)
        yield Platform(work)
    finally:
        for daemon in reversed(started):
            daemon.stop()


def run(argv: list[str], passwords: str | None = PASSWORDS) -> tuple[int, str, str]:
    env = dict(ENV)
    if passwords is not None:
        env["FLEXDIAG_CALL_PASSWORDS"] = passwords
    result = subprocess.run(argv, capture_output=True, text=True, timeout=90, env=env,
                            stdin=subprocess.DEVNULL)
    return result.returncode, result.stdout, result.stderr


def checks(stdout: str) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in json.loads(stdout)["checks"]}


def no_secret(*texts: str) -> None:
    for secret in ACCOUNTS.values():
        assert all(secret not in text for text in texts)


def test_a_call_through_kamailio_and_rtpengine(platform: Platform,
                                               validate_report: Any) -> None:
    code, out, err = run(platform.argv("--call-idle", "1"))
    report = validate_report(json.loads(out))
    found = checks(out)
    assert [found[i]["status"] for i in ("call.register", "call.incoming", "call.audio")] == [
        "pass", "pass", "pass"], [found[i]["summary"] for i in found if i.startswith("call")]
    accounts = found["call.register"]["data"]["accounts"]
    assert [a["algorithm"] for a in accounts] == ["MD5", "MD5"]
    assert [a["granted_s"] for a in accounts] == [3600, 3600]
    assert all(a["unregistered"] for a in accounts)
    incoming = found["call.incoming"]["data"]
    assert incoming["reached"] is True and incoming["final_status"] == 200
    assert 100 in incoming["provisional"] and 180 in incoming["provisional"]
    audio = found["call.audio"]["data"]
    for direction in ("to_phone_audio", "from_phone_audio"):
        assert audio[direction]["received"] >= 95  # 2 s at 20 ms: 100 packets each way
        assert audio[direction]["dest"].startswith(RELAY_IP)  # anchored on the relay
        assert audio[direction]["by_sequence"] is True
    assert report["profile"]["call_accounts"] == list(ACCOUNTS)
    no_secret(out, err)
    assert "31201110001" not in platform.users()  # unregistered: the location table is empty


def test_a_wrong_password_fails_registration_and_is_never_shown(platform: Platform) -> None:
    code, out, err = run(platform.argv("--call-idle", "0"),
                         passwords="Interop-Secret-A,not-the-password")
    found = checks(out)
    register = found["call.register"]
    assert code == 2 and register["status"] == "fail"
    assert register["reason_code"] == "call_register_failed"
    assert "B (31201110002)" in register["summary"] and "wrong password" in register["summary"]
    assert found["call.incoming"]["status"] == "skip"
    no_secret(out, err)
    assert "not-the-password" not in out + err
    assert "31201110001" not in platform.users()  # A registered, and was removed again


def test_a_sha256_challenge_is_answered(tmp_path: Path, platform: Platform) -> None:
    """RFC 8760: kamailio 5.6 challenges with SHA-256 when told to (one algorithm at a time)."""
    proxy = Daemon("kamailio-sha", kamailio_argv(SHA_IP, tmp_path, ACCOUNTS, None, "SHA-256"),
                   tmp_path / "kamailio.log")
    proxy.start(lambda: udp_bound(SHA_IP, 5060), timeout_s=15)
    try:
        _, out, err = run(platform.argv("--call-idle", "0", server=SHA_IP))
    finally:
        proxy.stop()
    accounts = checks(out)["call.register"]["data"]["accounts"]
    assert [a["algorithm"] for a in accounts] == ["SHA-256", "SHA-256"]
    assert all(a["status"] == 200 and a["unregistered"] for a in accounts)


def test_ctrl_c_while_idle_still_unregisters(platform: Platform) -> None:
    env = {**ENV, "FLEXDIAG_CALL_PASSWORDS": PASSWORDS}
    process = subprocess.Popen(platform.argv("--call-idle", "60"), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env,
                               stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while "31201110002" not in platform.users() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "31201110002" in platform.users(), "the accounts never registered"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    found = checks(out)
    assert found["call.register"]["status"] == "pass"
    assert "stopped before the call" in found["call.incoming"]["summary"]
    assert "31201110001" not in platform.users() and "31201110002" not in platform.users()
    no_secret(out, err)


def test_passwords_are_asked_on_a_terminal_without_echo(platform: Platform) -> None:
    env = {k: v for k, v in ENV.items() if k != "FLEXDIAG_CALL_PASSWORDS"}
    master, slave = pty.openpty()
    process = subprocess.Popen(platform.argv("--call-idle", "0"), stdin=slave,
                               stdout=subprocess.PIPE, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    shown = b""
    try:
        for secret in ACCOUNTS.values():
            deadline = time.monotonic() + 15
            while b"Password for" not in shown and time.monotonic() < deadline:
                if select.select([master], [], [], 1)[0]:
                    shown += os.read(master, 4096)
            assert b"Password for" in shown
            shown = shown.split(b"Password for", 1)[1]
            os.write(master, secret.encode() + b"\n")
        out, _ = process.communicate(timeout=60)
        while select.select([master], [], [], 0.2)[0]:
            try:
                shown += os.read(master, 4096)
            except OSError:
                break
    finally:
        if process.poll() is None:
            process.kill()
        os.close(master)
    assert checks(out.decode())["call.register"]["status"] == "pass"
    no_secret(out.decode(), shown.decode(errors="replace"))

"""The command line: every exit code, --json against the schema, bad input as one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.commands import in_process
from tests.fakes import ntp_handler, platform_in_thread, sip_handler, stun_handler


def test_pass_exits_0_with_text_report(capsys: Any) -> None:
    with platform_in_thread() as fake:
        code, out, err = in_process(["run", "--quick", *fake.args()], capsys)
    assert code == 0, out
    assert "stun.binding" in out and "PASS" in out and "Ready" in out


def test_json_is_the_contract(capsys: Any, validate_report: Any) -> None:
    with platform_in_thread() as fake:
        code, out, err = in_process(["run", "--quick", "--json", *fake.args()], capsys)
    report = validate_report(json.loads(out))
    assert code == 0
    assert report["schema"] == "flexdiag.report/1" and report["status"] == "pass"
    env = report["environment"]
    assert env["argv"][:3] == ["run", "--quick", "--json"] and env["flexdiag_version"]
    assert env["local_ip"] == "127.0.0.1" and env["os"]
    assert report["profile"]["sip_server"] == "voip.test.invalid"
    assert [c["id"] for c in report["checks"]] == [
        "host.network", "dns.voip", "dns.stun", "dns.ntp", "stun.binding", "nat.mapping",
        "nat.filtering", "nat.upstream",
        f"sip.udp.{fake.sip[0].port}", f"sip.udp.{fake.sip[1].port}", "sip.phone", "sip.alg",
        "sip.large", "ntp.offset", "media.ports", "media.quality", "nat.capacity",
        "nat.lifetime"]


def test_warn_exits_1(capsys: Any, validate_report: Any) -> None:
    with platform_in_thread(stun_h=stun_handler(port_shift=3)) as fake:
        code, out, _ = in_process(["run", "--quick", "--json", *fake.args()], capsys)
    assert code == 1
    assert validate_report(json.loads(out))["summary"]["port_translation"] is True


def test_fail_exits_2(capsys: Any) -> None:
    with platform_in_thread(sip_h=[sip_handler(silent=True), sip_handler()]) as fake:
        code, out, _ = in_process(["run", "--quick", *fake.args()], capsys)
    assert code == 2
    assert "FAIL" in out and "What to do" in out


def test_error_exits_3(capsys: Any, monkeypatch: Any) -> None:
    import dataclasses

    from flexdiag.checks import stun

    def broken(obs: Any) -> Any:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(stun, "CHECK", dataclasses.replace(stun.CHECK, judge=broken))
    with platform_in_thread(ntp_h=ntp_handler()) as fake:
        code, out, _ = in_process(["run", "--quick", "--json", *fake.args()], capsys)
    report = json.loads(out)
    assert code == 3 and report["status"] == "error"
    binding = next(c for c in report["checks"] if c["id"] == "stun.binding")
    assert binding["status"] == "error" and "simulated bug" in binding["summary"]


def test_environment_and_profile(capsys: Any, tmp_path: Path, monkeypatch: Any) -> None:
    with platform_in_thread() as fake:
        args = dict(zip(fake.args()[::2], fake.args()[1::2], strict=True))
        profile = tmp_path / "lab.toml"
        profile.write_text(f'stun_server = "{args["--stun-server"]}"\n'
                           f'ntp_server = "{args["--ntp-server"]}"\n'
                           f'platform_ranges = ["127.0.0.0/8"]\ntimeout = 3\n')
        monkeypatch.setenv("FLEXDIAG_SIP_SERVER", args["--sip-server"])
        monkeypatch.setenv("FLEXDIAG_SIP_PORTS", args["--sip-ports"])
        monkeypatch.setenv("FLEXDIAG_DNS_SERVER", args["--dns-server"])
        code, out, _ = in_process(["run", "--quick", "--json", "--profile", str(profile)], capsys)
    assert code == 0, out
    assert json.loads(out)["profile"]["registration_time_s"] == 3600


@pytest.mark.parametrize(("argv", "needle"), [
    (["run", "--quick", "--sip-ports", "abc"], "--sip-ports: 'abc' is not a port number"),
    (["run", "--quick", "--platform-ranges", "1.2.3.0/99"], "is not a CIDR prefix"),
    (["run", "--quick", "--stun-server", "bad host"], "is not a valid host name"),
    (["run", "--quick", "--profile", "/nonexistent/flexdiag.toml"], "no such file"),
    (["run", "--quick", "--frobnicate"], "No such option: --frobnicate"),
    (["run", "--quick", "--timeout"], "requires an argument"),
    (["dance"], "No such command 'dance'"),
    (["run", "--quick", "--call-accounts", "31201110001"], "two accounts are needed"),
    (["run", "--quick", "--call-accounts", "a,a"], "the two accounts are the same"),
    (["run", "--quick", "--call-accounts", "a,b"], "no passwords: set FLEXDIAG_CALL_PASSWORDS"),
    (["watch", "--call-accounts", "a,b"], "not for the watch"),
])
def test_bad_input_exits_3_with_one_line(capsys: Any, argv: list[str], needle: str) -> None:
    code, out, err = in_process(argv, capsys)
    assert code == 3
    assert out == ""
    assert err.startswith("flexdiag: error: ") and needle in err
    assert "internal error" not in err
    assert err.count("\n") == 1


@pytest.mark.parametrize("passwords", ["only-one", "a,b,c", "a,"])
def test_call_passwords_must_match_the_accounts(capsys: Any, monkeypatch: Any,
                                                passwords: str) -> None:
    monkeypatch.setenv("FLEXDIAG_CALL_PASSWORDS", passwords)
    code, out, err = in_process(["run", "--quick", "--call-accounts", "a,b"], capsys)
    assert code == 3 and out == "" and err.count("\n") == 1
    assert "FLEXDIAG_CALL_PASSWORDS: give 2 passwords" in err
    assert all(p not in err for p in passwords.split(",") if len(p) > 1)


def test_version_and_help(capsys: Any) -> None:
    code, out, _ = in_process(["--version"], capsys)
    assert code == 0 and out.startswith("flexdiag ")
    code, out, _ = in_process(["run", "--quick", "--help"], capsys)
    assert code == 0 and "--sip-server" in out and "--json" in out


def test_console_script_never_prints_a_traceback() -> None:
    # A real process: bad input and an unresolvable name (via a DNS server that is a closed
    # port on loopback) end with defined exit codes and no traceback.
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    bad = subprocess.run([sys.executable, "-m", "flexdiag", "run", "--quick", "--sip-ports", "x"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode == 3 and "Traceback" not in bad.stderr
    unresolved = subprocess.run(
        [sys.executable, "-m", "flexdiag", "run", "--quick", "--json", "--dns-server",
         "127.0.0.1:9", "--timeout", "0.5"], capture_output=True, text=True, env=env, timeout=60)
    assert unresolved.returncode == 2, unresolved.stderr
    assert "Traceback" not in unresolved.stderr
    report = json.loads(unresolved.stdout)
    assert {c["status"] for c in report["checks"][1:4]} == {"fail"}  # after host.network
    assert {c["status"] for c in report["checks"][4:]} == {"skip"}


@pytest.mark.parametrize("no_color", [False, True])
def test_the_report_is_coloured_on_a_terminal_unless_no_color(no_color: bool) -> None:
    import os
    import re
    import sys

    from tests.terminal import run_on_terminal

    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update({"TERM": "xterm-256color", "COLUMNS": "120", "PYTHONPATH": "."})
    if no_color:
        env["NO_COLOR"] = "1"
    with platform_in_thread(stun_h=stun_handler(port_shift=3)) as fake:
        text = run_on_terminal([sys.executable, "-m", "flexdiag", "run", "--quick",
                                *fake.args()], env)
    assert "WARN" in text and "stun.binding" in text
    colours = re.findall(r"\x1b\[(?:[0-9]+;)*3[0-8](?:;[0-9]+)*m", text)  # SGR foreground
    assert ("\x1b[1;33mWARN" in text) is not no_color  # the status, in yellow
    assert bool(colours) is not no_color  # NO_COLOR: bold may stay, colour never

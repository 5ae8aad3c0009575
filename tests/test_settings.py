"""The platform profile: defaults, precedence (option > env > file > default), validation."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any

import pytest

from flexdiag.settings import HostPort, Settings, SettingsError, load_settings


def test_defaults_are_the_flex_platform() -> None:
    s = load_settings({}, {})
    assert s == Settings()
    assert s.sip_server == "voip.gntel.nl" and s.sip_ports == (5060, 38388)
    assert s.stun_server == HostPort("stun.gntel.nl", 3478)
    assert s.ntp_server == HostPort("ntp.gntel.nl", 123)
    assert s.platform_ranges == (ipaddress.ip_network("194.140.246.0/24"),
                                 ipaddress.ip_network("91.215.4.0/22"))
    assert s.registration_time_s == 3600 and s.dns_server is None


def test_precedence(tmp_path: Path) -> None:
    profile = tmp_path / "p.toml"
    profile.write_text('sip_server = "file.example.com"\nsip-ports = [5070]\n'
                       'registration_time = 600\nstun_server = "stun.example.com:3479"\n')
    env = {"FLEXDIAG_SIP_SERVER": "env.example.com", "FLEXDIAG_SIP_PORTS": "5080,38388"}
    s = load_settings({"--sip-server": "cli.example.com"}, env, str(profile))
    assert s.sip_server == "cli.example.com"  # option beats env and file
    assert s.sip_ports == (5080, 38388)  # env beats file
    assert s.registration_time_s == 600  # file beats default
    assert s.stun_server == HostPort("stun.example.com", 3479)
    assert s.ntp_server.host == "ntp.gntel.nl"  # default


def test_an_empty_value_is_an_error_from_every_source(tmp_path: Any) -> None:
    # Not the default in disguise: --sip-server '' must not send to the real platform.
    with pytest.raises(SettingsError, match="^FLEXDIAG_TIMEOUT: empty value"):
        load_settings({}, {"FLEXDIAG_TIMEOUT": ""})
    with pytest.raises(SettingsError, match="^--sip-server: empty value"):
        load_settings({"--sip-server": ""}, {})
    profile = tmp_path / "p.toml"
    profile.write_text('sip_server = " "\n')
    with pytest.raises(SettingsError, match=r": sip_server: empty value"):
        load_settings({}, {}, str(profile))


@pytest.mark.parametrize(("text", "expected"), [
    ("198.51.100.1", HostPort("198.51.100.1", 3478)),
    ("198.51.100.1:5000", HostPort("198.51.100.1", 5000)),
    ("[2001:db8::1]:5000", HostPort("2001:db8::1", 5000)),
    ("2001:db8::1", HostPort("2001:db8::1", 3478)),
    ("stun.example.com.", HostPort("stun.example.com", 3478)),
])
def test_host_port_forms(text: str, expected: HostPort) -> None:
    assert load_settings({"--stun-server": text}, {}).stun_server == expected


@pytest.mark.parametrize(("cli", "env", "message"), [
    ({"--sip-ports": "50x0"}, {}, "--sip-ports: '50x0' is not a port number"),
    ({"--sip-ports": "70000"}, {}, "--sip-ports: port 70000 is out of range 1-65535"),
    ({"--sip-ports": "5060,5060"}, {}, "--sip-ports: ports are listed twice"),
    ({"--sip-ports": ","}, {}, "--sip-ports: at least one port is needed"),
    ({"--sip-server": "bad_host!"}, {}, "--sip-server: 'bad_host!' is not a valid host name or "
                                        "IP address"),
    ({"--sip-server": "300.1.2.3"}, {}, "--sip-server: '300.1.2.3' is not a valid IP address"),
    ({"--stun-server": "[::1"}, {}, "--stun-server: '[::1' is not HOST[:PORT]"),
    ({"--platform-ranges": "10.0.0.0/33"}, {}, "--platform-ranges: '10.0.0.0/33' is not a "
                                               "CIDR prefix"),
    ({"--dns-server": "dns.example.com"}, {}, "--dns-server: 'dns.example.com' is not an IP "
                                              "address"),
    ({"--timeout": "soon"}, {}, "--timeout: 'soon' is not a number of seconds"),
    ({"--timeout": "0"}, {}, "--timeout: 0.0 is out of range 0.5-600 seconds"),
    ({}, {"FLEXDIAG_REGISTRATION_TIME": "-5"},
     "FLEXDIAG_REGISTRATION_TIME: -5 is out of range 1-86400 seconds"),
])
def test_bad_values_have_one_line_errors(cli: dict[str, str], env: dict[str, str],
                                         message: str) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(cli, env)
    assert str(info.value) == message


@pytest.mark.parametrize(("content", "message"), [
    ("sip_server = ", "not valid TOML"),
    ("colour = 'red'", "unknown key 'colour'"),
    ("[sip_server]\nx = 1", "sip_server must be a value, not a table"),
    ("sip_ports = ['x']", "sip_ports: 'x' is not a port number"),
])
def test_bad_profile_files(tmp_path: Path, content: str, message: str) -> None:
    profile = tmp_path / "p.toml"
    profile.write_text(content)
    with pytest.raises(SettingsError, match="^profile .*p.toml") as info:
        load_settings({}, {}, str(profile))
    assert message in str(info.value) and "\n" not in str(info.value)


def test_missing_profile_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="no such file"):
        load_settings({}, {}, str(tmp_path / "missing.toml"))


# --- hostile input from every source: one line naming the setting and the source ----------

HOSTILE_VALUES = [
    ("--sip-server", "voip.gntel\n.nl", "not a valid host name"),
    ("--sip-server", "voip.gntel.nl\nINVITE", "not a valid host name"),
    ("--sip-ports", "5_060", "not a port number"),
    ("--sip-ports", "٥٠٦٠", "not a port number"),  # Arabic-Indic digits: int() takes them
    ("--sip-ports", "0", "out of range"),
    ("--sip-ports", "65536", "out of range"),
    ("--sip-ports", ",".join(str(p) for p in range(5000, 5009)), "at most 8"),
    ("--timeout", "1_0", "not a number of seconds"),
    ("--timeout", "1e3", "not a number of seconds"),
    ("--timeout", "inf", "not a number of seconds"),
    ("--timeout", "nan", "not a number of seconds"),
    ("--registration-time", "60.5", "not a number of seconds"),
    ("--platform-ranges", "x" * 10_000, "not a CIDR prefix"),
    ("--stun-server", "[::1", "not HOST[:PORT]"),
    ("--dns-server", "resolver.example", "not an IP address"),
]


@pytest.mark.parametrize(("option", "value", "needle"), HOSTILE_VALUES)
def test_hostile_values_from_every_source(tmp_path: Any, option: str, value: str,
                                          needle: str) -> None:
    from flexdiag.settings import OPTIONS

    opt = next(o for o in OPTIONS if o.option == option)
    profile = tmp_path / "p.toml"
    profile.write_text(f"{opt.key} = {json.dumps(value)}\n")
    for cli, env, path, where in (({option: value}, {}, None, option),
                                  ({}, {opt.env: value}, None, opt.env),
                                  ({}, {}, str(profile), f"profile {profile}: {opt.key}")):
        with pytest.raises(SettingsError) as info:
            load_settings(cli, env, path)
        message = str(info.value)
        assert message.startswith(f"{where}: ") and needle in message, message
        assert "\n" not in message and len(message) < 300, message  # one short line


@pytest.mark.parametrize(("toml", "needle"), [
    ("sip_ports = 5060", "sip_ports: expected a list of ports, got an integer"),
    ("sip_ports = [true]", "sip_ports: expected a port number, got a boolean"),
    ("timeout = true", "timeout: expected a number of seconds, got a boolean"),
    ("sip_server = 5", "sip_server: expected a host name or IP address, got an integer"),
    ("platform_ranges = [1, 2]", "platform_ranges: expected a CIDR prefix, got an integer"),
    ("sip_server = [\"a\"]", "sip_server: expected a host name or IP address, got a list"),
    # Deep enough for tomllib to hit the recursion limit; a short id (a 10,000-character one
    # once broke pytest's own reporting under load).
    pytest.param("x = " + "[" * 1500 + "]" * 1500, "nested too deeply", id="deeply-nested"),
])
def test_profile_values_of_the_wrong_type(tmp_path: Any, toml: str, needle: str) -> None:
    profile = tmp_path / "p.toml"
    profile.write_text(toml + "\n")
    with pytest.raises(SettingsError) as info:
        load_settings({}, {}, str(profile))
    assert needle in str(info.value) and str(info.value).startswith(f"profile {profile}")


def test_profile_that_is_not_a_small_text_file(tmp_path: Any) -> None:
    import os

    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    big = tmp_path / "big.toml"
    big.write_text("# " + "x" * 70_000 + "\n")
    for path, needle in ((binary, "not UTF-8"), (fifo, "not a regular file"),
                         ("/dev/zero", "not a regular file"), (big, "larger than 64 KiB"),
                         (tmp_path, "not a regular file")):
        with pytest.raises(SettingsError, match=needle):  # at once: a FIFO does not block
            load_settings({}, {}, str(path))


@pytest.mark.parametrize(("text", "expected"), [
    ("ams-01", "ams-01"), (" utrecht.2 ", "utrecht.2"), ("A" * 64, "A" * 64), ("x_y", "x_y"),
    ("", None), ("-lead", None), ("a b", None), ("a/b", None), ("A" * 65, None), ("é", None),
])
def test_site_names(text: str, expected: str | None) -> None:
    from flexdiag.settings import parse_site

    if expected is None:
        with pytest.raises(SettingsError, match="is not a site name"):
            parse_site(text)
    else:
        assert parse_site(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("http://127.0.0.1:9091", "http://127.0.0.1:9091"),
    ("https://pgw.example.net/", "https://pgw.example.net"),
    ("https://pgw.example.net:443/prefix", "https://pgw.example.net:443/prefix"),
    ("http://[::1]:9091", "http://[::1]:9091"),
    ("ftp://pgw.example.net", "is not a Pushgateway URL"),
    ("pgw.example.net:9091", "is not a Pushgateway URL"),
    ("http://", "is not a Pushgateway URL"),
    ("http://pgw.example.net:99999", "is not a Pushgateway URL"),
    ("http://user:pw@pgw.example.net", "no credentials"),
    ("http://user@pgw.example.net", "no credentials"),
    ("http://pgw.example.net/?x=1", "no query or fragment"),
])
def test_pushgateway_urls(text: str, expected: str) -> None:
    from flexdiag.settings import parse_push_url

    if expected.startswith("http"):
        assert parse_push_url(text) == expected
    else:
        with pytest.raises(SettingsError, match=expected):
            parse_push_url(text)

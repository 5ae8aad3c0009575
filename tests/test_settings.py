"""The platform profile: defaults, precedence (option > env > file > default), validation."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any

import pytest

from flexdiag.settings import HostPort, Settings, SettingsError, load_settings, shown


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


# --- every parser as a table: values, bounds and exact messages (docs/testing.md) -------------

def _option(name: str) -> Any:
    from flexdiag.settings import OPTIONS

    return next(o for o in OPTIONS if o.option == name).parse


def parsed(parse: Any, value: Any) -> Any:
    """What ``parse`` makes of ``value``: the value, or its one-line error message."""
    try:
        return parse(value)
    except SettingsError as exc:
        return str(exc)


@pytest.mark.parametrize(("option", "value", "expected"), [
    ("--timeout", "0.5", 0.5), ("--timeout", "600", 600.0), ("--timeout", 5, 5.0),
    ("--timeout", 2.5, 2.5), ("--timeout", " 8 ", 8.0),
    ("--timeout", "0.49", "0.49 is out of range 0.5-600 seconds"),
    ("--timeout", "600.1", "600.1 is out of range 0.5-600 seconds"),
    ("--timeout", "1e3", "'1e3' is not a number of seconds"),
    ("--timeout", True, "expected a number of seconds, got a boolean"),
    ("--timeout", [1], "expected a number of seconds, got a list"),
    ("--ntp-max-offset", "1.5", 1.5),
    ("--ntp-max-offset", "0", "0.0 is out of range 0.001-86400 seconds"),
    ("--registration-time", "1", 1), ("--registration-time", "86400", 86400),
    ("--registration-time", "0", "0 is out of range 1-86400 seconds"),
    ("--registration-time", "86401", "86401 is out of range 1-86400 seconds"),
    ("--registration-time", "1.5", "'1.5' is not a number of seconds"),
    ("--phones", "0", 0), ("--phones", "100", 100),
    ("--phones", "101", "101 is out of range 0-100"),
    ("--phones", "-1", "-1 is out of range 0-100"),
    ("--phones", "2.0", "'2.0' is not a whole number"),
    ("--phones", {}, "expected a whole number, got a table"),
    ("--local-sip-port", "1", 1), ("--local-sip-port", "65535", 65535),
    ("--local-sip-port", "0", "port 0 is out of range 1-65535"),
    ("--local-sip-port", "65536", "port 65536 is out of range 1-65535"),
    # Issue #21: flexdiag's own sockets (31801-31807) and the alternative two up.
    ("--local-sip-port", "31801", "port 31801 is too close to flexdiag's own local ports "
     "31801-31807; the phones' port and the one two beside it must lie outside them"),
    ("--local-sip-port", "31799", "port 31799 is too close to flexdiag's own local ports "
     "31801-31807; the phones' port and the one two beside it must lie outside them"),
    ("--local-sip-port", "31807", "port 31807 is too close to flexdiag's own local ports "
     "31801-31807; the phones' port and the one two beside it must lie outside them"),
    ("--local-sip-port", "31798", 31798), ("--local-sip-port", "31808", 31808),
    ("--max-wait", "5", 5.0), ("--max-wait", "4.9", "4.9 is out of range 5-604800 seconds"),
    ("--dns-server", "192.0.2.53", HostPort("192.0.2.53", 53)),
    ("--dns-server", "[2001:db8::53]:54", HostPort("2001:db8::53", 54)),
    ("--dns-server", "dns.example", "'dns.example' is not an IP address"),
    ("--stun-server", "stun.example", HostPort("stun.example", 3478)),
    ("--stun-server", "2001:db8::1", HostPort("2001:db8::1", 3478)),
    ("--stun-server", "[2001:db8::1]", HostPort("2001:db8::1", 3478)),
    ("--stun-server", "[x]:1", "'x' is not an IPv6 address"),
    ("--stun-server", "[2001:db8::1", "'[2001:db8::1' is not HOST[:PORT]"),
    ("--stun-server", "[2001:db8::1]x", "'[2001:db8::1]x' is not HOST[:PORT]"),
    ("--stun-server", "[2001:db8::1]]:5", "'[2001:db8::1]]:5' is not HOST[:PORT]"),
    ("--stun-server", "a:b:c", "'a:b:c' is not a valid host name or IP address"),
    ("--ntp-server", "ntp.example:65535", HostPort("ntp.example", 65535)),
    ("--ntp-server", "ntp.example", HostPort("ntp.example", 123)),
    ("--sip-server", "a" * 63 + ".nl", "a" * 63 + ".nl"),
    ("--sip-server", "a" * 64 + ".nl",
     "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...(cut) is not a valid host name or IP address"),
    ("--sip-server", ".".join(["a" * 62] * 4), ".".join(["a" * 62] * 4)),  # 251 characters
    ("--sip-server", ".".join(["a" * 63] * 4), "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...(cut)"
                                               " is not a valid host name or IP address"),
    ("--platform-ranges", "198.51.100.7/24", (ipaddress.ip_network("198.51.100.0/24"),)),
    ("--platform-ranges", "10.0.0.0/8, 2001:db8::/32",
     (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("2001:db8::/32"))),
    ("--platform-ranges", " , ", "at least one CIDR prefix is needed"),
    ("--platform-ranges", "x", "'x' is not a CIDR prefix"),
    ("--platform-ranges", 5, "expected a list of CIDR prefixes, got an integer"),
])
def test_every_option_parser(option: str, value: Any, expected: Any) -> None:
    assert parsed(_option(option), value) == expected


def test_a_253_character_name_is_the_longest() -> None:
    from flexdiag.settings import parse_host

    name = ".".join(["a" * 63] * 3) + "." + "a" * 61  # 253
    assert parse_host(name) == name
    with pytest.raises(SettingsError):
        parse_host(name + "a")


def test_lists_are_bounded() -> None:
    from flexdiag.settings import MAX_RANGES, parse_ranges

    assert len(parse_ranges(",".join(["10.0.0.0/8"] * MAX_RANGES))) == MAX_RANGES
    with pytest.raises(SettingsError, match=f"^{MAX_RANGES + 1} entries: at most {MAX_RANGES}$"):
        parse_ranges(",".join(["10.0.0.0/8"] * (MAX_RANGES + 1)))


@pytest.mark.parametrize(("text", "seconds"), [
    ("90", 90.0), ("90s", 90.0), ("5m", 300.0), ("1h", 3600.0), ("1h30m", 5400.0),
    ("1.5h", 5400.0), (" 5M ", 300.0), ("1", 1.0), ("604800", 604800.0), ("1h1m1s", 3661.0),
])
def test_durations(text: str, seconds: float) -> None:
    from flexdiag.settings import parse_duration

    assert parse_duration(text) == seconds


@pytest.mark.parametrize(("text", "message"), [
    ("0.5", "'0.5' is out of range 1 s - 604800 s"),
    ("604801", "'604801' is out of range 1 s - 604800 s"),
    ("soon", "'soon' is not a duration (e.g. 90s, 5m, 1h)"),
    ("", "'' is not a duration (e.g. 90s, 5m, 1h)"),
    ("m", "'m' is not a duration (e.g. 90s, 5m, 1h)"),
    ("5m1h", "'5m1h' is not a duration (e.g. 90s, 5m, 1h)"),
])
def test_bad_durations(text: str, message: str) -> None:
    from flexdiag.settings import parse_duration

    with pytest.raises(SettingsError) as info:
        parse_duration(text)
    assert str(info.value) == message


def test_duration_bounds_are_parameters() -> None:
    from flexdiag.settings import parse_duration

    assert parse_duration("2", low_s=2, high_s=3) == 2.0
    with pytest.raises(SettingsError, match="out of range 2 s - 3 s"):
        parse_duration("4", low_s=2, high_s=3)


@pytest.mark.parametrize(("text", "expected"), [
    ("9469", HostPort("127.0.0.1", 9469)), (" 0.0.0.0:9469 ", HostPort("0.0.0.0", 9469)),
    ("[::1]:9469", HostPort("::1", 9469)),
    ("host:1", "'host' is not an IP address"), ("1.2.3.4", "'1.2.3.4' has no port"),
    ("99999", "port 99999 is out of range 1-65535"), ("[::1]", "'[::1]' has no port"),
])
def test_listen_addresses(text: str, expected: HostPort | str) -> None:
    from flexdiag.settings import parse_listen

    assert parsed(parse_listen, text) == expected
    assert parse_listen("80", default_host="::") == HostPort("::", 80)


def test_the_profile_in_the_report_names_every_setting() -> None:
    settings = load_settings({
        "--sip-server": "sip.example", "--sip-ports": "5070,5080",
        "--stun-server": "[2001:db8::1]:3479", "--ntp-server": "ntp.example:1123",
        "--platform-ranges": "198.51.100.0/24", "--dns-server": "192.0.2.53:5353",
        "--registration-time": "600", "--timeout": "4", "--ntp-max-offset": "0.5",
        "--max-wait": "700", "--local-sip-port": "5062", "--phones": "8",
        "--horizon": "120", "--min-registration": "300", "--media-seconds": "3",
        "--media-ranges": "198.51.100.40/30"}, {})
    assert settings.profile() == {
        "sip_server": "sip.example", "sip_ports": [5070, 5080],
        "stun_server": "[2001:db8::1]:3479", "ntp_server": "ntp.example:1123",
        "platform_ranges": ["198.51.100.0/24"], "dns_server": "192.0.2.53:5353",
        "registration_time_s": 600, "timeout_s": 4.0, "ntp_max_offset_s": 0.5,
        "max_wait_s": 700.0, "local_sip_port": 5062, "phones": 8, "horizon_s": 120.0,
        "min_registration_s": 300, "media_seconds": 3.0, "media_ranges": ["198.51.100.40/30"],
            "call_accounts": [], "call_idle_s": None, "call_seconds": 5.0}
    assert Settings().profile()["dns_server"] is None
    assert str(HostPort("::1", 5)) == "[::1]:5" and str(HostPort("h", 5)) == "h:5"


def test_a_bad_value_is_quoted_and_cut() -> None:
    from flexdiag.settings import SHOWN_CHARS, shown

    assert shown("x" * (SHOWN_CHARS - 2)) == repr("x" * (SHOWN_CHARS - 2))  # exactly 40
    assert shown("x" * (SHOWN_CHARS - 1)) == repr("x" * (SHOWN_CHARS - 1))[:SHOWN_CHARS] \
        + "...(cut)"


# The option parsers are built when the module is imported; these build them at test time,
# so that a change in the builders themselves is seen.
@pytest.mark.parametrize(("value", "expected"), [
    ("0.5", 0.5), ("2", 2.0), (" 2 ", 2.0), (2, 2.0), (0.5, 0.5),
    ("0.4", "0.4 is out of range 0.5-2 seconds"), ("2.01", "2.01 is out of range 0.5-2 seconds"),
    ("x", "'x' is not a number of seconds"), ("-1", "-1.0 is out of range 0.5-2 seconds"),
    (False, "expected a number of seconds, got a boolean"),
    (None, "expected a number of seconds, got NoneType"),
])
def test_a_bounded_number_of_seconds(value: Any, expected: Any) -> None:
    from flexdiag.settings import _positive

    assert parsed(_positive(float, 0.5, 2), value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("3", 3), (3, 3), ("10", 10), ("2", "2 is out of range 3-10"),
    ("11", "11 is out of range 3-10"), ("3.0", "'3.0' is not a whole number"),
    (3.5, "3.5 is not a whole number"), ([], "expected a whole number, got a list"),
])
def test_a_bounded_count(value: Any, expected: Any) -> None:
    from flexdiag.settings import _count

    result = parsed(_count(3, 10), value)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize(("text", "message"), [
    ("a b", "'a b' is not a site name (letters, digits, '.', '_', '-'; at most 64)"),
    ("ftp://x", "'ftp://x' is not a Pushgateway URL (e.g. https://pushgateway.example.net:9091)"),
    ("http://u:p@x", "put no credentials in the URL: use --pushgateway-user and the "
                     "FLEXDIAG_PUSHGATEWAY_PASSWORD environment variable"),
    ("http://x/#f", "'http://x/#f': a Pushgateway URL has no query or fragment"),
])
def test_site_and_push_messages(text: str, message: str) -> None:
    from flexdiag.settings import parse_push_url, parse_site

    parse = parse_site if " " in text else parse_push_url
    with pytest.raises(SettingsError) as info:
        parse(text)
    assert str(info.value) == message
    assert parse_push_url("http://x//") == "http://x"


def test_profile_files_that_cannot_be_read(tmp_path: Path) -> None:
    from flexdiag.settings import MAX_PROFILE_BYTES, read_profile

    plain = tmp_path / "plain.toml"
    plain.write_text("")
    with pytest.raises(SettingsError) as info:
        read_profile(str(plain / "x.toml"))
    assert str(info.value) == f"profile {plain / 'x.toml'}: Not a directory"
    exact = tmp_path / "exact.toml"
    exact.write_bytes(b"#" * (MAX_PROFILE_BYTES - 1) + b"\n")
    assert read_profile(str(exact)) == {}
    larger = tmp_path / "larger.toml"
    larger.write_bytes(b"#" * MAX_PROFILE_BYTES + b"\n")
    with pytest.raises(SettingsError) as info:
        read_profile(str(larger))
    assert str(info.value) == f"profile {larger}: larger than 64 KiB"


def test_kinds_named_in_messages() -> None:
    from flexdiag.settings import parse_host_port, parse_push_url

    with pytest.raises(SettingsError) as info:
        parse_host_port(5, 3478)  # type: ignore[arg-type]
    assert str(info.value) == "expected HOST[:PORT], got an integer"
    with pytest.raises(SettingsError) as info:
        _option("--phones")(b"3")
    assert str(info.value) == "expected a whole number, got bytes"
    assert parse_push_url("https://pgwX/") == "https://pgwX"


@pytest.mark.parametrize(("port", "alternative"), [(5060, 5062), (1, 3), (65533, 65535),
                                                   (65534, 65532), (65535, 65533)])
def test_the_alternative_local_sip_port(port: int, alternative: int) -> None:
    from flexdiag.settings import alternative_port

    assert alternative_port(port) == alternative


@pytest.mark.parametrize(("text", "user"), [
    ("31201234567", "31201234567"), (" sip:31201234567@voip.gntel.nl ", "31201234567"),
    ("sips:alice@example.net", "alice"), ("31201234567@voip.gntel.nl", "31201234567"),
    ("a" * 64, "a" * 64), ("x-_.!~*'()&=+$,;?/%", "x-_.!~*'()&=+$,;?/%")])
def test_an_account_is_its_user_part(text: str, user: str) -> None:
    from flexdiag.settings import parse_account

    assert parse_account(text) == user


@pytest.mark.parametrize(("text", "message"), [
    ("", "'' is not a SIP user part or address of record"),
    ("sip:@voip.gntel.nl", "'sip:@voip.gntel.nl' is not a SIP user part or address of record"),
    ("a" * 65, f"{shown('a' * 65)} is not a SIP user part or address of record"),
    ("al ice", "'al ice' is not a SIP user part or address of record"),
    ("ålice", "'ålice' is not a SIP user part or address of record"),
    ("tel:+3120", "'tel:+3120' is not a SIP user part or address of record")])
def test_a_bad_account_is_refused_with_its_reason(text: str, message: str) -> None:
    from flexdiag.settings import SettingsError, parse_account

    with pytest.raises(SettingsError) as refused:
        parse_account(text)
    assert str(refused.value) == message


def test_two_distinct_accounts_are_needed() -> None:
    from flexdiag.settings import SettingsError, parse_accounts

    assert parse_accounts("31201110001, sip:31201110002@voip.gntel.nl") == (
        "31201110001", "31201110002")
    assert parse_accounts(["a", "b"]) == ("a", "b")
    for value, message in (
            ("a", "two accounts are needed: the phone's and the caller's (A,B)"),
            ("", "two accounts are needed: the phone's and the caller's (A,B)"),
            ("a,sip:a@x", "the two accounts are the same: a call needs two"),
            ("a,b,c", "3 entries: at most 2"), (7, "expected two accounts, got an integer"),
            (["a", 7], "expected an account, got an integer")):
        with pytest.raises(SettingsError) as refused:
            parse_accounts(value)  # type: ignore[arg-type]
        assert str(refused.value) == message, value


@pytest.mark.parametrize(("text", "message"), [
    ("http://pgw:9091/a b", "'http://pgw:9091/a b': a URL has no spaces, tabs, newlines or "
                            "control characters"),
    ("http://pgw:9091/\x07", "'http://pgw:9091/\\x07': a URL has no spaces, tabs, newlines or "
                             "control characters"),
    ("http://pgw:9091/?a=1", "'http://pgw:9091/?a=1': a Pushgateway URL has no query or "
                             "fragment")])
def test_push_url_refusals_word_for_word(text: str, message: str) -> None:
    from flexdiag.settings import SettingsError, parse_push_url

    with pytest.raises(SettingsError) as refused:
        parse_push_url(text)
    assert str(refused.value) == message
    with pytest.raises(SettingsError) as fragment:
        parse_push_url("https://h/x?a=1#f", kind="report", query=True)
    assert str(fragment.value) == "'https://h/x?a=1#f': a report URL has no fragment"

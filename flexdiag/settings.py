"""The platform profile: what to test against, and how long to wait.

Defaults describe the Flex platform (platform FAQ items 1-6). Every value can be set by command-line
option, ``FLEXDIAG_*`` environment variable or TOML profile file; precedence is
option > environment > file > default. All validation happens here, so that bad input becomes one
:class:`SettingsError` line before any packet is sent.
"""

from __future__ import annotations

import ipaddress
import os
import re
import stat
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from flexdiag.addr import MAX_PORT, MIN_PORT, format_addr, valid_port
from flexdiag.analysis import lifetime as _lifetime
from flexdiag.vocab import DNS_PORT, NTP_PORT, PLATFORM_SIP_PORTS, SIP_PORT, STUN_PORT

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class SettingsError(ValueError):
    """Invalid option, environment variable or profile file; the message is one line."""


@dataclass(frozen=True)
class HostPort:
    """A server given as host name or IP literal plus UDP port."""

    host: str
    port: int

    @property
    def addr(self) -> tuple[str, int]:
        return self.host, self.port

    def __str__(self) -> str:
        return format_addr(self.addr)


def _default_ranges() -> tuple[IPNetwork, ...]:
    # FAQ item 4: the platform sends from 194.140.246.0/24 and 91.215.4.0/22.
    return (ipaddress.ip_network("194.140.246.0/24"), ipaddress.ip_network("91.215.4.0/22"))


@dataclass(frozen=True)
class Settings:
    """The effective profile of one run (see design.md, "The platform profile")."""

    sip_server: str = "voip.gntel.nl"  # FAQ item 1
    sip_ports: tuple[int, ...] = PLATFORM_SIP_PORTS  # FAQ item 5
    stun_server: HostPort = HostPort("stun.gntel.nl", STUN_PORT)  # FAQ item 2
    ntp_server: HostPort = HostPort("ntp.gntel.nl", NTP_PORT)  # FAQ item 3
    platform_ranges: tuple[IPNetwork, ...] = field(default_factory=_default_ranges)
    dns_server: HostPort | None = None  # None: the system resolver
    registration_time_s: int = 3600
    timeout_s: float = 8.0  # overall budget of the quick run
    ntp_max_offset_s: float = 1.0  # a local clock further off than this is a warning
    max_wait_s: float | None = None  # nat.lifetime budget; None: registration time + margin
    local_sip_port: int = SIP_PORT  # the phones' own SIP port: probed from too, as a phone sends
    phones: int = 0  # --phones N: check the NAT table has room for N phones' flows (0: no)
    # The default run watches a phone's idle mapping this long (FAQ item 6): most routers keep
    # one 30, 60, 120 or 180 s, so a short timeout is judged on site; --lifetime proves more.
    horizon_s: float = 180.0
    # Registration intervals below this are never advised: registrars may refuse them (SIP 423
    # Interval Too Brief), some phones cannot take them (Grandstream >= 60 s, Poly >= 300 s).
    min_registration_s: int = 60
    media_seconds: float = 5.0  # the RTP-paced probe of media.quality (default run only)
    # Where the platform's audio comes from (FAQ item 4); None: the platform ranges.
    media_ranges: tuple[IPNetwork, ...] | None = None
    # --call-accounts A,B: a test call through the platform (call.*) with two of the
    # installer's accounts (passwords never here: FLEXDIAG_CALL_PASSWORDS or a prompt).
    call_accounts: tuple[str, ...] = ()
    call_idle_s: float | None = None  # None: the registration interval, capped at --horizon
    call_seconds: float = 5.0  # audio both ways for this long

    @property
    def media_networks(self) -> tuple[IPNetwork, ...]:
        """The media ranges in force: ``--media-ranges``, else the platform ranges."""
        return self.media_ranges or self.platform_ranges

    def profile(self) -> dict[str, Any]:
        """The profile as it appears in the JSON report."""
        return {
            "sip_server": self.sip_server,
            "sip_ports": list(self.sip_ports),
            "stun_server": str(self.stun_server),
            "ntp_server": str(self.ntp_server),
            "platform_ranges": [str(n) for n in self.platform_ranges],
            "dns_server": str(self.dns_server) if self.dns_server else None,
            "registration_time_s": self.registration_time_s,
            "timeout_s": self.timeout_s,
            "ntp_max_offset_s": self.ntp_max_offset_s,
            "max_wait_s": self.max_wait_s,
            "local_sip_port": self.local_sip_port,
            "phones": self.phones,
            "horizon_s": self.horizon_s,
            "min_registration_s": self.min_registration_s,
            "media_seconds": self.media_seconds,
            "media_ranges": [str(n) for n in self.media_networks],
            "call_accounts": list(self.call_accounts),
            "call_idle_s": self.call_idle_s,
            "call_seconds": self.call_seconds,
        }


# flexdiag's own local ports (flexdiag.net.ports: the quick run's sockets, the same every run).
OWN_PORTS = range(31_801, 31_808)


def parse_local_sip_port(text: str | int) -> int:
    """The phones' local SIP port: a port, and neither it nor the alternative tried beside it
    (:func:`alternative_port`) one of flexdiag's own sockets (:data:`OWN_PORTS`), which it
    would collide with."""
    port = parse_port(text)
    if port in OWN_PORTS or alternative_port(port) in OWN_PORTS:
        raise SettingsError(f"port {port} is too close to flexdiag's own local ports "
                            f"{OWN_PORTS.start}-{OWN_PORTS.stop - 1}; the phones' port and "
                            f"the one two beside it must lie outside them")
    return port


def alternative_port(port: int) -> int:
    """The local SIP port tried beside the phones' own (``--local-sip-port``): two up
    (5060 -> 5062), as phones number a second SIP account's port."""
    return port + 2 if port <= 65533 else port - 2


_HOSTNAME_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)", re.ASCII)
_PORT = re.compile(r"[0-9]{1,5}", re.ASCII)
_DECIMAL = re.compile(r"-?[0-9]{1,9}(?:\.[0-9]{1,9})?", re.ASCII)
_WHOLE = re.compile(r"-?[0-9]{1,9}", re.ASCII)
MAX_SIP_PORTS = 8  # "a handful": the platform has two
MAX_RANGES = 64
MAX_PROFILE_BYTES = 64 * 1024
SHOWN_CHARS = 40  # of a bad value, in an error line


def shown(value: Any) -> str:
    """A bad value as an error line quotes it: its repr, cut to :data:`SHOWN_CHARS`."""
    text = repr(value)
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "...(cut)"


_KINDS = {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
          list: "a list", dict: "a table"}


def _kind(value: Any) -> str:
    return _KINDS.get(type(value), type(value).__name__)


def _text(value: Any, expected: str) -> str:
    """A setting's value as text: strings only (TOML numbers where a number is meant are
    handled by the number parsers)."""
    if not isinstance(value, str):
        raise SettingsError(f"expected {expected}, got {_kind(value)}")
    return value


def parse_host(text: str) -> str:
    """An IP literal or a host name (RFC 1123 §2.1); returns it without a trailing dot."""
    text = _text(text, "a host name or IP address").strip()
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        pass
    name = text[:-1] if text.endswith(".") else text
    labels = name.split(".")
    if not name or len(name) > 253 or not all(_HOSTNAME_LABEL.fullmatch(p) for p in labels):
        raise SettingsError(f"{shown(text)} is not a valid host name or IP address")
    if name.replace(".", "").isdigit():
        raise SettingsError(f"{shown(text)} is not a valid IP address")
    return name


def parse_port(text: str | int) -> int:
    """A UDP port number, 1-65535: ASCII digits (``int()`` would also take "5_060" and
    non-ASCII digits), or a TOML integer."""
    if isinstance(text, bool) or not isinstance(text, str | int):
        raise SettingsError(f"expected a port number, got {_kind(text)}")
    if isinstance(text, str) and not _PORT.fullmatch(text.strip()):
        raise SettingsError(f"{shown(text)} is not a port number")
    port = int(text)
    if not valid_port(port):
        raise SettingsError(f"port {port} is out of range {MIN_PORT}-{MAX_PORT}")
    return port


def parse_host_port(text: str, default_port: int) -> HostPort:
    """``HOST``, ``HOST:PORT``, ``IPv6`` or ``[IPv6]:PORT``."""
    text = _text(text, "HOST[:PORT]").strip()
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise SettingsError(f"{text!r} is not HOST[:PORT]")
        port = parse_port(rest[1:]) if rest else default_port
        try:
            return HostPort(str(ipaddress.IPv6Address(host)), port)
        except ValueError:
            raise SettingsError(f"{host!r} is not an IPv6 address") from None
    if text.count(":") > 1:  # a bare IPv6 literal
        return HostPort(parse_host(text), default_port)
    host, sep, port_text = text.partition(":")
    return HostPort(parse_host(host), parse_port(port_text) if sep else default_port)


def _split(value: Any, expected: str, limit: int) -> list[Any]:
    """A comma-separated string or a TOML array, at most ``limit`` long."""
    if isinstance(value, list):
        items = value
    elif isinstance(value, str):
        items = [part for part in (p.strip() for p in value.split(",")) if part]
    else:
        raise SettingsError(f"expected {expected}, got {_kind(value)}")
    if len(items) > limit:
        raise SettingsError(f"{len(items)} entries: at most {limit}")
    return items


def parse_ports(value: str | list[Any]) -> tuple[int, ...]:
    """A comma-separated list (or TOML array) of distinct ports, at most
    :data:`MAX_SIP_PORTS`."""
    ports = tuple(parse_port(p) for p in _split(value, "a list of ports", MAX_SIP_PORTS))
    if not ports:
        raise SettingsError("at least one port is needed")
    if len(set(ports)) != len(ports):
        raise SettingsError("ports are listed twice")
    return ports


def parse_ranges(value: str | list[Any]) -> tuple[IPNetwork, ...]:
    """A comma-separated list (or TOML array) of CIDR prefixes."""
    networks = []
    for part in _split(value, "a list of CIDR prefixes", MAX_RANGES):
        text = _text(part, "a CIDR prefix").strip()
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise SettingsError(f"{shown(part)} is not a CIDR prefix") from None
    if not networks:
        raise SettingsError("at least one CIDR prefix is needed")
    return tuple(networks)


# RFC 3261 §25.1: a user part (unreserved, escaped and user-unreserved characters).
_USER = re.compile(r"[A-Za-z0-9\-_.!~*'()&=+$,;?/%]{1,64}", re.ASCII)


def parse_account(text: Any) -> str:
    """An account on the SIP server: a user part (``31201234567``), or an address of record
    (``sip:31201234567@voip.gntel.nl``, ``31201234567@voip.gntel.nl``): its user part."""
    value = _text(text, "an account").strip()
    user = value.removeprefix("sips:").removeprefix("sip:").partition("@")[0]
    if not _USER.fullmatch(user):
        raise SettingsError(f"{shown(value)} is not a SIP user part or address of record")
    return user


def parse_accounts(value: str | list[Any]) -> tuple[str, ...]:
    """Exactly two distinct accounts: the phone's (A, called) and the caller's (B)."""
    users = tuple(parse_account(v) for v in _split(value, "two accounts", 2))
    if len(users) != 2:
        raise SettingsError("two accounts are needed: the phone's and the caller's (A,B)")
    if users[0] == users[1]:
        raise SettingsError("the two accounts are the same: a call needs two")
    return users


def parse_dns_server(text: str) -> HostPort:
    """``IP`` or ``IP:PORT`` / ``[IPv6]:PORT``: a resolver is named by address, not by name."""
    server = parse_host_port(text, DNS_PORT)
    try:
        ipaddress.ip_address(server.host)
    except ValueError:
        raise SettingsError(f"{server.host!r} is not an IP address") from None
    return server


def _bounded(kind: type[int] | type[float], low: float, high: float, what: str,
             unit: str = "") -> Callable[[Any], Any]:
    """A parser of a number of ``kind`` within ``[low, high]``, from text or a TOML number.
    ASCII digits only: ``float()``/``int()`` would also take "1_0", "1e3", "inf", "٣"."""
    pattern = _DECIMAL if kind is float else _WHOLE

    def parse(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise SettingsError(f"expected {what}, got {_kind(value)}")
        text = str(value).strip()
        if not pattern.fullmatch(text):
            raise SettingsError(f"{shown(value)} is not {what}")
        number = kind(text)
        if not low <= number <= high:
            raise SettingsError(f"{number} is out of range {low:g}-{high:g}{unit}")
        return number

    return parse


def _positive(kind: type[int] | type[float], low: float, high: float) -> Callable[[Any], Any]:
    return _bounded(kind, low, high, "a number of seconds", " seconds")


def _count(low: int, high: int) -> Callable[[Any], int]:
    parse: Callable[[Any], int] = _bounded(int, low, high, "a whole number")
    return parse


_DURATION = re.compile(r"(?:([0-9]+(?:\.[0-9]+)?)h)?(?:([0-9]+(?:\.[0-9]+)?)m)?"
                       r"(?:([0-9]+(?:\.[0-9]+)?)s?)?", re.ASCII)


def parse_duration(text: str, low_s: float = 1.0, high_s: float = 7 * 86400) -> float:
    """``90``, ``90s``, ``5m``, ``1h``, ``1h30m``: a duration in seconds, within bounds."""
    match = _DURATION.fullmatch(text.strip().lower())
    if not text.strip() or not match or not any(match.groups()):
        raise SettingsError(f"{shown(text)} is not a duration (e.g. 90s, 5m, 1h)")
    hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    value = hours * 3600 + minutes * 60 + seconds
    if not low_s <= value <= high_s:
        raise SettingsError(f"{shown(text)} is out of range {low_s:g} s - {high_s:g} s")
    return value


_SITE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", re.ASCII)


def parse_site(text: str) -> str:
    """A site name for the ``site`` label and the Pushgateway grouping key: letters, digits,
    ``.``, ``_`` and ``-``, at most 64 characters (it also names the site in alerts)."""
    if not _SITE.fullmatch(text.strip()):
        raise SettingsError(f"{shown(text)} is not a site name (letters, digits, '.', '_', "
                            "'-'; at most 64)")
    return text.strip()


def parse_push_url(text: str, kind: str = "Pushgateway", credentials: str = (
        "--pushgateway-user and the FLEXDIAG_PUSHGATEWAY_PASSWORD environment variable"),
        query: bool = False, example: str = "https://pushgateway.example.net:9091") -> str:
    """An HTTP endpoint's URL: ``http(s)://host[:port][/path]`` (``query``: and a query),
    without credentials (give those with --pushgateway-user and FLEXDIAG_PUSHGATEWAY_PASSWORD,
    or --report-user and FLEXDIAG_REPORT_PASSWORD, not on a command line that every user of
    the host can read)."""
    import urllib.parse

    if any(c.isspace() or not c.isprintable() for c in text):
        # urlsplit silently drops tabs and newlines (WHATWG); a URL with them is a mistake.
        raise SettingsError(f"{shown(text)}: a URL has no spaces, tabs, newlines or control "
                            "characters")
    url = urllib.parse.urlsplit(text.strip())
    try:
        port = url.port
    except ValueError:
        port = -1
    if url.scheme not in ("http", "https") or not url.hostname or port == -1:
        raise SettingsError(f"{shown(text)} is not a {kind} URL (e.g. {example})")
    if url.username is not None or url.password is not None:
        raise SettingsError(f"put no credentials in the URL: use {credentials}")
    if (url.query and not query) or url.fragment:
        raise SettingsError(f"{shown(text)}: a {kind} URL has no "
                            f"{'fragment' if query else 'query or fragment'}")
    return text.strip().rstrip("/")


def parse_listen(text: str, default_host: str = "127.0.0.1") -> HostPort:
    """``PORT``, ``ADDR:PORT`` or ``[IPv6]:PORT`` to listen on (an IP address, not a name)."""
    text = text.strip()
    if _PORT.fullmatch(text):
        return HostPort(default_host, parse_port(text))
    server = parse_host_port(text, 0)
    try:
        ipaddress.ip_address(server.host)
    except ValueError:
        raise SettingsError(f"{server.host!r} is not an IP address") from None
    if server.port == 0:
        raise SettingsError(f"{text!r} has no port")
    return server


@dataclass(frozen=True)
class Option:
    """One profile setting: its field, command-line option, environment variable, parser,
    and what ``--help`` says of it (its default is read from :class:`Settings`)."""

    field: str
    option: str
    parse: Callable[[Any], Any]
    metavar: str = "VALUE"
    help: str = ""
    default_text: str | None = None  # what the default means when it is not a plain value

    @property
    def env(self) -> str:
        return "FLEXDIAG_" + self.option[2:].upper().replace("-", "_")

    @property
    def key(self) -> str:
        """The key in a TOML profile file (dashes and underscores are both accepted)."""
        return self.option[2:].replace("-", "_")

    @property
    def default(self) -> str:
        """The default as ``--help`` shows it."""
        if self.default_text is not None:
            return self.default_text
        value = Settings().profile()[self.field]
        return ",".join(map(str, value)) if isinstance(value, list) else f"{value:g}" if (
            isinstance(value, float)) else str(value)


OPTIONS: tuple[Option, ...] = (
    Option("sip_server", "--sip-server", parse_host, "HOST", "SIP server"),
    Option("sip_ports", "--sip-ports", parse_ports, "PORT[,PORT...]", "SIP UDP ports"),
    Option("stun_server", "--stun-server", lambda v: parse_host_port(str(v), STUN_PORT),
           "HOST[:PORT]", "STUN server"),
    Option("ntp_server", "--ntp-server", lambda v: parse_host_port(str(v), NTP_PORT),
           "HOST[:PORT]", "NTP server"),
    Option("platform_ranges", "--platform-ranges", parse_ranges, "CIDR[,CIDR...]",
           "Platform address ranges"),
    Option("dns_server", "--dns-server", lambda v: parse_dns_server(str(v)), "IP[:PORT]",
           "DNS server to ask", "the system's"),
    Option("registration_time_s", "--registration-time", _positive(int, 1, 86400), "SECONDS",
           "Phones' registration interval"),
    Option("timeout_s", "--timeout", _positive(float, 0.5, 600), "SECONDS",
           "Overall time budget of the quick run"),
    Option("ntp_max_offset_s", "--ntp-max-offset", _positive(float, 0.001, 86400), "SECONDS",
           "Warn when this host's clock is further off"),
    Option("local_sip_port", "--local-sip-port", parse_local_sip_port, "PORT",
           "The phones' own local SIP port (SIP is also sent from it)"),
    Option("phones", "--phones", _count(0, 100), "N",
           "Also check that the router's NAT table has room for N phones (FAQ item 6)",
           "0: not checked"),
    Option("max_wait_s", "--max-wait", _positive(float, 5, 7 * 86400), "SECONDS",
           "Time budget of the lifetime check",
           f"registration time + {_lifetime.ESTABLISH_GAP_S + _lifetime.MARGIN_S:g}"),
    Option("horizon_s", "--horizon", _positive(float, 10, 86400), "SECONDS",
           "How long the default run watches a phone's idle mapping (FAQ item 6)"),
    Option("min_registration_s", "--min-registration", _positive(int, 1, 86400), "SECONDS",
           "Shortest registration interval ever advised (registrars may refuse shorter)"),
    Option("media_seconds", "--media-seconds", _positive(float, 1, 60), "SECONDS",
           "How long the default run sends RTP-paced probes (call quality)"),
    Option("media_ranges", "--media-ranges", parse_ranges, "CIDR[,CIDR...]",
           "Where the platform's audio comes from (FAQ item 4)", "the platform ranges"),
    Option("call_accounts", "--call-accounts", parse_accounts, "A,B",
           "A test call: the phone's account A is called by B after --call-idle (passwords: "
           "$FLEXDIAG_CALL_PASSWORDS, or asked)", "no call"),
    Option("call_idle_s", "--call-idle", _positive(float, 0, 86400), "SECONDS",
           "How long the phone's account stays idle before it is called",
           "the registration interval, at most --horizon"),
    Option("call_seconds", "--call-seconds", _positive(float, 1, 60), "SECONDS",
           "How long the test call sends audio both ways"),
)
assert {o.field for o in OPTIONS} == {f.name for f in fields(Settings)}


def _read_small_regular_file(path: str) -> bytes:
    """A profile's bytes: a regular file (a FIFO would block, /dev/zero never end) of at most
    :data:`MAX_PROFILE_BYTES`."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer before fstat says what it is.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise SettingsError(f"profile {path}: no such file") from None
    except OSError as exc:
        raise SettingsError(f"profile {path}: {exc.strerror}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise SettingsError(f"profile {path}: not a regular file")
        data = os.read(fd, MAX_PROFILE_BYTES + 1)
    except OSError as exc:
        raise SettingsError(f"profile {path}: {exc.strerror}") from None
    finally:
        os.close(fd)
    if len(data) > MAX_PROFILE_BYTES:
        raise SettingsError(f"profile {path}: larger than {MAX_PROFILE_BYTES // 1024} KiB")
    return data


def read_profile(path: str) -> dict[str, Any]:
    """The settings in a TOML profile file, keyed by :attr:`Option.key`."""
    data = _read_small_regular_file(path)
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise SettingsError(f"profile {path}: not UTF-8 text (a TOML file is)") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"profile {path}: not valid TOML ({exc})") from None
    except RecursionError:
        raise SettingsError(f"profile {path}: nested too deeply") from None
    known = {o.key for o in OPTIONS}
    profile = {}
    for key, value in raw.items():
        norm = key.replace("-", "_")
        if norm not in known:
            raise SettingsError(f"profile {path}: unknown key {shown(key)}")
        if isinstance(value, dict):
            raise SettingsError(f"profile {path}: {key} must be a value, not a table")
        profile[norm] = value
    return profile


def load_settings(
    cli: Mapping[str, str | None],
    env: Mapping[str, str],
    profile_path: str | None = None,
) -> Settings:
    """Merge the sources (option > environment > file > default) and validate every value.

    ``cli`` maps option names (``"--sip-server"``) to the given text or ``None``.
    """
    file_values = read_profile(profile_path) if profile_path else {}
    values: dict[str, Any] = {}
    for opt in OPTIONS:
        sources = (
            (cli.get(opt.option), opt.option),
            (env.get(opt.env), opt.env),
            (file_values.get(opt.key), f"profile {profile_path}: {opt.key}"),
        )
        for raw, where in sources:
            if raw is None:
                continue
            # One validation path for every source. An empty value is an error, not the
            # default in disguise: "--sip-server ''" must not probe the real platform.
            if isinstance(raw, str) and not raw.strip():
                raise SettingsError(f"{where}: empty value (leave it out for the default)")
            try:
                values[opt.field] = opt.parse(raw)
            except SettingsError as exc:
                raise SettingsError(f"{where}: {exc}") from None
            break
    return replace(Settings(), **values)

"""``--redact``: a report safe to share, that still tells support what it needs.

Removed: the **customer's** identifiers. Every address that is not the platform's (public ones
become ``[public-ip-N]``, private and LAN ones ``[lan-ip-N]``; an IPv4-mapped IPv6 address as
one), the ports of the customer's public addresses (its NAT's ports: ``[port-N]``, also as
``rport`` and ``via_rport``), MAC addresses beyond their vendor prefix (also inside an
interface name such as ``enx001a2b3c4d5e``), and files on the command line (``--profile``,
``--output``, ``--history``: ``[path]``; anything else with a ``/`` that is not an address).
The same value gets the same placeholder everywhere, so that "the same public port" is still
visible.

The test call's accounts (``--call-accounts``: user parts, often phone numbers) become
``[account-A]`` and ``[account-B]`` wherever they appear. Passwords are never in a report.

Kept: the **platform's** facts. The platform's host names (the profile's SIP, STUN and NTP
servers), addresses inside the platform ranges, and whatever DNS answered for the platform's
names (a wrong answer is the finding support needs), loopback, well-known public DNS
resolvers (which one answered wrongly is a finding too), every port of those, and the ports
of services (53, 123, 3478, 5060, 38388): nobody's identifier.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from flexdiag.model import Report

_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?!\.?\d)(?![\w])")
# IPv6, with an IPv4 tail (::ffff:192.0.2.1) taken whole: else its IPv4 part alone was redacted.
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9a-fA-F]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}(?![\w.])|"
                   r"[0-9a-fA-F]{0,4}(?![\w:.]))")
_MAC = re.compile(r"(?<![\w:-])((?:[0-9a-fA-F]{2}[:-]){2}[0-9a-fA-F]{2})((?:[:-][0-9a-fA-F]{2}){3})"
                  r"(?![\w:-])")
# Predictable interface names that embed the MAC (systemd: enx + 12 hex digits).
_MAC_NAME = re.compile(r"\b(enx[0-9a-fA-F]{6})([0-9a-fA-F]{6})\b")
_RPORT = re.compile(r"(?<=rport=)(\d{1,5})\b")
# Services' ports say which service, not whose NAT: DNS, NTP, STUN, SIP, the platform's SIP.
SERVICE_PORTS = frozenset({"53", "123", "3478", "5060", "5061", "38388"})
# Public resolvers anyone may use: which one answered (wrongly) is a finding, nobody's address.
PUBLIC_RESOLVERS = frozenset({
    "8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1", "9.9.9.9", "149.112.112.112",
    "208.67.222.222", "208.67.220.220", "2001:4860:4860::8888", "2001:4860:4860::8844",
    "2606:4700:4700::1111", "2606:4700:4700::1001", "2620:fe::fe"})
# Options whose value is a file on this computer (its name may carry a customer's or a user's).
FILE_OPTIONS = frozenset({"--profile", "--output", "--history", "--metrics-file"})
_PORT_AFTER = re.compile(r"^(\]?):(\d{1,5})")  # after an address, or a bracketed IPv6 one
# The customer's LAN: RFC 1918, shared CGN space (RFC 6598), link-local, unique local (IPv6).
_LAN = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                            "100.64.0.0/10", "169.254.0.0/16", "fc00::/7",
                                            "fe80::/10")]
_UNTOUCHED = ("schema", "version", "started_at", "status", "duration_s")
_CHECK_UNTOUCHED = ("id", "status", "faq", "duration_ms")


class _Redactor:
    def __init__(self, keep: set[str], nets: list[Any], accounts: list[str] | None = None
                 ) -> None:
        self.keep, self.nets = keep, nets
        self.seen: dict[tuple[str, str], str] = {}
        self.accounts = [(re.compile(rf"(?<![\w]){re.escape(user)}(?![\w])"),
                          f"[account-{'AB'[i]}]") for i, user in enumerate(accounts or [])
                         if i < 2 and user]

    def _placeholder(self, value: str, kind: str) -> str:
        key = (kind, value)
        if key not in self.seen:
            count = sum(1 for k in self.seen if k[0] == kind)
            self.seen[key] = f"[{kind}-{count + 1}]"
        return self.seen[key]

    def _platform(self, address: Any) -> bool:
        if (str(address) in self.keep or str(address) in PUBLIC_RESOLVERS
                or address.is_loopback or address.is_unspecified):
            return True
        return any(address in net for net in self.nets if net.version == address.version)

    def text(self, value: str) -> str:
        out, pos = [], 0
        for match in sorted([*_IPV4.finditer(value), *_IPV6.finditer(value)],
                            key=lambda m: m.start()):
            if match.start() < pos:
                continue
            try:
                address = ipaddress.ip_address(match.group())
            except ValueError:
                continue
            out.append(value[pos:match.start()])
            pos = match.end()
            if self._platform(address):
                out.append(match.group())
                continue
            public = not any(address in net for net in _LAN if net.version == address.version)
            out.append(self._placeholder(str(address), "public-ip" if public else "lan-ip"))
            port = _PORT_AFTER.match(value[pos:])
            if public and port and port.group(2) not in SERVICE_PORTS:  # the customer's NAT
                out.append(port.group(1) + ":" + self.port(port.group(2)))
                pos += port.end()
        out.append(value[pos:])
        text = "".join(out)
        for pattern, placeholder in self.accounts:
            text = pattern.sub(placeholder, text)
        return self._macs(text)

    def _macs(self, value: str) -> str:
        """MAC addresses down to their vendor prefix (the IEEE OUI support may look up), a
        MAC-named interface likewise, and the NAT ports behind ``rport=``."""
        value = _MAC.sub(lambda m: m.group(1) + re.sub(r"[0-9a-fA-F]", "x", m.group(2)), value)
        value = _MAC_NAME.sub(lambda m: m.group(1) + "xxxxxx", value)
        return _RPORT.sub(lambda m: m.group(1) if m.group(1) in SERVICE_PORTS
                          else self.port(m.group(1)), value)

    def port(self, port: str) -> str:
        """A customer NAT port's placeholder (the same one wherever it appears)."""
        return self._placeholder(port, "port")

    def walk(self, value: Any, key: str = "") -> Any:
        if key == "via_rport" and isinstance(value, int) and str(value) not in SERVICE_PORTS:
            return self.port(str(value))  # the NAT's port, as elsewhere in the report
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.walk(v) for v in value]
        if isinstance(value, dict):
            return {k: self.walk(v, k) for k, v in value.items()}
        return value


def _kept(report: dict[str, Any]) -> tuple[set[str], list[Any]]:
    """The platform's addresses: its ranges, and what DNS answered for its names."""
    nets = []
    for text in report.get("profile", {}).get("platform_ranges", []) or []:
        try:
            nets.append(ipaddress.ip_network(str(text), strict=False))
        except ValueError:
            pass
    answers = {str(a) for check in report.get("checks", []) if check.get("id", "").startswith(
        "dns.") for a in check.get("data", {}).get("addresses", []) or []}
    return answers, nets


def _argv(argv: list[Any]) -> list[str]:
    """Files (whose names and paths carry user and customer names) out of the command line:
    the values of the file options, and anything else with a ``/`` that is no address or
    network (``--platform-ranges 198.51.100.0/24`` stays an address, redacted as one)."""
    out: list[str] = []
    for arg in map(str, argv):
        option, eq, value = arg.partition("=")
        if eq and option in FILE_OPTIONS:
            out.append(f"{option}=[path]")
        elif out and out[-1] in FILE_OPTIONS:
            out.append("[path]")
        elif "/" in arg and not _addresses(arg):
            out.append("[path]")
        else:
            out.append(arg)
    return out


def _addresses(arg: str) -> bool:
    """An argument made of addresses or networks (``a,b/24``), not a path."""
    parts = [p for p in re.split(r"[,\s]+", arg.partition("=")[2] or arg) if p]
    try:
        for part in parts:
            ipaddress.ip_network(part.strip("[]"), strict=False)
    except ValueError:
        return False
    return bool(parts)


def redact(report: Report) -> Report:
    """A copy of a report without the customer's identifiers. Ids, statuses and numbers are
    untouched, so it still matches the schema."""
    from flexdiag.render.json import from_dict, to_dict

    return from_dict(redact_dict(to_dict(report)))


def redact_dict(report: dict[str, Any]) -> dict[str, Any]:
    """:func:`redact` on the JSON contract's dict (a stored report)."""
    accounts = report.get("profile", {}).get("call_accounts") or []
    redactor = _Redactor(*_kept(report), [str(a) for a in accounts if isinstance(a, str)])
    result: dict[str, Any] = {}
    for key, value in report.items():
        if key in _UNTOUCHED:
            result[key] = value
        elif key == "checks":
            result[key] = [
                {k: (v if k in _CHECK_UNTOUCHED else redactor.walk(v)) for k, v in c.items()}
                for c in value]
        elif key == "environment" and isinstance(value, dict):
            env = dict(value)
            env["argv"] = _argv(list(env.get("argv") or []))
            result[key] = redactor.walk(env)
        else:
            result[key] = redactor.walk(value)
    return result

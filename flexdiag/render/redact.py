"""``--redact``: a report safe to share, that still tells support what it needs.

Removed: the **customer's** identifiers. Every address that is not the platform's (public ones
become ``[public-ip-N]``, private and LAN ones ``[lan-ip-N]``), the ports of the customer's
public addresses (its NAT's ports: ``[port-N]``), and paths on the command line (which carry user
names). The same value gets the same placeholder everywhere, so that "the same public port" is
still visible.

Kept: the **platform's** facts. The platform's host names (the profile's SIP, STUN and NTP
servers), addresses inside the platform ranges, and whatever DNS answered for the platform's
names (a wrong answer is the finding support needs), loopback, and every port of those.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from flexdiag.model import Report

_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?!\.?\d)(?![\w])")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9a-fA-F]{0,4}:){2,7}[0-9a-fA-F]{0,4}(?![\w:])")
_PORT_AFTER = re.compile(r"^:(\d{1,5})")
# The customer's LAN: RFC 1918, shared CGN space (RFC 6598), link-local, unique local (IPv6).
_LAN = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                            "100.64.0.0/10", "169.254.0.0/16", "fc00::/7",
                                            "fe80::/10")]
_UNTOUCHED = ("schema", "version", "started_at", "status", "duration_s")
_CHECK_UNTOUCHED = ("id", "status", "faq", "duration_ms")


class _Redactor:
    def __init__(self, keep: set[str], nets: list[Any]) -> None:
        self.keep, self.nets = keep, nets
        self.seen: dict[tuple[str, str], str] = {}

    def _placeholder(self, value: str, kind: str) -> str:
        key = (kind, value)
        if key not in self.seen:
            count = sum(1 for k in self.seen if k[0] == kind)
            self.seen[key] = f"[{kind}-{count + 1}]"
        return self.seen[key]

    def _platform(self, address: Any) -> bool:
        if str(address) in self.keep or address.is_loopback or address.is_unspecified:
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
            if public and port:  # the customer's NAT port
                out.append(":" + self._placeholder(port.group(1), "port"))
                pos += port.end()
        out.append(value[pos:])
        return "".join(out)

    def walk(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.walk(v) for v in value]
        if isinstance(value, dict):
            return {k: self.walk(v) for k, v in value.items()}
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
    """Paths (which carry user names) out of the command line."""
    return ["[path]" if "/" in str(a) else str(a) for a in argv]


def redact(report: Report) -> Report:
    """A copy of a report without the customer's identifiers. Ids, statuses and numbers are
    untouched, so it still matches the schema."""
    from flexdiag.render.json import from_dict, to_dict

    return from_dict(redact_dict(to_dict(report)))


def redact_dict(report: dict[str, Any]) -> dict[str, Any]:
    """:func:`redact` on the JSON contract's dict (a stored report)."""
    redactor = _Redactor(*_kept(report))
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

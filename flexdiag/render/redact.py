"""``--redact``: a report safe to share. Public IP addresses and host names are replaced with
stable placeholders (``[public-ip-1]``, ``[host-1]``), the same value getting the same one
everywhere; private LAN addresses stay, as they are what support needs to see."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from flexdiag.model import Report

# What stays: private (RFC 1918), shared CGN (RFC 6598), loopback, link-local, ULA.
_KEPT = [ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8",
    "169.254.0.0/16", "0.0.0.0/8", "::1/128", "fc00::/7", "fe80::/10", "::/128")]
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9a-fA-F]{0,4}:){2,7}[0-9a-fA-F]{0,4}(?![\w:])")


class _Redactor:
    def __init__(self, names: set[str]) -> None:
        # Longest names first, so that "voip.example.com" wins over "example.com".
        self.names = sorted((n for n in names if n), key=len, reverse=True)
        self.seen: dict[str, str] = {}

    def _placeholder(self, value: str, kind: str) -> str:
        if value not in self.seen:
            count = sum(1 for v in self.seen.values() if v.startswith(f"[{kind}-"))
            self.seen[value] = f"[{kind}-{count + 1}]"
        return self.seen[value]

    def _address(self, match: re.Match[str]) -> str:
        text = match.group(0)
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            return text
        if any(address in net for net in _KEPT if net.version == address.version):
            return text
        return self._placeholder(str(address), "public-ip")

    def text(self, value: str) -> str:
        for name in self.names:
            if name in value:
                value = value.replace(name, self._placeholder(name, "host"))
        value = _IPV4.sub(self._address, value)
        return _IPV6.sub(self._address, value)

    def walk(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.walk(v) for v in value]
        if isinstance(value, dict):
            return {k: self.walk(v) for k, v in value.items()}
        return value


def _host_names(report: dict[str, Any]) -> set[str]:
    profile = report.get("profile", {})
    names = {str(profile.get("sip_server", ""))}
    for key in ("stun_server", "ntp_server"):
        host = str(profile.get(key) or "")
        names.add(host.rsplit(":", 1)[0] if not host.startswith("[") else "")
    for check in report.get("checks", []):
        name = check.get("data", {}).get("name")
        if isinstance(name, str):
            names.add(name)
    return {n for n in names if n and not _IPV4.fullmatch(n) and ":" not in n}


def redact(report: Report) -> Report:
    """A copy of a report without public addresses or host names. Ids, statuses and numbers
    are untouched, so it still matches the schema."""
    from flexdiag.render.json import from_dict, to_dict

    return from_dict(redact_dict(to_dict(report)))


def redact_dict(report: dict[str, Any]) -> dict[str, Any]:
    """:func:`redact` on the JSON contract's dict (a stored report)."""
    redactor = _Redactor(_host_names(report))
    result: dict[str, Any] = {}
    for key, value in report.items():
        if key in ("schema", "version", "started_at", "status", "duration_s"):
            result[key] = value
        elif key == "checks":
            result[key] = [
                {k: (v if k in ("id", "status", "faq", "duration_ms") else redactor.walk(v))
                 for k, v in check.items()} for check in value]
        else:
            result[key] = redactor.walk(value)
    return result

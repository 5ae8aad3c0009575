"""``--redact`` as a property (issue #27): for random reports, no customer value survives in
any format, every platform value does, and the same value keeps one placeholder."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from flexdiag.render import Format, render
from flexdiag.render.json import from_dict
from flexdiag.render.redact import PUBLIC_RESOLVERS, SERVICE_PORTS, redact_dict

PLATFORM = "198.51.100.0/24"
PLATFORM_IP = "198.51.100.20"

public_ips = st.ip_addresses(v=4).map(str).filter(
    lambda a: ipaddress.ip_address(a).is_global and a not in PUBLIC_RESOLVERS
    and ipaddress.ip_address(a) not in ipaddress.ip_network(PLATFORM))
nat_ports = st.integers(1024, 65535).filter(lambda p: str(p) not in SERVICE_PORTS)
macs = st.lists(st.integers(0, 255), min_size=6, max_size=6).map(
    lambda b: ":".join(f"{x:02x}" for x in b))
names = st.text("abcdefghijklmnopqrstuvwxyz-", min_size=6, max_size=12).map(
    lambda n: f"{n}.toml")


def _report(ip: str, port: int, mac: str, profile: str, mapped_v6: bool) -> dict[str, Any]:
    shown = f"::ffff:{ip}" if mapped_v6 else ip
    with_port = f"[{shown}]:{port}" if mapped_v6 else f"{shown}:{port}"
    check = {"title": "t", "advice": None, "faq": [5], "duration_ms": 1.0, "reason_code": None}
    return {
        "schema": "flexdiag.report/1", "version": "0", "started_at": "2026-12-06T10:00:00Z",
        "duration_s": 1.0, "status": "warn", "note": None,
        "profile": {"sip_server": "voip.gntel.nl", "platform_ranges": [PLATFORM]},
        "summary": {"public_ip": ip, "phone_settings": {}},
        "plan": [{"text": f"Your router {ip} translates ports", "faq": [4], "checks": []}],
        "environment": {
            "argv": ["run", "--profile", profile, "--platform-ranges", PLATFORM,
                     f"--output=/home/jan/{profile}", "--dns-server", "8.8.8.8"],
            "interface": "enx" + mac.replace(":", ""), "gateway_ip": "192.168.1.1",
            "gateway_mac": mac, "local_ip": "192.168.1.20"},
        "checks": [
            {**check, "id": "stun.binding", "status": "warn",
             "summary": f"local 192.168.1.20:5060 appears as {with_port}",
             "data": {"mapped": with_port, "public_ip": ip,
                      "server": f"{PLATFORM_IP}:3478"}},
            {**check, "id": "sip.udp.5060", "status": "pass", "summary": "200 OK",
             "data": {"via_received": ip, "via_rport": port,
                      "via": f"SIP/2.0/UDP 192.168.1.20:5060;received={ip};rport={port}",
                      "target": f"{PLATFORM_IP}:5060"}},
            {**check, "id": "dns.voip", "status": "pass", "summary": "resolved",
             "data": {"addresses": [PLATFORM_IP], "resolver": "8.8.8.8:53"}},
        ],
    }


@settings(max_examples=60, deadline=None)
@given(public_ips, nat_ports, macs, names, st.booleans())
def test_no_customer_value_survives_and_every_platform_value_does(
        ip: str, port: int, mac: str, profile: str, mapped_v6: bool) -> None:
    redacted = redact_dict(_report(ip, port, mac, profile, mapped_v6))
    report = from_dict(redacted)
    texts = {"json": json.dumps(redacted, ensure_ascii=False),
             **{fmt.value: render(report, fmt, verbose=True) for fmt in Format}}
    for fmt, text in texts.items():
        assert ip not in text, fmt
        assert f":{port}" not in text and f"rport={port}" not in text, fmt
        assert mac.replace(":", "") not in text.replace(":", ""), fmt
        assert profile not in text and "/home/jan" not in text, fmt
        if fmt != Format.TEXT.value:  # the text report shows no profile or argv
            assert PLATFORM_IP in text and "voip.gntel.nl" in text and PLATFORM in text, fmt
            assert "8.8.8.8" in text, fmt  # a public resolver: which one answered is a finding
    # One placeholder per value, wherever it appears (rport and via_rport included).
    sip = redacted["checks"][1]["data"]
    stun = redacted["checks"][0]["data"]
    assert sip["via_rport"] == stun["mapped"].rsplit(":", 1)[1] == sip["via"].rsplit("=", 1)[1]
    assert sip["via_received"] == redacted["summary"]["public_ip"] == "[public-ip-1]"
    assert redacted["environment"]["gateway_mac"] == mac[:8] + ":xx:xx:xx"  # vendor prefix
    assert redacted["environment"]["argv"][2] == "[path]"
    assert redacted["environment"]["argv"][4] == PLATFORM  # the platform's range, in clear

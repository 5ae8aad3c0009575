"""Typed observations built by hand, for the pure checks' verdict tables: no sockets, no
clock. Addresses are documentation addresses (data only, never destinations)."""

from __future__ import annotations

import ipaddress
from dataclasses import replace
from typing import Any

from flexdiag.addr import Addr
from flexdiag.codec.ntp import NtpReply
from flexdiag.codec.sip import SipResponse, Via
from flexdiag.codec.stun import StunResponse
from flexdiag.records import (
    Exchange,
    NtpSample,
    Obs,
    Observations,
    OptionsReply,
    Resolution,
    StunReply,
)
from flexdiag.settings import Settings

LOCAL: Addr = ("192.168.1.20", 40000)
PUBLIC_IP = "203.0.113.5"
SIP_IP = "198.51.100.10"
STUN_IP = "198.51.100.20"
NTP_IP = "198.51.100.30"
# The "platform" of these fixtures lives in a documentation range.
SETTINGS = replace(Settings(), platform_ranges=(ipaddress.ip_network("198.51.100.0/24"),))


def resolved(name: str, *addresses: str, **kw: Any) -> Resolution:
    return Resolution(name=name, resolver="192.0.2.53:53", addresses=addresses, rtt_ms=3.0,
                      **kw)


def unresolved(name: str) -> Resolution:
    return Resolution(name=name, resolver="192.0.2.53:53", error="the name does not exist",
                      error_kind="nxdomain")


RESOLUTIONS = {
    Obs.DNS_VOIP: resolved("voip.gntel.nl", SIP_IP),
    Obs.DNS_STUN: resolved("stun.gntel.nl", STUN_IP),
    Obs.DNS_NTP: resolved("ntp.gntel.nl", NTP_IP),
}


def silent(local: Addr = LOCAL, error: str | None = None, sent: int = 4) -> Exchange[Any]:
    return Exchange(local=local, sent=sent, error=error, waited_s=7.6)


def stun(mapped: Addr | None, *, local: Addr = LOCAL, source: Addr = (STUN_IP, 3478),
         other: Addr | None = None, error: tuple[int, str] | None = None,
         rtt_s: float = 0.02) -> Exchange[StunReply]:
    response = StunResponse(
        transaction_id=b"\0" * 12, is_error=error is not None, mapped=mapped, xor_mapped=True,
        other_address=other, response_origin=None,
        error_code=error[0] if error else None, error_reason=error[1] if error else None,
        software=None)
    return Exchange(local=local, reply=StunReply(response, source), reply_from=source,
                    rtt_s=rtt_s, sent=1, answered_at=1.0)


def options(port: int, *, code: int = 200, received: str | None = PUBLIC_IP,
            rport: int | None = LOCAL[1], local: Addr = LOCAL, reply_port: int | None = None,
            sent_by: str | None = None, headers: tuple[tuple[str, str], ...] = ()
            ) -> Exchange[OptionsReply]:
    params: dict[str, str | None] = {"branch": "z9hG4bK1"}
    if received is not None:
        params["received"] = received
    if rport is not None:
        params["rport"] = str(rport)
    via = Via("SIP/2.0/UDP", sent_by or f"{local[0]}:{local[1]}", params)
    response = SipResponse(code, "OK", headers)
    sent = (f"OPTIONS sip:voip.gntel.nl:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {local[0]}:{local[1]};branch=z9hG4bK1;rport\r\n\r\n").encode()
    source = (SIP_IP, reply_port or port)
    return Exchange(local=local, reply=OptionsReply(response, via, sent), reply_from=source,
                    rtt_s=0.015, sent=1, answered_at=1.0)


def ntp(offset_s: float = 0.01, *, stratum: int = 2, leap: int = 0) -> Exchange[NtpSample]:
    t1 = 1_800_000_000.0
    reply = NtpReply(leap=leap, version=4, mode=4, stratum=stratum, origin_raw=1,
                     receive_s=t1 + offset_s + 0.005, transmit_s=t1 + offset_s + 0.005,
                     ref_id=0)
    return Exchange(local=LOCAL, reply=NtpSample(reply, t1, t1 + 0.01), reply_from=(NTP_IP, 123),
                    rtt_s=0.01, sent=1)


def observations(settings: Settings = SETTINGS, **fields: Any) -> Observations:
    resolutions = {**RESOLUTIONS, **fields.pop("resolutions", {})}
    return Observations(settings=settings, resolutions=resolutions, **fields)

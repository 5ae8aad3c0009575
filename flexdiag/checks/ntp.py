"""``ntp.offset``: does the platform's time server answer, is it synchronised, and how far off is
this host's clock (RFC 5905; FAQ item 3)?"""

from __future__ import annotations

from typing import Any

from flexdiag import advice
from flexdiag.addr import format_addr
from flexdiag.checks import Check, Finding, exchange_evidence, silence
from flexdiag.codec.ntp import LEAP_ALARM, STRATUM_UNSYNC
from flexdiag.model import Status
from flexdiag.records import Obs, Observations


def judge(obs: Observations) -> Finding:
    """One NTP exchange: reachability, server health (stratum, leap) and the local offset."""
    settings = obs.settings
    exchange, server = obs.ntp, obs.ntp_server
    assert exchange is not None and server is not None
    data: dict[str, Any] = {
        "server": format_addr(server),
        "offset_s": None,
        "delay_s": None,
        "stratum": None,
        "leap": None,
        **exchange_evidence(exchange),
    }
    names = {"server": data["server"], "server_name": settings.ntp_server.host,
             "port": settings.ntp_server.port}
    sample = exchange.reply
    if sample is None:
        summary = silence("ntp", exchange, data, **names)
        return Finding(Status.FAIL, summary, data, advice.text("ntp.fail.advice", **names), (3,))
    reply = sample.reply
    data.update(offset_s=round(sample.offset_s, 6), delay_s=round(sample.delay_s, 6),
                stratum=reply.stratum, leap=reply.leap)
    # RFC 5905 §7.3: leap 3 = unsynchronised; stratum 0 = kiss-o'-death, 16 = unsynchronised.
    if reply.leap == LEAP_ALARM or reply.stratum in (0, STRATUM_UNSYNC):
        return Finding(
            Status.FAIL,
            advice.text("ntp.unsync", stratum=reply.stratum, leap=reply.leap, **names),
            data, advice.text("ntp.unsync.advice", **names), (3,),
        )
    if abs(sample.offset_s) > settings.ntp_max_offset_s:
        return Finding(
            Status.WARN,
            advice.text("ntp.offset", offset_s=sample.offset_s, limit_s=settings.ntp_max_offset_s),
            data, advice.text("ntp.offset.advice", **names), (3,),
        )
    return Finding(
        Status.PASS,
        advice.text("ntp.pass", offset_s=sample.offset_s, delay_ms=sample.delay_s * 1000,
                    stratum=reply.stratum),
        data, None, (3,),
    )


CHECK = Check("ntp.offset", judge, needs=(Obs.NTP,), requires=(Obs.DNS_NTP,))

"""``ntp.offset``: does the platform's time server answer, is it synchronised, and how far off is
this host's clock (RFC 5905; FAQ item 3)?"""

from __future__ import annotations

from typing import Any

from flexdiag import advice
from flexdiag.addr import format_addr
from flexdiag.checks.base import Check, Finding, exchange_evidence, silence
from flexdiag.facts import NtpFacts
from flexdiag.model import Status
from flexdiag.records import Obs, Observations
from flexdiag.vocab import CheckId, Code, Faq

FAQ = (Faq.NTP_SERVER,)


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
        return Finding(Status.FAIL, summary, data, advice.text("ntp.fail.advice", **names), FAQ,
                       code=Code.NTP_NO_ANSWER)
    reply = sample.reply
    data.update(stratum=reply.stratum, leap=reply.leap)
    # RFC 5905 §7.3/§7.4: a kiss-o'-death (stratum 0) or an unsynchronised server (leap 3,
    # stratum 16 and above) carries no usable time: its offset is not recorded.
    if reply.kiss_code is not None:
        data["kiss_code"] = reply.kiss_code
        return Finding(Status.FAIL, advice.text("ntp.kiss", code=reply.kiss_code, **names),
                       data, advice.text("ntp.kiss.advice", **names), FAQ, code=Code.NTP_REFUSED)
    if not reply.synchronised:
        return Finding(
            Status.FAIL,
            advice.text("ntp.unsync", stratum=reply.stratum, leap=reply.leap, **names),
            data, advice.text("ntp.unsync.advice", **names), FAQ,
            code=Code.NTP_UNSYNCHRONISED,
        )
    data.update(NtpFacts(round(sample.offset_s, 6)).to_data(), delay_s=round(sample.delay_s, 6))
    if abs(sample.offset_s) > settings.ntp_max_offset_s:
        # The phones take their time from the server (FAQ item 3), which answers: this
        # computer's own clock is a note about the laptop, never the site's warning.
        data["local_clock_off"] = True
        return Finding(
            Status.PASS,
            advice.text("ntp.offset", offset_s=sample.offset_s, stratum=reply.stratum,
                        limit_s=settings.ntp_max_offset_s),
            data, None, FAQ,
        )
    return Finding(
        Status.PASS,
        advice.text("ntp.pass", offset_s=sample.offset_s, delay_ms=sample.delay_s * 1000,
                    stratum=reply.stratum),
        data, None, FAQ,
    )


CHECK = Check(CheckId.NTP_OFFSET, judge, needs=(Obs.NTP,), requires=(Obs.DNS_NTP,))

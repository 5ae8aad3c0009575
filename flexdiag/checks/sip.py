"""``sip.udp.<port>``: does an OPTIONS request to the SIP server get an answer, from the right
address and port (RFC 3261 §11, RFC 3581; FAQ items 1, 5, 7)?"""

from __future__ import annotations

from typing import Any

from flexdiag import advice
from flexdiag.addr import Addr, format_addr
from flexdiag.checks.base import Check, Finding, exchange_evidence, ms, silence
from flexdiag.codec.sip import describe_code
from flexdiag.model import Status
from flexdiag.records import Exchange, Obs, Observations, OptionsReply
from flexdiag.vocab import Code, Faq, sip_udp


def check_port(port: int) -> Check:
    """The check for one SIP port."""

    def judge(obs: Observations) -> Finding:
        return _judge(obs, port)

    judge.__doc__ = f"SIP OPTIONS over UDP to port {port}."
    return Check(sip_udp(port), judge, needs=(Obs.SIP,), requires=(Obs.DNS_VOIP,))


def _evidence(target: Addr, exchange: Exchange[OptionsReply]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "target": format_addr(target),
        "local": format_addr(exchange.local) if exchange.local[0] else None,
        "status_code": None,
        "reason": None,
        "rtt_ms": ms(exchange.rtt_s),
        "reply_from": format_addr(exchange.reply_from) if exchange.reply_from else None,
        "via_received": None,
        "via_rport": None,
        **exchange_evidence(exchange),
    }
    if exchange.reply is not None:
        reply = exchange.reply
        code = reply.response.status_code
        data.update(status_code=code, reason=reply.response.reason,
                    meaning=describe_code(code), via_received=reply.via.received,
                    via_rport=reply.via.rport)
        # RFC 3261 §20.35/§20.41: what the answering server says it is (support's first
        # question: the platform, or a router's ALG answering in its place?).
        software = reply.response.header("server") or reply.response.header("user-agent")
        if software:
            data["software"] = software
    return data


def _judge(obs: Observations, port: int) -> Finding:
    target, exchange = obs.sip_target(port), obs.sip.get(port)
    assert target is not None and exchange is not None
    data = _evidence(target, exchange)
    names = {"target": data["target"], "server_name": obs.settings.sip_server, "port": port,
             "listening": advice.port_list(obs.settings.sip_ports)}
    if exchange.reply is None:
        return _no_reply(obs, port, exchange, data, names)
    code = describe_code(exchange.reply.response.status_code)
    assert exchange.reply_from is not None
    if exchange.reply_from[1] != port:
        return Finding(
            Status.WARN,
            advice.text("sip.wrong_port", code=code, reply_from=data["reply_from"], **names),
            data, advice.text("sip.wrong_port.advice"), (Faq.SIP,),
            code=Code.SIP_REPLY_FROM_OTHER_PORT,
        )
    return Finding(
        Status.PASS,
        advice.text("sip.pass", code=code, rtt_ms=data["rtt_ms"] or 0.0, **names),
        data, None, (Faq.SIP, Faq.RESPONSE_CODES),
    )


def _no_reply(obs: Observations, port: int, exchange: Exchange[OptionsReply],
              data: dict[str, Any], names: dict[str, Any]) -> Finding:
    if not exchange.error and exchange.provisional:
        summary = advice.text("sip.provisional", waited_s=exchange.waited_s, **names)
    else:
        summary = silence("sip", exchange, data, **names)
    # Which other ports answer decides the advice (FAQ item 5: both 5060 and 38388 work).
    working = [p for p in obs.settings.sip_ports
               if p != port and (other := obs.sip.get(p)) is not None and other.answered]
    if working:
        text = advice.text("sip.use_other_port.advice", working=working[0], **names)
    else:
        ports = advice.numbers(obs.settings.sip_ports)
        text = advice.text("sip.none.advice", ports=ports, **names)
    return Finding(Status.FAIL, summary, data, text, (Faq.SIP,), code=Code.SIP_NO_ANSWER)

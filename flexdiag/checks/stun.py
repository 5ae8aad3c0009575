"""``stun.binding``: the public address, whether the router translates ports, and whether it
keeps ports across several sockets (RFC 8489 Binding; FAQ items 2, 4-6)."""

from __future__ import annotations

from typing import Any

from flexdiag import advice
from flexdiag.addr import Addr, format_addr, same_ip
from flexdiag.checks.base import Check, Finding, exchange_evidence, ms, silence
from flexdiag.facts import StunFacts
from flexdiag.model import Status
from flexdiag.records import Exchange, Obs, Observations, StunReply, mapped_address
from flexdiag.vocab import CheckId, Code, Faq

STUN_FAQ = (Faq.STUN_SERVER,)


def _preservation(obs: Observations, local: Addr, mapped: Addr) -> dict[str, Any]:
    """Several sockets at once, as several phones behind one router (FAQ item 6)."""
    pairs = [(local, mapped)] + [
        (x.local, public) for x in obs.preservation
        if (public := mapped_address(x)) is not None]
    return {
        "sockets": len(pairs),
        "preserved": sum(1 for a, b in pairs if a[1] == b[1]),
        "mappings": [f"{format_addr(a)} -> {format_addr(b)}" for a, b in pairs],
    }


def _evidence(server: Addr, exchange: Exchange[StunReply]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "server": format_addr(server),
        "local": format_addr(exchange.local) if exchange.local[0] else None,
        "mapped": None,
        "nat": None,
        "port_translation": None,
        "rtt_ms": ms(exchange.rtt_s),
        **exchange_evidence(exchange),
    }
    if exchange.reply is not None:
        response = exchange.reply.response
        if response.software:
            data["software"] = response.software
        if response.other_address:
            data["other_address"] = format_addr(response.other_address)  # RFC 5780 support
    return data


def judge(obs: Observations) -> Finding:
    """STUN Binding: local vs XOR-MAPPED-ADDRESS gives NAT and port translation."""
    settings = obs.settings
    exchange, server = obs.stun, obs.stun_server
    assert exchange is not None and server is not None
    data = _evidence(server, exchange)
    names = {"server": data["server"], "server_name": settings.stun_server.host,
             "port": settings.stun_server.port}
    if exchange.reply is None:
        summary = silence("stun", exchange, data, **names)
        return Finding(Status.FAIL, summary, data, advice.text("stun.fail.advice", **names),
                       STUN_FAQ, code=Code.STUN_NO_ANSWER)
    response = exchange.reply.response
    mapped = mapped_address(exchange)
    if mapped is None:
        summary = (advice.text("stun.error", code=response.error_code,
                               reason=response.error_reason or "", **names)
                   if response.error_code is not None else advice.text("stun.error.nocode",
                                                                       **names))
        return Finding(Status.WARN, summary, data, advice.text("stun.error.advice", **names),
                       STUN_FAQ, code=Code.STUN_ERROR)
    translation = mapped[1] != exchange.local[1]
    preservation = _preservation(obs, exchange.local, mapped)
    data.update(StunFacts(public_ip=mapped[0], nat=not same_ip(mapped[0], exchange.local[0]),
                          port_translation=translation).to_data(),
                mapped=format_addr(mapped), port_preservation=preservation)
    fields = {"local": data["local"], "mapped": data["mapped"], "public_ip": mapped[0],
              "rtt_ms": data["rtt_ms"] or 0.0, "kept": preservation["preserved"],
              "sockets": preservation["sockets"]}
    if translation or preservation["preserved"] < preservation["sockets"]:
        return Finding(
            Status.WARN,
            advice.text("stun.translation" if translation else "stun.partial", **fields),
            data,
            advice.text("stun.translation.advice",
                        registration_time_s=settings.registration_time_s),
            (Faq.AUDIO, Faq.SIP, Faq.PORT_TRANSLATION),
            code=Code.PORT_TRANSLATION if translation else Code.PORT_TRANSLATION_PARTIAL,
        )
    key = "stun.nat" if data["nat"] else "stun.no_nat"
    return Finding(Status.PASS, advice.text(key, **fields), data, None,
                   (Faq.STUN_SERVER, Faq.AUDIO))


CHECK = Check(CheckId.STUN_BINDING, judge, needs=(Obs.STUN, Obs.PRESERVATION),
              requires=(Obs.DNS_STUN,))

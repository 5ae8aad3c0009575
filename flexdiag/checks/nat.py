"""``nat.mapping`` and ``nat.filtering``: how the router maps and filters UDP, in RFC 4787
terms, and what that means for calls on the platform (FAQ items 4-6).

Mapping: RFC 5780 §4.3 when the STUN server gives an OTHER-ADDRESS; otherwise the cross-check
of the public address and port the STUN server and the SIP server (Via ``received``/``rport``,
on every SIP port) saw for the same local socket. Filtering: RFC 5780 §4.4 (CHANGE-REQUEST).
"""

from __future__ import annotations

from typing import Any

from flexdiag import advice
from flexdiag.addr import Addr, format_addr, same_addr, same_ip
from flexdiag.analysis import nat
from flexdiag.checks.base import Check, Finding
from flexdiag.codec.sip import sent_by_host
from flexdiag.facts import BehaviorFacts
from flexdiag.model import Status
from flexdiag.records import Exchange, Obs, Observations, StunReply, mapped_address
from flexdiag.vocab import Behavior, CheckId, Code, Faq, Method, Reason

STUN_FAQ = (Faq.STUN_SERVER,)
BEHAVIOUR_FAQ = (Faq.AUDIO, Faq.SIP, Faq.PORT_TRANSLATION)


def _views(obs: Observations, local: Addr, stun_server: Addr, public: Addr) -> list[nat.View]:
    """STUN's view plus every SIP port's view of the primary socket, leaving out a port whose
    answer names our private address (rewritten by an ALG: not a view of the mapping)."""
    views = [nat.View("STUN", stun_server, public)]
    for port, exchange in obs.sip.items():
        target = obs.sip_target(port)
        if exchange.reply is None or target is None or not same_addr(exchange.local, local):
            continue  # unanswered, or SIP went out from another socket: not the same mapping
        via = exchange.reply.via
        seen_ip = via.received or sent_by_host(via.sent_by)
        if via.rport is None or (same_ip(seen_ip, local[0]) and not same_ip(public[0], local[0])):
            continue
        views.append(nat.View(f"SIP {port}", target, (seen_ip, via.rport)))
    return views


def _classify(obs: Observations, test1: Exchange[StunReply], public: Addr,
              data: dict[str, Any]) -> Behavior:
    """RFC 5780 §4.3 where the server supports it, else the STUN/SIP cross-check; fills in
    the method and evidence."""
    local = test1.local
    if obs.mapping is not None:
        m2, m3 = mapped_address(obs.mapping.test2), mapped_address(obs.mapping.test3)
        data.update(method=Method.RFC5780, test2=m2 and format_addr(m2),
                    test3=m3 and format_addr(m3))
        data["evidence"] = [advice.text("ev.rfc5780", test1=format_addr(public),
                                        test2=data["test2"], test3=data["test3"])]
        return nat.classify_mapping_rfc5780(local, public, m2, m3)
    assert obs.stun_server is not None
    behavior, notes = nat.classify_mapping_crosscheck(
        local, _views(obs, local, obs.stun_server, public))
    data["evidence"] = [advice.note(n) for n in notes]
    data["method"] = Method.CROSSCHECK
    return behavior


def judge_mapping(obs: Observations) -> Finding:
    """Mapping behaviour: one public port for every destination, or one per destination?"""
    test1, public = obs.stun, obs.public
    if test1 is None or public is None:
        return Finding(Status.SKIP, advice.text("mapping.no_stun"),
                       {"behavior": Behavior.UNKNOWN, "method": None}, None, STUN_FAQ)
    data: dict[str, Any] = {"behavior": Behavior.UNKNOWN, "method": None,
                            "local": format_addr(test1.local), "test1": format_addr(public)}
    behavior = _classify(obs, test1, public, data)
    data.update(BehaviorFacts(behavior).to_data())
    method = data["method"]
    if behavior is Behavior.EIM:
        return Finding(Status.PASS, advice.text("mapping.eim", method=method), data, None,
                       (Faq.AUDIO, Faq.PORT_TRANSLATION))
    if behavior is Behavior.UNKNOWN:
        hint = "" if method is Method.RFC5780 else advice.text("mapping.unknown.hint")
        return Finding(Status.SKIP, advice.text("mapping.unknown", method=method) + hint,
                       data, None, (Faq.AUDIO, Faq.PORT_TRANSLATION))
    return Finding(Status.WARN, advice.text("mapping.dependent",
                                            behavior=advice.behavior_name(behavior),
                                            method=method),
                   data, advice.text("mapping.dependent.advice"), BEHAVIOUR_FAQ,
                   code=Code.NAT_MAPPING_DEPENDENT)


def _arrived(exchange: Exchange[StunReply] | None, expected: Addr) -> bool | None:
    """Did the changed-address response arrive (``None``: the server did not change)?"""
    if exchange is None:
        return None
    if exchange.reply is None:
        return False
    return True if same_addr(exchange.reply.source, expected) else None


def judge_filtering(obs: Observations) -> Finding:
    """Filtering behaviour: does traffic from other platform addresses and ports get in before
    the phone has sent to them (FAQ item 4, footnote)?"""
    tests = obs.filtering
    data: dict[str, Any] = {"behavior": Behavior.UNKNOWN, "method": None}
    if tests is None or tests.test1.reply is None:
        return Finding(Status.SKIP, advice.text("filtering.no_stun"), data, None, STUN_FAQ)
    reply = tests.test1.reply
    other = reply.response.other_address
    if other is None or tests.change_both is None:
        hint = advice.text("filtering.unsupported", server=format_addr(reply.source))
        return Finding(Status.SKIP, hint, {**data, "reason": Reason.NO_OTHER_ADDRESS}, None,
                       STUN_FAQ)
    both_ok = _arrived(tests.change_both, other)
    port_ok = _arrived(tests.change_port, (reply.source[0], other[1]))
    behavior = nat.classify_filtering(both_ok, port_ok)
    data.update(BehaviorFacts(behavior).to_data(), method=Method.RFC5780,
                wait_s=round(tests.wait_s, 3),
                change_ip_and_port=both_ok, change_port=port_ok,
                local=format_addr(tests.test1.local))
    if behavior is Behavior.UNKNOWN:
        return Finding(Status.SKIP, advice.text("filtering.server_ignored"), data, None, STUN_FAQ)
    public = obs.public
    translation = public is not None and obs.stun is not None and public[1] != obs.stun.local[1]
    data["impact"] = nat.impact(Behavior.EIM, behavior, translation)
    key = "filtering.open" if behavior is Behavior.EIM else "filtering.closed"
    summary = advice.text(key, behavior=advice.behavior_name(behavior))
    if behavior is not Behavior.EIM and translation:
        return Finding(Status.WARN, advice.text("filtering.closed.translated",
                                                   behavior=advice.behavior_name(behavior)),
                       data, advice.text("filtering.translated.advice"), BEHAVIOUR_FAQ,
                       code=Code.NAT_FILTERING_CLIPS_AUDIO)
    note = None if behavior is Behavior.EIM else advice.text("filtering.phone_first.note")
    return Finding(Status.PASS, summary, data, note, (Faq.AUDIO,))


MAPPING = Check(CheckId.NAT_MAPPING, judge_mapping,
                needs=(Obs.STUN, Obs.MAPPING, Obs.SIP, Obs.DNS_VOIP),
                requires=(Obs.DNS_STUN,))
FILTERING = Check(CheckId.NAT_FILTERING, judge_filtering, needs=(Obs.FILTERING, Obs.STUN),
                  requires=(Obs.DNS_STUN,))

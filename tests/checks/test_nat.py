"""nat.mapping and nat.filtering verdicts over typed observations (RFC 5780 §4.3/§4.4 and the
STUN/SIP cross-check), as tables."""

from __future__ import annotations

import pytest

from flexdiag.checks import evaluate, nat
from flexdiag.model import Status
from flexdiag.records import FilteringTests, MappingTests, Obs
from flexdiag.vocab import Behavior, Impact, Method
from tests.checks.builders import (
    LOCAL,
    PUBLIC_IP,
    STUN_IP,
    observations,
    options,
    silent,
    stun,
    unresolved,
)

ALT = ("198.51.100.21", 3479)
P1, P2, P3 = (PUBLIC_IP, 50001), (PUBLIC_IP, 50002), (PUBLIC_IP, 50003)


@pytest.mark.parametrize(("test2", "test3", "behavior", "status"), [
    (P1, P1, Behavior.EIM, Status.PASS),
    (P2, P2, Behavior.ADDRESS, Status.WARN),
    (P2, P3, Behavior.ADDRESS_PORT, Status.WARN),
])
def test_mapping_rfc5780(test2: tuple[str, int], test3: tuple[str, int], behavior: Behavior,
                         status: Status) -> None:
    obs = observations(stun=stun(P1, other=ALT),
                       mapping=MappingTests(stun(test2, source=(ALT[0], 3478)),
                                            stun(test3, source=ALT)))
    finding = nat.judge_mapping(obs)
    assert (finding.data["behavior"], finding.data["method"], finding.status) == (
        behavior, Method.RFC5780, status)
    assert (finding.advice is None) == (status is Status.PASS)


def test_mapping_without_translation_is_eim_at_once() -> None:
    finding = nat.judge_mapping(observations(stun=stun(LOCAL, other=ALT),
                                             mapping=MappingTests(silent(), silent())))
    assert finding.data["behavior"] is Behavior.EIM


def test_mapping_crosscheck_two_servers_same_mapping_is_eim() -> None:
    obs = observations(stun=stun(P1), sip={5060: options(5060, rport=P1[1]),
                                           38388: options(38388, rport=P1[1])})
    finding = nat.judge_mapping(obs)
    assert finding.data["method"] is Method.CROSSCHECK
    assert finding.data["behavior"] is Behavior.EIM and finding.status is Status.PASS


def test_mapping_crosscheck_ports_differ_per_server_port_is_apd() -> None:
    obs = observations(stun=stun(P1), sip={5060: options(5060, rport=P2[1]),
                                           38388: options(38388, rport=P3[1])})
    assert nat.judge_mapping(obs).data["behavior"] is Behavior.ADDRESS_PORT


def test_mapping_crosscheck_without_sip_is_unknown_with_a_hint() -> None:
    obs = observations(stun=stun(P1), sip={5060: silent(), 38388: silent()})
    finding = nat.judge_mapping(obs)
    assert finding.status is Status.SKIP and finding.data["behavior"] is Behavior.UNKNOWN
    assert "RFC 5780" in finding.summary or "5780" in finding.summary


def test_mapping_ignores_a_sip_view_rewritten_by_an_alg() -> None:
    obs = observations(stun=stun(P1), sip={5060: options(5060, received=LOCAL[0],
                                                         rport=LOCAL[1]),
                                           38388: options(38388, rport=P1[1])})
    assert nat.judge_mapping(obs).data["behavior"] is Behavior.EIM


def test_mapping_without_stun_answer_skips() -> None:
    finding = nat.judge_mapping(observations(stun=silent()))
    assert finding.status is Status.SKIP and finding.faq == (2,)


def _filtering(both: bool, port: bool) -> FilteringTests:
    other = ALT
    return FilteringTests(
        stun(P1, other=other),
        stun(P1, source=other) if both else silent(),
        stun(P1, source=(STUN_IP, other[1])) if port else silent(), wait_s=0.25)


@pytest.mark.parametrize(("both", "port", "translated", "behavior", "status", "impact"), [
    (True, True, False, Behavior.EIM, Status.PASS, Impact.CLEAN),
    (True, True, True, Behavior.EIM, Status.PASS, Impact.TRANSLATED),
    (False, True, False, Behavior.ADDRESS, Status.PASS, Impact.PHONE_FIRST),
    (False, False, False, Behavior.ADDRESS_PORT, Status.PASS, Impact.PHONE_FIRST),
    (False, False, True, Behavior.ADDRESS_PORT, Status.WARN, Impact.TRANSLATED),
])
def test_filtering(both: bool, port: bool, translated: bool, behavior: Behavior,
                   status: Status, impact: Impact) -> None:
    primary = stun(P1 if translated else (PUBLIC_IP, LOCAL[1]))
    finding = nat.judge_filtering(observations(filtering=_filtering(both, port), stun=primary))
    assert (finding.data["behavior"], finding.status, finding.data["impact"]) == (
        behavior, status, impact)
    assert finding.data["change_ip_and_port"] is both
    # A filtering NAT without translation passes, with a note on who must send first.
    assert (finding.advice is None) == (behavior is Behavior.EIM)


def test_filtering_without_other_address_skips() -> None:
    finding = nat.judge_filtering(observations(filtering=FilteringTests(stun(P1))))
    assert finding.status is Status.SKIP and finding.data["reason"] == "no-other-address"


def test_filtering_answer_from_the_wrong_source_is_not_read_as_open() -> None:
    tests = FilteringTests(stun(P1, other=ALT), stun(P1), stun(P1), wait_s=0.25)
    finding = nat.judge_filtering(observations(filtering=tests, stun=stun(P1)))
    assert finding.status is Status.SKIP and finding.data["behavior"] is Behavior.UNKNOWN


def test_unresolved_stun_name_skips_nat_checks_pointing_at_dns_stun() -> None:
    obs = observations(resolutions={Obs.DNS_STUN: unresolved("stun.gntel.nl")})
    for check in (nat.MAPPING, nat.FILTERING):
        finding = evaluate(check, obs)
        assert finding.status is Status.SKIP and finding.data["see"] == "dns.stun"


def test_dependent_mapping_costs_early_audio_not_incoming_calls() -> None:
    """Issue #22: nat.mapping warned 'incoming calls may fail'; INVITEs reach the registered
    mapping, what suffers is the start of the audio (FAQ item 4)."""
    from flexdiag import advice

    text = advice.text("mapping.dependent.advice")
    assert "incoming calls may fail" not in text
    assert "first seconds of audio" in text and "still reach the phones" in text

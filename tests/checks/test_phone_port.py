"""sip.phone: SIP from the phones' own local port, compared with an ephemeral port."""

from __future__ import annotations

from flexdiag.checks import phone_port
from flexdiag.model import Status
from flexdiag.records import FixedPortProbe, PhonePortProbes
from tests.checks.builders import observations, options, silent


def probe(local: int, **answers: bool) -> FixedPortProbe:
    return FixedPortProbe(local, {int(p[1:]): options(int(p[1:])) if ok else silent()
                                  for p, ok in answers.items()})


EPHEMERAL_OK = {5060: options(5060), 38388: options(38388)}


def test_same_answers_pass() -> None:
    obs = observations(sip=EPHEMERAL_OK, phone_sip=PhonePortProbes(
        probe(5060, p5060=True, p38388=True), probe(5062, p5060=True, p38388=True)))
    finding = phone_port.judge(obs)
    assert finding.status is Status.PASS and finding.advice is None
    assert finding.data["local_port"] == 5060
    assert finding.data["ports"]["5060"] == {"phone_port": True, "other_port": True}


def test_replies_to_the_phone_port_dropped_names_the_alternative_that_works() -> None:
    # UDP 5060 dropped both ways: from local 5060 nothing answers; from an ephemeral port
    # 38388 answers (5060 itself never does); from 5062, 38388 answers.
    obs = observations(sip={5060: silent(), 38388: options(38388)},
                       phone_sip=PhonePortProbes(probe(5060, p5060=False, p38388=False),
                                                 probe(5062, p5060=False, p38388=True)))
    finding = phone_port.judge(obs)
    assert finding.status is Status.FAIL and finding.faq == (5,)
    assert "38388" in finding.summary and "5060" in finding.summary
    assert "local SIP port to 5062" in (finding.advice or "")
    assert finding.data["alternative"]["ports"] == {"5060": False, "38388": True}


def test_no_alternative_that_works_says_to_lift_the_filter() -> None:
    obs = observations(sip=EPHEMERAL_OK,
                       phone_sip=PhonePortProbes(probe(5060, p5060=False, p38388=False),
                                                 probe(5062, p5060=False, p38388=False)))
    finding = phone_port.judge(obs)
    assert finding.status is Status.FAIL and "Lift the filter" in (finding.advice or "")


def test_port_in_use_is_untested_not_passed() -> None:
    obs = observations(sip=EPHEMERAL_OK, phone_sip=PhonePortProbes(
        FixedPortProbe(5060, error="cannot send from local port 5060: Address already in use"),
        probe(5062, p5060=True, p38388=True)))
    finding = phone_port.judge(obs)
    assert finding.status is Status.SKIP and "Address already in use" in finding.summary
    assert finding.data["error"].startswith("cannot send")


def test_nothing_answers_anywhere_is_not_compared() -> None:
    obs = observations(sip={5060: silent(), 38388: silent()},
                       phone_sip=PhonePortProbes(probe(5060, p5060=False, p38388=False),
                                                 probe(5062, p5060=False, p38388=False)))
    assert phone_port.judge(obs).status is Status.SKIP

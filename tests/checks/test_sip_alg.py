"""sip.alg verdicts over typed observations: per port, rewritten or not, or undecided."""

from __future__ import annotations

from flexdiag.checks import sip_alg
from flexdiag.model import Status
from tests.checks.builders import LOCAL, PUBLIC_IP, observations, options, silent, stun


def test_private_address_seen_on_5060_only_is_an_alg_there() -> None:
    obs = observations(stun=stun((PUBLIC_IP, LOCAL[1])),
                       sip={5060: options(5060, received=LOCAL[0]), 38388: options(38388)})
    finding = sip_alg.judge(obs)
    assert finding.status is Status.FAIL and finding.faq == (5,)
    assert finding.data["detected"] is True
    assert finding.data["ports"] == {"5060": True, "38388": False}
    assert "38388" in (finding.advice or "")


def test_public_address_on_every_port_is_clean() -> None:
    obs = observations(stun=stun((PUBLIC_IP, LOCAL[1])),
                       sip={5060: options(5060), 38388: options(38388)})
    finding = sip_alg.judge(obs)
    assert finding.status is Status.PASS and finding.data["detected"] is False


def test_rewritten_echo_is_an_alg() -> None:
    obs = observations(stun=stun((PUBLIC_IP, LOCAL[1])),
                       sip={5060: options(5060, headers=(("from", "<sip:x@192.0.2.1>"),)),
                            38388: options(38388)})
    finding = sip_alg.judge(obs)
    assert finding.data["ports"]["5060"] is True
    assert any("From" in line for line in finding.data["evidence"])


def test_a_silent_port_is_undecided_and_said_so() -> None:
    obs = observations(stun=stun((PUBLIC_IP, LOCAL[1])),
                       sip={5060: silent(), 38388: options(38388)})
    finding = sip_alg.judge(obs)
    assert finding.data["ports"] == {"5060": None, "38388": False}
    assert any("5060" in line and "no SIP answer" in line for line in finding.data["evidence"])


def test_nothing_answered_is_undecided() -> None:
    obs = observations(stun=stun((PUBLIC_IP, LOCAL[1])), sip={5060: silent(), 38388: silent()})
    finding = sip_alg.judge(obs)
    assert finding.status is Status.SKIP and finding.data["detected"] is None


def test_without_stun_nothing_is_decided() -> None:
    obs = observations(stun=silent(), sip={5060: options(5060), 38388: options(38388)})
    assert sip_alg.judge(obs).data["detected"] is None

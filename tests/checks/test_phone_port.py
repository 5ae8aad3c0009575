"""sip.phone: SIP from the phones' own local port, compared with an ephemeral port."""

from __future__ import annotations

import pytest

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
        FixedPortProbe(5060, error="cannot send from local port 5060: Address already in use",
                       error_kind="in-use"),
        probe(5062, p5060=True, p38388=True)))
    finding = phone_port.judge(obs)
    assert finding.status is Status.SKIP and "Address already in use" in finding.summary
    assert finding.data["error"].startswith("cannot send")
    assert finding.advice is not None and "Another program" in finding.advice


@pytest.mark.parametrize(("kind", "error", "words"), [
    ("denied", "Permission denied", "only an administrator may send from it"),
    ("no-fds", "Too many open files", "open-file limit is too low"),
    ("other", "Cannot assign requested address", "could not send from port 80"),
])
def test_this_computers_refusal_is_worded_by_its_cause(kind: str, error: str,
                                                       words: str) -> None:
    """Issue #21: a privileged port as non-root was blamed on 'another program (a
    softphone?)'."""
    obs = observations(sip=EPHEMERAL_OK, phone_sip=PhonePortProbes(
        FixedPortProbe(80, error=f"cannot send from local port 80: {error}", error_kind=kind),
        probe(82, p5060=True, p38388=True)))
    finding = phone_port.judge(obs)
    assert finding.status is Status.SKIP and finding.data["error_kind"] == kind
    assert finding.advice is not None and words in finding.advice
    assert "softphone" not in finding.advice and "not the router" in finding.advice


def test_socket_failures_are_classified_by_errno() -> None:
    import errno

    from flexdiag.net.ports import socket_failure

    assert [socket_failure(c) for c in (errno.EMFILE, errno.ENFILE, errno.EACCES, errno.EPERM,
                                        errno.EADDRINUSE, errno.ENETUNREACH, None)] == [
        "no-fds", "no-fds", "denied", "denied", "in-use", "other", "other"]


def test_nothing_answers_anywhere_is_not_compared() -> None:
    obs = observations(sip={5060: silent(), 38388: silent()},
                       phone_sip=PhonePortProbes(probe(5060, p5060=False, p38388=False),
                                                 probe(5062, p5060=False, p38388=False)))
    assert phone_port.judge(obs).status is Status.SKIP

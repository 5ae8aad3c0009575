"""sip.large verdicts over typed observations."""

from __future__ import annotations

from flexdiag.checks import sip_large
from flexdiag.model import Status
from flexdiag.records import LargeProbe
from tests.checks.builders import observations

OK = LargeProbe(small=True, wait_s=0.25, arrived={1400: True, 3000: True})
LOST = LargeProbe(small=True, wait_s=0.25, arrived={1400: True, 3000: False})
UNTESTED = LargeProbe(small=False)


def test_every_size_answered_passes() -> None:
    finding = sip_large.judge(observations(large={5060: OK, 38388: OK}))
    assert finding.status is Status.PASS and finding.data["sizes"] == [1400, 3000]
    assert finding.data["ports"]["5060"] == {"small": True, "wait_s": 0.25, "1400": True,
                                             "3000": True}


def test_a_lost_size_fails_naming_size_and_port() -> None:
    finding = sip_large.judge(observations(large={5060: OK, 38388: LOST}))
    assert finding.status is Status.FAIL
    assert "3000" in finding.summary and "38388" in finding.summary
    assert "1400 bytes on 38388" not in finding.summary


def test_no_small_answer_means_untested() -> None:
    finding = sip_large.judge(observations(large={5060: UNTESTED, 38388: UNTESTED}))
    assert finding.status is Status.SKIP
    assert finding.data["ports"]["5060"] == {"small": False}


def test_errors_are_evidence() -> None:
    probe = LargeProbe(small=True, wait_s=0.25, arrived={1400: True, 3000: False},
                       errors={3000: "message too large for the path"})
    finding = sip_large.judge(observations(large={5060: probe}))
    assert finding.data["ports"]["5060"]["errors"] == {"3000": "message too large for the path"}

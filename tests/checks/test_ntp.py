"""ntp.offset verdicts over typed observations (no sockets, no clock)."""

from __future__ import annotations

import pytest

from flexdiag.checks import ntp
from flexdiag.model import Status
from tests.checks.builders import NTP_IP, observations, silent
from tests.checks.builders import ntp as sample


@pytest.mark.parametrize(("offset_s", "stratum", "leap", "status"), [
    (0.01, 2, 0, Status.PASS),
    (-0.9, 2, 0, Status.PASS),  # inside the 1 s default
    (1.5, 2, 0, Status.WARN),
    (-1.5, 2, 0, Status.WARN),
    (0.01, 16, 0, Status.FAIL),  # unsynchronised server (RFC 5905 §7.3)
    (0.01, 0, 0, Status.FAIL),  # kiss-o'-death
    (0.01, 2, 3, Status.FAIL),  # leap alarm
])
def test_verdicts(offset_s: float, stratum: int, leap: int, status: Status) -> None:
    finding = ntp.judge(observations(ntp=sample(offset_s, stratum=stratum, leap=leap)))
    assert finding.status is status and finding.faq == (3,)
    assert finding.data["server"] == f"{NTP_IP}:123"
    assert finding.data["offset_s"] == pytest.approx(offset_s, abs=1e-6)
    assert finding.data["stratum"] == stratum and finding.data["leap"] == leap


def test_silence_fails() -> None:
    finding = ntp.judge(observations(ntp=silent()))
    assert finding.status is Status.FAIL and finding.data["offset_s"] is None

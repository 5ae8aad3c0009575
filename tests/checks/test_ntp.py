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
    # Issue #22: this computer's clock is a note (in the summary), never the site's WARN.
    (1.5, 2, 0, Status.PASS),
    (-1.5, 2, 0, Status.PASS),
    (0.01, 16, 0, Status.FAIL),  # unsynchronised server (RFC 5905 §7.3)
    (0.01, 0, 0, Status.FAIL),  # kiss-o'-death
    (0.01, 2, 3, Status.FAIL),  # leap alarm
])
def test_verdicts(offset_s: float, stratum: int, leap: int, status: Status) -> None:
    finding = ntp.judge(observations(ntp=sample(offset_s, stratum=stratum, leap=leap)))
    assert finding.status is status and finding.faq == (3,)
    assert finding.data["server"] == f"{NTP_IP}:123"
    assert finding.data["stratum"] == stratum and finding.data["leap"] == leap
    if status is Status.FAIL:  # no usable time: no offset recorded (RFC 5905 §7.3-7.4)
        assert finding.data["offset_s"] is None
    else:
        assert finding.data["offset_s"] == pytest.approx(offset_s, abs=1e-6)


def test_kiss_o_death_names_its_code() -> None:
    import dataclasses

    exchange = sample(0.0, stratum=0)
    assert exchange.reply is not None
    reply = dataclasses.replace(exchange.reply.reply, ref_id=int.from_bytes(b"RATE", "big"))
    exchange.reply = dataclasses.replace(exchange.reply, reply=reply)
    finding = ntp.judge(observations(ntp=exchange))
    assert finding.status is Status.FAIL and finding.data["kiss_code"] == "RATE"
    assert "RATE" in finding.summary and finding.data["offset_s"] is None


def test_silence_fails() -> None:
    finding = ntp.judge(observations(ntp=silent()))
    assert finding.status is Status.FAIL and finding.data["offset_s"] is None

"""The typed facts other layers read of a finding (flexdiag/facts.py): written by the checks,
read back from a result in the same run or from a report's JSON, whatever that JSON holds."""

from __future__ import annotations

import json
from typing import Any

import pytest

from flexdiag import facts
from flexdiag.facts import (
    AlgFacts,
    BehaviorFacts,
    CapacityFacts,
    LifetimeFacts,
    MediaPortsFacts,
    NtpFacts,
    PhonePortFacts,
    QualityFacts,
    SipFacts,
    Skipped,
    StunFacts,
    Timing,
)
from flexdiag.vocab import Behavior, MediaVerdict, Reason, Stopped, TableBehavior, Verdict


def _json(data: dict[str, Any]) -> dict[str, Any]:
    """As a report's JSON gives it back (enums as strings, int keys as strings)."""
    result: dict[str, Any] = json.loads(json.dumps(data))
    return result


def test_alg_facts_round_trip_through_json_with_int_ports() -> None:
    written = AlgFacts(True, {5060: True, 38388: False, 5080: None})
    data = _json(written.to_data())
    assert data == {"detected": True, "ports": {"5060": True, "38388": False, "5080": None}}
    assert AlgFacts.of(data) == written
    assert written.rewriting == [5060]


def test_skipped_writes_measure_with_only_when_given() -> None:
    assert Skipped(Reason.NO_ANSWER).to_data() == {"reason": Reason.NO_ANSWER}
    assert Skipped(Reason.NOT_MEASURED, "flexdiag run").to_data() == {
        "reason": "not-measured", "measure_with": "flexdiag run"}
    assert Skipped.of({"reason": "not-measured"}) == Skipped(Reason.NOT_MEASURED, None)


def test_a_peers_reason_phrase_is_no_reason_code() -> None:
    # sip.udp.<port>'s "reason" is the SIP reason phrase the server sent ("OK").
    assert Skipped.of({"reason": "OK"}) is None
    assert Skipped.of({"reason": None}) is None
    assert Skipped.of({}) is None
    assert not facts.unmeasured({"reason": "OK"})
    assert facts.unmeasured({"reason": "not-measured"})
    assert not facts.unmeasured({"reason": "unresolved"})


def test_measure_with_defaults_to_the_default_run() -> None:
    assert facts.measure_with({"reason": "not-measured"}) == "flexdiag run"
    assert facts.measure_with({"reason": "not-measured", "measure_with": "flexdiag run "
                               "--phones N"}) == "flexdiag run --phones N"
    assert facts.measure_with({}) == facts.MEASURE_WITH


def test_interrupted() -> None:
    assert facts.interrupted({"stopped": "interrupted"})
    assert not facts.interrupted({"stopped": "decided"})
    assert not facts.interrupted({"stopped": 3})
    assert not facts.interrupted({})


@pytest.mark.parametrize("data", [
    {}, {"public_ip": 5, "nat": "yes", "port_translation": 1},
    {"behavior": "sideways"}, {"status_code": True}, {"status_code": "200"},
    {"ports": ["5060"], "alternative": "x", "local_port": "5060"},
    {"ports": {"x": True, "5060": "yes"}}, {"alive_s": "8", "advised_keepalive_s": True},
    {"verdict": "maybe", "stopped": None}, {"offset_s": False}, {"rtt_ms": "1"},
])
def test_whatever_a_report_holds_reads_as_unknown_never_an_error(data: dict[str, Any]) -> None:
    assert StunFacts.of(data) == StunFacts(
        data.get("public_ip") if isinstance(data.get("public_ip"), str) else None, None, None)
    assert BehaviorFacts.of(data).behavior is Behavior.UNKNOWN
    assert SipFacts.of(data) == SipFacts(None) and not SipFacts.of(data).answered
    phone = PhonePortFacts.of(data)
    assert phone.local_port is None and phone.alternative_port is None
    assert all(v is None for v in phone.phone_ok.values())
    assert all(v is None for v in AlgFacts.of(data).ports.values())
    lifetime = LifetimeFacts.of(data)
    assert lifetime == LifetimeFacts(None, None, None, None, None)
    assert NtpFacts.of(data).offset_s is None
    assert Timing.of(data).rtt_ms is None
    assert CapacityFacts.of(data).behavior is None
    assert MediaPortsFacts.of(data).verdict is None


def test_typed_values_are_read_as_written() -> None:
    assert StunFacts.of({"public_ip": "203.0.113.7", "nat": True, "port_translation": False}) \
        == StunFacts("203.0.113.7", True, False)
    assert BehaviorFacts.of({"behavior": "endpoint-independent"}).behavior is Behavior.EIM
    assert SipFacts.of({"status_code": 404}).answered
    assert LifetimeFacts.of({"alive_s": 28.5, "expired_s": 31, "verdict": "kept-past-horizon",
                             "advised_keepalive_s": 22.0, "stopped": "interrupted"}) == \
        LifetimeFacts(28.5, 31, Verdict.KEPT_PAST_HORIZON, 22, Stopped.INTERRUPTED)
    assert CapacityFacts.of({"behavior": "refuses-new"}).behavior is TableBehavior.REFUSES_NEW
    assert MediaPortsFacts.of({"verdict": "dropped"}).verdict is MediaVerdict.DROPPED
    assert QualityFacts.of({"rtt_ms": 20.5, "jitter_ms": 1, "loss_pct": 0.0, "mos": 4.4}) == \
        QualityFacts(20.5, 1, 0.0, 4.4)
    assert NtpFacts.of({"offset_s": -0.25}).offset_s == -0.25
    assert Timing.of({"rtt_ms": 12}).rtt_ms == 12


def test_phone_port_facts_as_sip_phone_writes_them() -> None:
    data = _json({"local_port": 5060,
                  "ports": {"5060": {"phone_port": False, "other_port": True},
                            "38388": {"phone_port": True, "other_port": True}},
                  "alternative": {"local_port": 5062, "ports": {"5060": True, "38388": None},
                                  "error": None}})
    phone = PhonePortFacts.of(data)
    assert phone == PhonePortFacts(5060, {5060: False, 38388: True}, 5062,
                                   {5060: True, 38388: None}, True)
    assert not PhonePortFacts.of({**data, "error": "in use"}).tested
    assert not PhonePortFacts.of({"local_port": 5060}).tested


def test_port_maps() -> None:
    assert facts.port_keys({5060: 1}) == {"5060": 1}
    assert facts.int_keys({"5060": 1, "x": 2, "": 3}) == {5060: 1}
    assert facts.int_keys(None) == {} and facts.int_keys([1]) == {}


def test_facts_serialise_field_by_field() -> None:
    assert StunFacts("198.51.100.1", True, True).to_data() == {
        "public_ip": "198.51.100.1", "nat": True, "port_translation": True}
    assert json.dumps(BehaviorFacts(Behavior.EIM).to_data()) == \
        '{"behavior": "endpoint-independent"}'

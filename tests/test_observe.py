"""Observations against in-process fakes, judged end to end through the runner: an RFC 5780
server that fakes a NAT's behaviour, SIP servers that report chosen source addresses, and a SIP
server that drops large requests as a router dropping fragments would."""

from __future__ import annotations

from typing import Any

import pytest

from flexdiag import runner
from flexdiag.model import CheckResult, Report, Status
from flexdiag.render.json import to_dict
from tests.fakes import Stun5780, sip_handler, start_platform, stun_handler

PUB = "198.51.100.7"


async def run(validate_report: Any, **platform: Any) -> Report:
    fake = await start_platform(**platform)
    try:
        report = await runner.run(fake.settings())
    finally:
        fake.close()
    validate_report(to_dict(report))
    return report


def get(report: Report, check_id: str) -> CheckResult:
    check = report.get(check_id)
    assert check is not None
    return check


@pytest.mark.parametrize(("mapping", "expected"), [
    ("eim", "endpoint-independent"), ("ad", "address-dependent"),
    ("apd", "address-and-port-dependent")])
async def test_mapping_rfc5780(validate_report: Any, mapping: str, expected: str) -> None:
    report = await run(validate_report, stun5780=Stun5780(mapping=mapping, public_ip=PUB),
                       sip_h=[sip_handler(seen_ip=PUB), sip_handler(seen_ip=PUB)])
    check = get(report, "nat.mapping")
    assert check.data["behavior"] == expected and check.data["method"] == "rfc5780"
    assert check.status is (Status.PASS if mapping == "eim" else Status.WARN)
    if mapping != "eim":
        assert check.advice and "REQ-1" in check.advice


@pytest.mark.parametrize(("filtering", "expected"), [
    ("eim", "endpoint-independent"), ("ad", "address-dependent"),
    ("apd", "address-and-port-dependent")])
async def test_filtering_rfc5780(validate_report: Any, filtering: str, expected: str) -> None:
    report = await run(validate_report, stun5780=Stun5780(filtering=filtering))
    check = get(report, "nat.filtering")
    assert check.data["behavior"] == expected and check.data["method"] == "rfc5780"
    assert check.status is Status.PASS  # no port translation on loopback: harmless
    assert check.data["wait_s"] <= 2.0  # derived from the RTT, not a fixed ladder
    if filtering != "eim":
        assert check.advice and "phones send audio" in check.advice


async def test_filtering_with_translation_warns(validate_report: Any) -> None:
    report = await run(validate_report,
                       stun5780=Stun5780(filtering="apd", public_ip=PUB))  # shifts ports
    check = get(report, "nat.filtering")
    assert check.status is Status.WARN and check.data["impact"] == "translated"
    # Issue #22: port translation and filtering that clips calls are one router setting,
    # one step, said once (the finding's advice is that step).
    translation = get(report, "stun.binding")
    assert translation.status is Status.WARN
    assert check.advice and check.advice == translation.advice
    assert "port-preserving" in check.advice
    steps = [s for s in report.plan.steps if "nat.filtering" in s.checks]
    assert len(steps) == 1 and "stun.binding" in steps[0].checks


async def test_server_ignoring_change_request_is_not_misread(validate_report: Any) -> None:
    report = await run(validate_report, stun5780=Stun5780(ignore_change=True))
    check = get(report, "nat.filtering")
    assert check.status is Status.SKIP and check.data["behavior"] == "unknown"


async def test_no_rfc5780_falls_back_to_the_sip_crosscheck(validate_report: Any) -> None:
    # STUN and both SIP ports see the same public port: endpoint-independent.
    report = await run(validate_report, stun_h=stun_handler(public_ip=PUB, port_shift=5),
                       sip_h=[sip_handler(seen_ip=PUB, seen_port_shift=5),
                              sip_handler(seen_ip=PUB, seen_port_shift=5)])
    check = get(report, "nat.mapping")
    assert check.data["method"] == "stun-sip-crosscheck"
    assert check.data["behavior"] == "endpoint-independent", check.data
    assert get(report, "nat.filtering").status is Status.SKIP
    assert "RFC 5780" in get(report, "nat.filtering").summary


@pytest.mark.parametrize(("shifts", "expected"), [
    ((7, 7), "address-dependent"),
    ((7, 9), "address-and-port-dependent"),
])
async def test_crosscheck_dependent_mappings(validate_report: Any, shifts: tuple[int, int],
                                             expected: str) -> None:
    report = await run(validate_report, stun_h=stun_handler(public_ip=PUB, port_shift=5),
                       sip_h=[sip_handler(seen_ip=PUB, seen_port_shift=s) for s in shifts])
    check = get(report, "nat.mapping")
    assert check.data["behavior"] == expected and check.status is Status.WARN


async def test_crosscheck_undecided_is_unknown_with_hint(validate_report: Any) -> None:
    report = await run(validate_report, stun_h=stun_handler(public_ip=PUB, port_shift=5),
                       sip_h=[sip_handler(seen_ip=PUB, seen_port_shift=7),
                              sip_handler(silent=True)])
    check = get(report, "nat.mapping")
    assert check.data["behavior"] == "unknown" and check.status is Status.SKIP
    assert "--stun-server" in check.summary


async def test_alg_detected_on_one_port_only(validate_report: Any) -> None:
    # STUN sees a public address; port A's server reports the private one (rewritten back by
    # an ALG), port B's the public one.
    report = await run(validate_report, stun_h=stun_handler(public_ip=PUB),
                       sip_h=[sip_handler(), sip_handler(seen_ip=PUB)])
    alg = get(report, "sip.alg")
    ports = list(alg.data["ports"])
    assert alg.status is Status.FAIL and alg.data["detected"] is True
    assert alg.data["ports"] == {ports[0]: True, ports[1]: False}
    assert alg.advice and ports[1] in alg.advice and "REQ-10" in alg.advice
    assert to_dict(report)["summary"]["sip_alg"] is True
    # The rewritten port is left out of the mapping cross-check.
    assert all(ports[0] not in line for line in get(report, "nat.mapping").data["evidence"])


async def test_alg_rewritten_echo_is_detected(validate_report: Any) -> None:
    report = await run(validate_report, sip_h=[sip_handler(rewrite_from=True), sip_handler()])
    alg = get(report, "sip.alg")
    assert alg.data["detected"] is True and "From" in alg.data["evidence"][0]


async def test_no_alg_false_positive_without_nat(validate_report: Any) -> None:
    report = await run(validate_report)
    alg = get(report, "sip.alg")
    assert alg.status is Status.PASS and alg.data["detected"] is False


async def test_alg_undecided_when_sip_is_silent(validate_report: Any) -> None:
    report = await run(validate_report, sip_h=[sip_handler(silent=True),
                                               sip_handler(silent=True)])
    alg = get(report, "sip.alg")
    assert alg.status is Status.SKIP and alg.data["detected"] is None


async def test_large_messages_lost(validate_report: Any) -> None:
    report = await run(validate_report, sip_h=[sip_handler(max_size=1450), sip_handler()])
    large = get(report, "sip.large")
    first, second = list(large.data["ports"])
    assert large.status is Status.FAIL
    assert large.data["ports"][first] == {"small": True, "wait_s": 0.25, "1400": True,
                                          "3000": False}
    assert large.data["ports"][second]["3000"] is True
    # Issue #22: no SIP ALG was seen and TCP was never tested: the advice names neither.
    assert large.advice and "IP fragments" in large.advice
    assert "TCP" not in large.advice and "ALG" not in large.advice
    assert f"3000 bytes on {first}" in large.summary


async def test_large_untested_without_small_answers(validate_report: Any) -> None:
    report = await run(validate_report, sip_h=[sip_handler(silent=True),
                                               sip_handler(silent=True)])
    assert get(report, "sip.large").status is Status.SKIP


async def test_port_preservation_across_sockets(validate_report: Any) -> None:
    report = await run(validate_report, stun_h=stun_handler(public_ip=PUB))
    binding = get(report, "stun.binding")
    preservation = binding.data["port_preservation"]
    assert preservation["sockets"] == 4 and preservation["preserved"] == 4
    assert binding.status is Status.PASS


def test_every_observation_has_one_typed_maker() -> None:
    # docs/architecture.md "Adding a probe": a member of Obs, a maker in observe.MAKERS (no
    # dispatch by name), and its field in Observations (mypy checks the snapshot's types).
    from flexdiag.observe import _DNS_NAMES, MAKERS
    from flexdiag.records import Obs

    assert set(MAKERS) | set(_DNS_NAMES) == set(Obs)
    assert not set(MAKERS) & set(_DNS_NAMES)
    assert len(set(MAKERS.values())) == len(MAKERS)

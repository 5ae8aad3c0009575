"""``nat.upstream``: which box faces the internet (issue #28, part 4)."""

from __future__ import annotations

import pytest

from flexdiag.analysis.upstream import Basis, Upstream, classify, space
from flexdiag.checks import upstream
from flexdiag.codec.natpmp import ExternalAddress
from flexdiag.model import Status
from flexdiag.records import Upstream as Probe
from flexdiag.vocab import Code
from tests.checks.builders import observations, stun

PUBLIC = "198.51.100.1"


@pytest.mark.parametrize(("pmp", "hops", "ttl", "expected"), [
    ("100.64.3.4", (), None, (Upstream.CGNAT, Basis.NATPMP, None, "100.64.3.4")),
    ("192.168.1.2", (), None, (Upstream.DOUBLE, Basis.NATPMP, None, "192.168.1.2")),
    # the router's word, and the box in front of it seen at the second hop
    ("192.168.1.2", ("192.168.178.1", "192.168.1.1"), None,
     (Upstream.DOUBLE, Basis.NATPMP, "192.168.1.1", "192.168.1.2")),
    ("8.8.4.4", (), None, (Upstream.BEYOND, Basis.NATPMP, None, "8.8.4.4")),
    (None, ("192.168.178.1", "192.168.1.1"), None,
     (Upstream.DOUBLE, Basis.PATH, "192.168.1.1", None)),
    (None, ("192.168.178.1", "100.64.0.1"), None,
     (Upstream.CGNAT, Basis.PATH, "100.64.0.1", None)),
    (None, ("192.168.178.1", "9.9.9.9"), None, (Upstream.UNDETERMINED, Basis.NONE, None, None)),
    (None, ("192.168.178.1", None), None, (Upstream.UNDETERMINED, Basis.NONE, None, None)),
    (None, ("192.168.178.1",), 2, (Upstream.SINGLE, Basis.PATH, None, None)),
    (None, (), 1, (Upstream.NONE, Basis.PATH, None, None)),
    (None, (), None, (Upstream.UNDETERMINED, Basis.NONE, None, None)),
    # The gateway's own word beats the path (an ISP's private core addresses are no NAT).
    ("9.9.9.9", ("192.168.178.1", "10.1.1.1"), None, (Upstream.SINGLE, Basis.NATPMP, None,
                                                       "9.9.9.9")),
])
def test_classify(pmp: str | None, hops: tuple[str | None, ...], ttl: int | None,
                  expected: tuple[Upstream, Basis, str | None, str | None]) -> None:
    mapped = "9.9.9.9"
    verdict = classify(pmp, mapped, hops, ttl)
    assert (verdict.upstream, verdict.basis, verdict.box, verdict.wan) == expected


def _judge(probe: Probe, mapped: str = PUBLIC) -> object:
    return upstream.judge(observations(upstream=probe, stun=stun((mapped, 40000))))


def test_double_nat_warns_and_names_the_other_box() -> None:
    probe = Probe("192.168.178.1", ExternalAddress(3), None, ("192.168.178.1", "192.168.1.1"))
    finding = _judge(probe)
    assert finding.status is Status.WARN and finding.code is Code.DOUBLE_NAT  # type: ignore[attr-defined]
    assert "192.168.1.1" in finding.summary and "bridge mode" in finding.advice  # type: ignore[attr-defined]
    assert finding.data["natpmp_result"] == "network failure"  # type: ignore[attr-defined]


def test_carrier_grade_nat_warns() -> None:
    probe = Probe("192.168.178.1", ExternalAddress(0, 1, "100.64.7.9"))
    finding = _judge(probe)
    assert finding.code is Code.CARRIER_GRADE_NAT and "public IPv4" in finding.advice  # type: ignore[attr-defined]


def test_one_router_passes_and_no_answer_is_not_determined() -> None:
    assert _judge(Probe("192.168.178.1", ExternalAddress(0, 1, PUBLIC))).status is Status.PASS  # type: ignore[attr-defined]
    silent = _judge(Probe("192.168.178.1", None, "ICMP port unreachable", ("192.168.178.1", None)))
    assert silent.status is Status.SKIP and "not determined" in silent.summary  # type: ignore[attr-defined]
    assert upstream.judge(observations()).status is Status.SKIP


@pytest.mark.parametrize(("pmp", "upnp", "expected"), [
    # NAT-PMP not offered or "network failure": UPnP IGD's word serves.
    (None, "192.168.1.2", (Upstream.DOUBLE, Basis.UPNP, "192.168.1.2")),
    (None, "100.64.0.2", (Upstream.CGNAT, Basis.UPNP, "100.64.0.2")),
    (None, "9.9.9.9", (Upstream.SINGLE, Basis.UPNP, "9.9.9.9")),
    (None, "8.8.4.4", (Upstream.BEYOND, Basis.UPNP, "8.8.4.4")),
    # NAT-PMP's word comes first; an address no router could have is no word at all.
    ("9.9.9.9", "192.168.1.2", (Upstream.SINGLE, Basis.NATPMP, "9.9.9.9")),
    ("0.0.0.0", "192.168.1.2", (Upstream.DOUBLE, Basis.UPNP, "192.168.1.2")),
    (None, "not-an-address", (Upstream.UNDETERMINED, Basis.NONE, None)),
])
def test_classify_by_upnp(pmp: str | None, upnp: str | None,
                          expected: tuple[Upstream, Basis, str | None]) -> None:
    verdict = classify(pmp, "9.9.9.9", ("192.168.178.1", None), None, upnp)
    assert (verdict.upstream, verdict.basis, verdict.wan) == expected
    assert verdict.box is None  # the second hop said nothing


def test_the_router_s_upnp_word_is_said_and_kept() -> None:
    probe = Probe("192.168.178.1", ExternalAddress(3), None, ("192.168.178.1", None),
                  upnp_service="urn:schemas-upnp-org:service:WANIPConnection:1",
                  upnp_address="192.168.1.2")
    finding = _judge(probe)
    assert finding.status is Status.WARN and finding.code is Code.DOUBLE_NAT  # type: ignore[attr-defined]
    assert finding.summary == (  # type: ignore[attr-defined]
        "double NAT: this router's own internet address (192.168.1.2) is private, as the router "
        "itself reports it (UPnP): another router sits between it (192.168.178.1) and the "
        "internet")
    assert "the box in front of it, often" in finding.advice  # type: ignore[attr-defined]
    data = finding.data  # type: ignore[attr-defined]
    assert (data["basis"], data["router_wan"], data["other_box"], data["upnp_error"]) == (
        "upnp", "192.168.1.2", None, None)
    refused = _judge(Probe("192.168.178.1", None, "no answer", ("192.168.178.1", None),
                           upnp_error="UPnP error 501: Action Failed"))
    assert refused.status is Status.SKIP  # type: ignore[attr-defined]
    assert refused.data["upnp_error"] == "UPnP error 501: Action Failed"  # type: ignore[attr-defined]


@pytest.mark.parametrize(("pmp", "hops", "answers", "expected"), [
    # A router that learned its address by STUN says "public, the platform's": the private
    # second hop answering NAT-PMP or UPnP itself says double NAT all the same.
    ("9.9.9.9", ("192.168.178.1", "192.168.1.1"), ("natpmp",),
     (Upstream.DOUBLE, Basis.SECOND, "192.168.1.1", "9.9.9.9")),
    (None, ("192.168.178.1", "100.64.0.1"), ("upnp",),
     (Upstream.CGNAT, Basis.SECOND, "100.64.0.1", None)),
    # Silent second hop: the router's word stands (an ISP's private core is no NAT).
    ("9.9.9.9", ("192.168.178.1", "192.168.1.1"), (),
     (Upstream.SINGLE, Basis.NATPMP, None, "9.9.9.9")),
    # A public second hop is never a box in front, whatever answers.
    ("9.9.9.9", ("192.168.178.1", "9.9.9.1"), ("natpmp",),
     (Upstream.SINGLE, Basis.NATPMP, None, "9.9.9.9")),
])
def test_a_second_hop_that_answers_as_a_gateway_is_a_second_nat(
        pmp: str | None, hops: tuple[str | None, ...], answers: tuple[str, ...],
        expected: tuple[Upstream, Basis, str | None, str | None]) -> None:
    verdict = classify(pmp, "9.9.9.9", hops, None, second_answers=answers)
    assert (verdict.upstream, verdict.basis, verdict.box, verdict.wan) == expected


def test_the_box_in_front_answering_is_said() -> None:
    probe = Probe("192.168.178.1", ExternalAddress(0, 1, PUBLIC), None,
                  ("192.168.178.1", "192.168.1.1"), second_gateway="192.168.1.1",
                  second_answers=("natpmp", "upnp"))
    finding = _judge(probe)
    assert finding.code is Code.DOUBLE_NAT  # type: ignore[attr-defined]
    assert finding.summary == (  # type: ignore[attr-defined]
        "double NAT: another router (192.168.1.1) sits between this router (192.168.178.1) and "
        "the internet, as the box in front answers as a router itself (NAT-PMP, UPnP)")
    data = finding.data  # type: ignore[attr-defined]
    assert (data["basis"], data["second_gateway"], data["second_answers"]) == (
        "second", "192.168.1.1", ["natpmp", "upnp"])


def test_the_raw_answers_are_kept_as_they_came() -> None:
    pcp = _judge(Probe("192.168.178.1", ExternalAddress(1, pcp=True), None,
                       ("192.168.178.1", None), error="why not"))
    assert pcp.data["natpmp_result"] == "pcp" and pcp.data["error"] == "why not"  # type: ignore[attr-defined]
    odd = _judge(Probe("192.168.178.1", ExternalAddress(9), None, ("192.168.178.1", None)))
    data = odd.data  # type: ignore[attr-defined]
    assert data["natpmp_result"] == "9" and "error" not in data
    assert (data["natpmp_address"], data["hops"], data["answered_at_ttl"]) == (
        None, ["192.168.178.1", None], None)
    assert (data["gateway_ip"], data["public_ip"], data["basis"]) == (
        "192.168.178.1", PUBLIC, "none")
    assert upstream.judge(observations()).data == {}


def test_unknowns_are_question_marks_in_the_words() -> None:
    # No gateway known (the portable path asked none) and no public address (STUN failed).
    probe = Probe(None, ExternalAddress(0, 1, "100.64.9.9"))
    finding = upstream.judge(observations(upstream=probe))
    assert finding.summary == (
        "carrier-grade NAT: the ISP translates again beyond this router (?), as the router "
        "itself reports it (NAT-PMP) (100.64.9.9 is in the ISP's shared address space "
        "100.64.0.0/10)")
    beyond = upstream.judge(observations(upstream=Probe(
        "192.168.178.1", ExternalAddress(0, 1, "9.9.9.9")), stun=stun(("8.8.8.8", 1))))
    assert beyond.summary == (
        "another NAT beyond this router: its own internet address (9.9.9.9) is not the address "
        "the platform sees (8.8.8.8)")
    assert beyond.code is Code.DOUBLE_NAT


@pytest.mark.parametrize(("address", "kind"), [
    ("100.64.0.0", "cgn"), ("100.127.255.255", "cgn"), ("100.128.0.0", "public"),
    ("10.1.2.3", "private"), ("172.31.0.1", "private"), ("192.168.1.1", "private"),
    ("198.51.100.1", "public"), ("127.0.0.1", None), ("169.254.1.1", None), ("224.0.0.1", None),
    ("0.0.0.0", None), ("", None), (None, None), ("::1", None), ("router", None)])
def test_the_address_spaces(address: str | None, kind: str | None) -> None:
    assert space(address) == kind


def test_edges_of_the_evidence() -> None:
    # One hop known, nothing else: not determined (no second hop to read).
    assert classify(None, "9.9.9.9", ("192.168.178.1",), None).upstream is Upstream.UNDETERMINED
    # The box in front answers; the router's own word is no address at all: no WAN to say.
    seen = classify("0.0.0.0", "9.9.9.9", ("192.168.178.1", "192.168.1.1"), None,
                    second_answers=("natpmp",))
    assert (seen.basis, seen.box, seen.wan) == (Basis.SECOND, "192.168.1.1", None)
    # The router's carrier-grade WAN, and the CGN seen at the second hop.
    both = classify("100.64.0.2", "9.9.9.9", ("192.168.178.1", "100.64.0.1"), None)
    assert (both.upstream, both.box, both.wan) == (Upstream.CGNAT, "100.64.0.1", "100.64.0.2")


def test_the_server_answering_at_the_second_hop_is_one_nat_even_unseen() -> None:
    probe = Probe("192.168.178.1", None, "no answer", ("192.168.178.1",), answered_at_ttl=2)
    finding = upstream.judge(observations(upstream=probe))  # STUN failed: no public address
    assert finding.status is Status.PASS
    assert finding.summary == (
        "one NAT: the router (192.168.178.1) faces the internet itself, from the path towards "
        "the platform; the platform sees ?")

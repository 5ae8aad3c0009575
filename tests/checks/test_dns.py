"""dns.* verdicts over typed resolutions (no resolver)."""

from __future__ import annotations

from flexdiag.checks import dns
from flexdiag.model import Status
from flexdiag.records import Obs
from tests.checks.builders import observations, resolved, unresolved

VOIP, STUN, NTP = dns.CHECKS


def test_platform_address_passes() -> None:
    finding = VOIP.judge(observations(
        resolutions={Obs.DNS_VOIP: resolved("voip.gntel.nl", "198.51.100.10")}))
    assert finding.status is Status.PASS and finding.faq == (1, 5)
    assert finding.data["in_platform_ranges"] is True


def test_outside_the_ranges_warns_and_cites_faq_4() -> None:
    finding = STUN.judge(observations(
        resolutions={Obs.DNS_STUN: resolved("stun.gntel.nl", "203.0.113.99")}))
    assert finding.status is Status.WARN and finding.faq == (2, 4)
    assert finding.data["in_platform_ranges"] is False
    assert "203.0.113.99" in finding.summary


def test_ipv6_without_a_v6_range_is_not_judged() -> None:
    finding = NTP.judge(observations(
        resolutions={Obs.DNS_NTP: resolved("ntp.gntel.nl", "198.51.100.30", "2001:db8::1")}))
    assert finding.status is Status.PASS


def test_nxdomain_fails() -> None:
    finding = VOIP.judge(observations(resolutions={Obs.DNS_VOIP: unresolved("voip.gntel.nl")}))
    assert finding.status is Status.FAIL and finding.data["error"] == "nxdomain"
    assert "NXDOMAIN" in finding.summary and finding.advice


def test_an_address_given_for_a_name_is_a_skip() -> None:
    finding = VOIP.judge(observations(resolutions={Obs.DNS_VOIP: resolved(
        "198.51.100.10", "198.51.100.10", literal=True)}))
    assert finding.status is Status.SKIP


def test_ids_follow_the_design() -> None:
    assert [c.id for c in dns.CHECKS] == ["dns.voip", "dns.stun", "dns.ntp"]


def test_no_network_at_all_is_said_so() -> None:
    from flexdiag.records import Resolution

    finding = VOIP.judge(observations(resolutions={Obs.DNS_VOIP: Resolution(
        "voip.gntel.nl", "system (192.0.2.53)", error="no route", error_kind="no-network")}))
    assert finding.status is Status.FAIL and "no network connection" in finding.summary
    assert "Connect this computer" in (finding.advice or "")


def test_ignored_replies_are_in_the_evidence_and_the_summary() -> None:
    from flexdiag.records import Obs, Resolution

    silent = Resolution("voip.gntel.nl", "192.0.2.53:53", error="no answer",
                        error_kind="timeout", ignored_count=3,
                        ignored=("192.0.2.53:53: malformed DNS message: x",))
    finding = dns.CHECKS[0].judge(observations(resolutions={Obs.DNS_VOIP: silent}))
    assert finding.data["ignored_count"] == 3
    assert finding.data["ignored"] == ["192.0.2.53:53: malformed DNS message: x"]
    assert finding.summary == (
        "voip.gntel.nl did not resolve via 192.0.2.53:53: no answer from the DNS server in time "
        "(3 replies ignored: malformed, or answering another query)")
    chain = Resolution("voip.gntel.nl", "192.0.2.53:53", error="x", error_kind="chain-loop")
    looped = dns.CHECKS[0].judge(observations(resolutions={Obs.DNS_VOIP: chain}))
    assert looped.data["error"] == "chain-loop" and "ignored_count" not in looped.data
    assert looped.summary.endswith("the answer's CNAME chain loops back on itself")

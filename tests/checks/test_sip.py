"""sip.udp.<port> verdicts, as a table over typed observations (no sockets)."""

from __future__ import annotations

from flexdiag.checks import evaluate, sip
from flexdiag.model import Status
from flexdiag.records import Obs
from tests.checks.builders import SIP_IP, observations, options, silent, unresolved


def test_answer_from_the_port_passes_with_evidence() -> None:
    finding = sip.check_port(5060).judge(observations(sip={5060: options(5060)}))
    assert finding.status is Status.PASS and finding.faq == (5, 7)
    assert finding.data["target"] == f"{SIP_IP}:5060"
    assert finding.data["status_code"] == 200 and finding.data["meaning"] == "200 OK"
    assert finding.data["via_rport"] == 40000 and finding.advice is None


def test_answer_from_another_port_warns() -> None:
    finding = sip.check_port(5060).judge(
        observations(sip={5060: options(5060, reply_port=5062)}))
    assert finding.status is Status.WARN and finding.faq == (5,)
    assert finding.data["reply_from"] == f"{SIP_IP}:5062"


def test_silent_port_advises_the_port_that_answers() -> None:
    finding = sip.check_port(5060).judge(
        observations(sip={5060: silent(), 38388: options(38388)}))
    assert finding.status is Status.FAIL and finding.faq == (5,)
    assert "38388" in (finding.advice or "")


def test_all_silent_names_every_port() -> None:
    finding = sip.check_port(38388).judge(observations(sip={5060: silent(), 38388: silent()}))
    assert finding.status is Status.FAIL
    assert "5060, 38388" in (finding.advice or "")


def test_provisional_only_is_said_so() -> None:
    exchange = silent()
    exchange.provisional = 2
    finding = sip.check_port(5060).judge(observations(sip={5060: exchange, 38388: silent()}))
    assert finding.status is Status.FAIL
    assert "provisional" in finding.summary.lower()


def test_unresolved_sip_name_skips_and_points_at_dns_voip() -> None:
    obs = observations(resolutions={Obs.DNS_VOIP: unresolved("voip.gntel.nl")})
    finding = evaluate(sip.check_port(5060), obs)
    assert finding.status is Status.SKIP and finding.data["see"] == "dns.voip"


def test_the_answering_servers_software_is_evidence() -> None:
    # Issue #27: support's first question is who answered (the platform, or a router's ALG).
    def software(*headers: tuple[str, str]) -> object:
        judged = sip.check_port(5060).judge(observations(sip={5060: options(
            5060, headers=headers)}))
        return judged.data.get("software")

    assert software(("server", "kamailio (5.6.3 (x86_64/linux))")) == (
        "kamailio (5.6.3 (x86_64/linux))")
    assert software(("user-agent", "FRITZ!OS")) == "FRITZ!OS"
    assert software() is None

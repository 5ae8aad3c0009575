"""stun.binding's verdicts, as a table over typed observations (no sockets)."""

from __future__ import annotations

import pytest

from flexdiag.checks import evaluate, stun
from flexdiag.model import Status
from flexdiag.records import Obs
from tests.checks.builders import LOCAL, PUBLIC_IP, observations, silent, unresolved
from tests.checks.builders import stun as binding


@pytest.mark.parametrize(("mapped", "extra", "status", "nat", "translation", "faq"), [
    (LOCAL, [], Status.PASS, False, False, (2, 4)),  # no NAT at all
    ((PUBLIC_IP, LOCAL[1]), [], Status.PASS, True, False, (2, 4)),  # NAT, port kept
    ((PUBLIC_IP, 50001), [], Status.WARN, True, True, (4, 5, 6)),  # port translation
    # the primary socket kept its port, another socket did not: partial preservation
    ((PUBLIC_IP, LOCAL[1]), [(("192.168.1.20", 40001), (PUBLIC_IP, 61000))], Status.WARN, True,
     False, (4, 5, 6)),
])
def test_verdicts(mapped: tuple[str, int], extra: list[tuple[tuple[str, int], tuple[str, int]]],
                  status: Status, nat: bool, translation: bool, faq: tuple[int, ...]) -> None:
    others = tuple(binding(public, local=local) for local, public in extra)
    finding = stun.judge(observations(stun=binding(mapped), preservation=others))
    assert (finding.status, finding.data["nat"], finding.data["port_translation"],
            finding.faq) == (status, nat, translation, faq)
    assert finding.data["mapped"] == f"{mapped[0]}:{mapped[1]}"
    assert (finding.advice is None) == (status is Status.PASS)
    preservation = finding.data["port_preservation"]
    assert preservation["sockets"] == 1 + len(extra)
    assert preservation["preserved"] == (1 if mapped[1] == LOCAL[1] else 0)


def test_translation_advice_names_the_registration_interval() -> None:
    finding = stun.judge(observations(stun=binding((PUBLIC_IP, 50001))))
    assert "3600" in (finding.advice or "")
    assert finding.data["public_ip"] == PUBLIC_IP


def test_silence_fails_with_the_wait_and_the_packets_in_the_summary() -> None:
    finding = stun.judge(observations(stun=silent()))
    assert finding.status is Status.FAIL and finding.faq == (2,)
    assert "7.6" in finding.summary and finding.data["sent"] == 4
    assert finding.data["mapped"] is None and "error" not in finding.data


def test_icmp_error_is_named() -> None:
    finding = stun.judge(observations(stun=silent(error="ICMP port unreachable: nothing "
                                                        "listens on that port")))
    assert finding.status is Status.FAIL
    assert finding.data["error"].startswith("ICMP port unreachable")
    assert "ICMP port unreachable" in finding.summary


def test_error_response_warns_with_its_code() -> None:
    finding = stun.judge(observations(stun=binding(None, error=(420, "Unknown Attribute"))))
    assert finding.status is Status.WARN
    assert "420" in finding.summary and "Unknown Attribute" in finding.summary


def test_other_address_is_recorded_as_rfc5780_support() -> None:
    finding = stun.judge(observations(stun=binding(LOCAL, other=("198.51.100.21", 3479))))
    assert finding.data["other_address"] == "198.51.100.21:3479"


def test_unresolved_stun_name_skips_and_points_at_dns_stun() -> None:
    obs = observations(resolutions={Obs.DNS_STUN: unresolved("stun.gntel.nl")})
    finding = evaluate(stun.CHECK, obs)
    assert finding.status is Status.SKIP
    assert finding.data == {"reason": "unresolved", "name": "stun.gntel.nl", "see": "dns.stun"}
    assert "dns.stun" in finding.summary

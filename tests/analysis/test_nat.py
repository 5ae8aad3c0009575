"""Truth tables for the pure NAT and ALG classifiers (RFC 5780 §4.3-4.4, RFC 4787 terms)."""

from __future__ import annotations

import pytest

from flexdiag.analysis import nat
from flexdiag.analysis.nat import ADDRESS, ADDRESS_PORT, EIM, UNKNOWN, SipView, View

LOCAL = ("203.0.113.10", 40000)
PUB = "198.51.100.1"


@pytest.mark.parametrize(("test1", "test2", "test3", "expected"), [
    (LOCAL, None, None, EIM),  # no NAT at all
    ((PUB, 40000), (PUB, 40000), (PUB, 40000), EIM),
    ((PUB, 40000), (PUB, 40001), (PUB, 40001), ADDRESS),
    ((PUB, 40000), (PUB, 40001), (PUB, 40002), ADDRESS_PORT),
    ((PUB, 40000), None, None, UNKNOWN),
    ((PUB, 40000), (PUB, 40001), None, UNKNOWN),
])
def test_mapping_rfc5780(test1, test2, test3, expected) -> None:  # type: ignore[no-untyped-def]
    assert nat.classify_mapping_rfc5780(LOCAL, test1, test2, test3) == expected


@pytest.mark.parametrize(("both", "port", "expected"), [
    (True, True, EIM), (True, False, EIM), (True, None, EIM),
    (False, True, ADDRESS), (False, False, ADDRESS_PORT),
    (None, None, UNKNOWN), (False, None, UNKNOWN),
])
def test_filtering_rfc5780(both, port, expected) -> None:  # type: ignore[no-untyped-def]
    assert nat.classify_filtering(both, port) == expected


STUN = ("198.51.100.10", 3478)
SIP5060, SIP38388 = ("198.51.100.20", 5060), ("198.51.100.20", 38388)


@pytest.mark.parametrize(("stun_port", "p5060", "p38388", "expected"), [
    (50000, 50000, 50000, EIM),  # same mapping towards two addresses
    (50000, 50001, 50001, ADDRESS),  # new mapping per address, kept across ports
    (50000, 50001, 50002, ADDRESS_PORT),  # new mapping per port of one address
    (50000, 50000, 50002, ADDRESS_PORT),
    (50000, 50001, None, UNKNOWN),  # only two addresses, different: address or port?
    (50000, None, None, UNKNOWN),
])
def test_mapping_crosscheck(stun_port, p5060, p38388, expected) -> None:  # type: ignore[no-untyped-def]
    views = [View("STUN", STUN, (PUB, stun_port))]
    if p5060 is not None:
        views.append(View("SIP 5060", SIP5060, (PUB, p5060)))
    if p38388 is not None:
        views.append(View("SIP 38388", SIP38388, (PUB, p38388)))
    behavior, evidence = nat.classify_mapping_crosscheck(LOCAL, views)
    assert behavior == expected
    assert any(fields.get("label") == "STUN" for _, fields in evidence)


def test_crosscheck_without_translation_is_endpoint_independent() -> None:
    views = [View("STUN", STUN, LOCAL), View("SIP 5060", SIP5060, LOCAL)]
    assert nat.classify_mapping_crosscheck(LOCAL, views)[0] == EIM


@pytest.mark.parametrize(("public", "view", "expected"), [
    # NAT, server saw the public address: clean.
    ((PUB, 40000), SipView(5060, True, PUB, 40000), False),
    # NAT, but the reply names our private address: rewritten by an ALG.
    ((PUB, 40000), SipView(5060, True, LOCAL[0], LOCAL[1]), True),
    # The echoed From differs from what was sent: rewritten.
    ((PUB, 40000), SipView(5060, True, PUB, 40000, changed_headers=("From",)), True),
    # No NAT and the server saw our own address: nothing to rewrite.
    (LOCAL, SipView(5060, True, LOCAL[0], LOCAL[1]), False),
    # No answer: undecided.
    ((PUB, 40000), SipView(5060, False), None),
    # No STUN: undecided.
    (None, SipView(5060, True, PUB, 40000), None),
    # Another public address per destination (carrier-grade NAT pool): undecided.
    ((PUB, 40000), SipView(5060, True, "198.51.100.99", 40000), None),
    # No received= (server saw sent-by unchanged) while NAT: sent-by is private => rewritten.
    ((PUB, 40000), SipView(5060, True, None, None, sent_by_echoed="203.0.113.10:40000"), True),
])
def test_alg(public, view, expected) -> None:  # type: ignore[no-untyped-def]
    decision, evidence = nat.classify_alg(LOCAL, public, view)
    assert decision is expected
    assert evidence[0].startswith("ev.alg.") and evidence[1]["port"] == 5060


@pytest.mark.parametrize(("decisions", "expected"), [
    # An untested port is not passed: [None, False] is undecided (issue: a real phone on 5060).
    ([True, False], True), ([False, False], False), ([None, False], None), ([None, None], None),
    ([None, True], True), ([], None),
])
def test_combine_alg(decisions, expected) -> None:  # type: ignore[no-untyped-def]
    assert nat.combine_alg(decisions) is expected


@pytest.mark.parametrize(("mapping", "filtering", "translation", "expected"), [
    (EIM, EIM, False, "clean"),
    (EIM, ADDRESS_PORT, False, "phone-first"),
    (EIM, ADDRESS, False, "phone-first"),
    (EIM, EIM, True, "translated"),
    (EIM, ADDRESS_PORT, True, "translated"),
    (ADDRESS, EIM, False, "per-destination"),
    (ADDRESS_PORT, ADDRESS_PORT, True, "per-destination"),
    (UNKNOWN, UNKNOWN, None, "clean"),
])
def test_platform_impact(mapping, filtering, translation, expected) -> None:  # type: ignore[no-untyped-def]
    assert nat.impact(mapping, filtering, translation) == expected


# --- exact evidence and order (mutation testing: docs/testing.md) -----------------------------

SIP_OTHER = ("198.51.100.21", 5060)


@pytest.mark.parametrize(("mappings", "expected"), [
    ({STUN: 50000, SIP5060: 50000, SIP38388: 50000, SIP_OTHER: 50000}, EIM),
    ({STUN: 50000, SIP5060: 50001, SIP38388: 50001, SIP_OTHER: 50003}, ADDRESS),
    ({STUN: 50000, SIP5060: 50001, SIP38388: 50002, SIP_OTHER: 50003}, ADDRESS_PORT),
    ({STUN: 50000, SIP5060: 50000, SIP38388: 50000, SIP_OTHER: 50001}, ADDRESS),  # mixed
    ({STUN: 50000, SIP5060: 50001, SIP_OTHER: 50000}, UNKNOWN),
])
def test_crosscheck_does_not_depend_on_the_order_of_the_views(
        mappings: dict[tuple[str, int], int], expected: object) -> None:
    import itertools

    views = [View(f"{server}", server, (PUB, port)) for server, port in mappings.items()]
    for order in itertools.permutations(views):
        assert nat.classify_mapping_crosscheck(LOCAL, list(order))[0] == expected, order


def test_crosscheck_evidence_says_why() -> None:
    untranslated = nat.classify_mapping_crosscheck(
        LOCAL, [View("STUN", STUN, LOCAL), View("SIP 5060", SIP5060, LOCAL)])
    assert untranslated[1][-1] == ("ev.view.untranslated", {})
    assert untranslated[1][0] == ("ev.view", {"label": "STUN", "server": "198.51.100.10:3478",
                                              "mapped": f"{LOCAL[0]}:{LOCAL[1]}"})
    few = nat.classify_mapping_crosscheck(LOCAL, [View("STUN", STUN, (PUB, 1))])
    assert few == (UNKNOWN, [("ev.view", {"label": "STUN", "server": "198.51.100.10:3478",
                                          "mapped": f"{PUB}:1"}), ("ev.view.few", {})])
    inseparable = nat.classify_mapping_crosscheck(
        LOCAL, [View("STUN", STUN, (PUB, 1)), View("SIP", SIP5060, (PUB, 2))])
    assert inseparable[0] == UNKNOWN and inseparable[1][-1] == ("ev.view.inseparable", {})
    decided = nat.classify_mapping_crosscheck(
        LOCAL, [View("STUN", STUN, (PUB, 1)), View("SIP", SIP5060, (PUB, 1))])
    assert decided == (EIM, decided[1]) and len(decided[1]) == 2  # the views, no note


@pytest.mark.parametrize(("public", "view", "note"), [
    ((PUB, 40000), SipView(5060, True, changed_headers=("From", "To")),
     ("ev.alg.echo", {"port": 5060, "headers": "From, To"})),
    ((PUB, 40000), SipView(5060, True, PUB, 40001),
     ("ev.alg.clean", {"port": 5060, "seen": f"{PUB}:40001", "public": f"{PUB}:40000"})),
    ((PUB, 40000), SipView(5060, True, PUB, None),
     ("ev.alg.clean", {"port": 5060, "seen": PUB, "public": f"{PUB}:40000"})),
    ((PUB, 40000), SipView(5060, True, None, None, sent_by_echoed=f"{PUB}:5060"),
     ("ev.alg.clean", {"port": 5060, "seen": PUB, "public": f"{PUB}:40000"})),
    ((PUB, 40000), SipView(5060, True, None, None, sent_by_echoed=None),
     ("ev.alg.other_public", {"port": 5060, "seen": "", "public": f"{PUB}:40000"})),
    (None, SipView(5060, True, PUB, 7), ("ev.alg.no_stun", {"port": 5060, "seen": f"{PUB}:7"})),
    (LOCAL, SipView(5060, True, "198.51.100.99", 7),
     ("ev.alg.paths_differ", {"port": 5060, "seen": "198.51.100.99:7",
                              "public": f"{LOCAL[0]}:{LOCAL[1]}"})),
    ((PUB, 40000), SipView(5061, False), ("ev.alg.silent", {"port": 5061})),
])
def test_alg_evidence_exactly(public: tuple[str, int] | None, view: SipView,
                              note: tuple[str, dict[str, object]]) -> None:
    assert nat.classify_alg(LOCAL, public, view)[1] == note


@pytest.mark.parametrize(("sent_by", "host"), [
    ("203.0.113.10:40000", "203.0.113.10"), ("203.0.113.10", "203.0.113.10"),
    ("[2001:db8::10]:40000", "2001:db8::10"), ("[2001:db8::10]", "2001:db8::10"),
    ("2001:db8::10", "2001:db8::10"), ("", ""),
])
def test_the_host_of_an_echoed_sent_by(sent_by: str, host: str) -> None:
    # IPv6: a phone behind an IPv6 firewall has no NAT: its own address echoed is clean.
    local = ("2001:db8::10", 40000)
    view = SipView(5060, True, None, None, sent_by_echoed=sent_by)
    decision, note = nat.classify_alg(local, local, view)
    assert note[1]["seen"] == host
    assert decision is (False if host == "2001:db8::10" else None)


def test_changed_mappings_across_three_ports_in_any_order() -> None:
    import itertools

    sip5070 = ("198.51.100.20", 5070)
    views = [View("5060", SIP5060, (PUB, 50001)), View("38388", SIP38388, (PUB, 50002)),
             View("5070", sip5070, (PUB, 50001))]
    for order in itertools.permutations(views):
        assert nat.classify_mapping_crosscheck(LOCAL, list(order))[0] == ADDRESS_PORT

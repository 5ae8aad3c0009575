"""The planner: one ordered plan over all results."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from flexdiag.model import CheckResult, Status
from flexdiag.planner import plan
from tests.checks.builders import silent
from tests.golden import recorded


@pytest.fixture(autouse=True)
def golden_plans(request: pytest.FixtureRequest,
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every plan a test makes is compared, whole, with its golden record."""
    import flexdiag.planner

    with recorded(request.node.nodeid, monkeypatch, [(flexdiag.planner, "Plan")]):
        yield


# The whole "Set on the phones" block of a network that needs nothing changed (issue #22).
DEFAULT_BLOCK = {"sip_server": "voip.gntel.nl", "sip_port": 5060, "local_sip_port": 5060,
                 "stun_server": None, "ntp_server": "ntp.gntel.nl", "keepalive_s": None,
                 "registration_time_s": 3600}


def changes(block: Any) -> dict[str, Any]:
    """What a plan's phone settings change from the default block (every key is there)."""
    assert set(block) == set(DEFAULT_BLOCK), block
    return {k: v for k, v in block.items() if DEFAULT_BLOCK[k] != v}


def result(check_id: str, status: Status, advice: str | None = None,
           faq: tuple[int, ...] = ()) -> CheckResult:
    return CheckResult(check_id, check_id, status, "summary", {}, advice, faq)


def test_nothing_to_do_is_an_empty_plan() -> None:
    assert plan([result("dns.voip", Status.PASS),
                 result("nat.filtering", Status.PASS, "a note, not a step")]).steps == ()


def test_failures_come_before_warnings_then_report_order() -> None:
    steps = plan([result("stun.binding", Status.WARN, "w1", (4,)),
                  result("sip.udp.5060", Status.FAIL, "f1", (5,)),
                  result("sip.alg", Status.WARN, "w2", (6,)),
                  result("ntp.offset", Status.FAIL, "f2", (3,))]).steps
    assert [s.text for s in steps] == ["f1", "f2", "w1", "w2"]
    assert [s.checks for s in steps] == [("sip.udp.5060",), ("ntp.offset",), ("stun.binding",),
                                         ("sip.alg",)]


def test_one_router_setting_is_one_step() -> None:
    """Issue #22: symmetric NAT gave three near-identical steps (port preservation / full
    cone / consistent NAT); it is one router setting."""
    steps = plan([result("stun.binding", Status.WARN, "preserve ports", (4,)),
                  result("nat.mapping", Status.WARN, "full cone", (4,)),
                  result("nat.filtering", Status.WARN, "consistent NAT", (4,))]).steps
    assert len(steps) == 1
    assert steps[0].checks == ("stun.binding", "nat.mapping", "nat.filtering")
    assert "port-preserving" in steps[0].text and steps[0].faq == (4, 5, 6)


def test_a_dns_hijack_says_its_paragraph_once() -> None:
    """Issue #22: a DNS hijack repeated one paragraph four times."""
    hijack = "Check the router's DNS settings."
    steps = plan([result("dns.voip", Status.WARN, hijack, (1,)),
                  result("dns.stun", Status.WARN, hijack, (2,)),
                  result("dns.ntp", Status.WARN, hijack, (3,)),
                  result("stun.binding", Status.FAIL, "allow 3478", (2,)),
                  result("sip.udp.5060", Status.FAIL, "allow 5060", (5,)),
                  result("ntp.offset", Status.FAIL, "allow 123", (3,))]).steps
    assert sum(s.text.count(hijack) for s in steps) == 1, steps
    assert steps[0].checks[:3] == ("dns.voip", "dns.stun", "dns.ntp")
    assert {"stun.binding", "sip.udp.5060", "ntp.offset"} <= set(steps[0].checks)


@pytest.mark.parametrize("alg", [False, True])
def test_large_messages_name_the_alg_only_where_one_was_seen(alg: bool) -> None:
    large = result("sip.large", Status.FAIL, "Let the router pass IP fragments.", (5,))
    sip_alg = CheckResult("sip.alg", "sip.alg", Status.FAIL if alg else Status.PASS, "s",
                          {"detected": alg, "ports": {"5060": alg, "38388": False}})
    (step,) = [s for s in plan([large, sip_alg]).steps if "sip.large" in s.checks]
    assert ("SIP ALG, seen on port(s) 5060" in step.text) is alg
    assert "TCP" not in step.text


def test_shared_advice_is_one_step_naming_every_check() -> None:
    steps = plan([result("sip.udp.5060", Status.FAIL, "same", (5,)),
                  result("sip.udp.38388", Status.FAIL, "same", (5, 1)),
                  result("sip.large", Status.WARN, "other", (5,))]).steps
    assert [(s.text, s.faq, s.checks) for s in steps] == [
        ("same", (1, 5), ("sip.udp.5060", "sip.udp.38388")), ("other", (5,), ("sip.large",))]


def test_skips_and_errors_without_advice_add_nothing() -> None:
    assert plan([result("nat.mapping", Status.SKIP), result("x", Status.ERROR)]).steps == ()


# --- rules decided over all findings (the lab's real phone confirms each: tests/lab) -------

def _judged(**fields: Any) -> list[CheckResult]:
    """Every quick-run check judged over hand-built observations (no sockets)."""
    from flexdiag.checks import checks_for, evaluate
    from tests.checks.builders import SETTINGS, observations

    obs = observations(**fields)
    return [CheckResult(c.id, c.id, (f := evaluate(c, obs)).status, f.summary, f.data,
                        f.advice, f.faq) for c in checks_for(SETTINGS)]


def _lifetime_fail(results: list[CheckResult]) -> list[CheckResult]:
    from flexdiag.checks.lifetime import evaluate
    from flexdiag.records import Measurement
    from flexdiag.vocab import Method
    from tests.test_planner_data import short_lifetime

    m: Measurement = short_lifetime()
    f = evaluate(m, method=Method.RFC5780, registration_s=3600, budget_s=100.0, sent=1)
    return [r for r in results if r.id != "nat.lifetime"] + [
        CheckResult("nat.lifetime", "t", f.status, f.summary, f.data, f.advice, f.faq)]


def test_healthy_network_needs_no_phone_settings() -> None:
    from tests.test_planner_data import HEALTHY

    result = plan(_judged(**HEALTHY))
    assert changes(result.phone_settings) == {} and result.steps == ()


def test_5060_blocked_both_ways_moves_port_and_local_port_together() -> None:
    from tests.test_planner_data import DROP_5060

    result = plan(_judged(**DROP_5060))
    assert changes(result.phone_settings) == {"sip_port": 38388, "local_sip_port": 5062}
    first = result.steps[0]
    assert "local SIP port to 5062" in first.text and "voip.gntel.nl:38388" in first.text
    assert "Or allow UDP port 5060 both ways on the router or firewall" in first.text
    assert {"sip.udp.5060", "sip.phone"} <= set(first.checks)
    # The per-check "use 38388" advice, wrong for a phone on local port 5060, is not a step.
    assert not any("configure the phones to register on" in s.text for s in result.steps)


def test_alg_on_5060_with_a_short_lifetime_moves_port_and_keepalive_together() -> None:
    from tests.test_planner_data import ALG_5060

    result = plan(_lifetime_fail(_judged(**ALG_5060)))
    assert changes(result.phone_settings) == {"sip_port": 38388, "keepalive_s": 6}
    first = result.steps[0]
    assert "voip.gntel.nl:38388" in first.text and "SIP ALG" in first.text
    assert "NAT keep-alive every 6 s or less" in first.text
    assert "sip.alg" in first.checks and "nat.lifetime" not in [
        c for s in result.steps[1:] for c in s.checks]


def test_alg_with_the_lifetime_unmeasured_says_to_measure_it_first() -> None:
    from tests.test_planner_data import ALG_5060

    result = plan(_judged(**ALG_5060))
    assert changes(result.phone_settings) == {"sip_port": 38388}
    assert "flexdiag run (without --quick)" in result.steps[0].text


def test_short_lifetime_alone_sets_the_keepalive_never_a_short_interval() -> None:
    """Issue #22: UDP timeouts 10/40 gave 'registration interval (s): 6', which registrars
    refuse (423) and which loads the platform; the keep-alive is the phone-side remedy, the
    router's timeout the first step."""
    from tests.test_planner_data import HEALTHY

    result = plan(_lifetime_fail(_judged(**HEALTHY)))
    assert changes(result.phone_settings) == {"keepalive_s": 6}
    assert [s.checks for s in result.steps] == [("nat.lifetime",)]
    assert result.steps[0].text.index("raise the router's UDP timeout") < \
        result.steps[0].text.index("keep-alive")


def test_a_platform_name_resolving_elsewhere_is_named_as_the_cause() -> None:
    from flexdiag.records import Obs
    from tests.checks.builders import resolved
    from tests.test_planner_data import DROP_5060

    fields = {**DROP_5060, "sip": {5060: silent(), 38388: silent()},
              "resolutions": {Obs.DNS_VOIP: resolved("voip.gntel.nl", "203.0.113.66")}}
    result = plan(_judged(**fields))
    first = result.steps[0]
    assert first.checks[0] == "dns.voip" and "sip.udp.5060" in first.checks
    assert "fix DNS first" in first.text
    assert changes(result.phone_settings) == {}


def test_findings_carry_the_step_that_answers_them() -> None:
    from flexdiag.planner import reconcile
    from tests.test_planner_data import DROP_5060

    results = _judged(**DROP_5060)
    coherent = {r.id: r for r in reconcile(results, plan(results))}
    step = plan(results).steps[0].text
    assert coherent["sip.udp.5060"].advice == step  # was "register on 38388" alone
    assert coherent["sip.phone"].advice == step
    assert coherent["sip.udp.38388"].advice is None


def test_a_full_table_is_the_cause_the_silent_checks_point_at() -> None:
    from tests.test_planner_data import HEALTHY

    fields = {**HEALTHY, "ntp": silent(),
              "flows": tuple(__import__("flexdiag.records", fromlist=["Flow"]).Flow(
                  ("192.168.1.20", 40000 + i), ("198.51.100.20", 3478), i, i < 2)
                  for i in range(4))}
    result = plan(_judged(**fields))
    first = result.steps[0]
    assert first.checks[0] == "nat.capacity" and "ntp.offset" in first.checks
    assert "NAT table holds about" in first.text
    assert "What ntp.offset found in this run follows from the full table." in first.text
    assert not any("Allow outbound UDP to port 123" in s.text for s in result.steps)


def test_a_full_table_with_nothing_else_failing_blames_nothing_else() -> None:
    """Issue #22: `--phones 8` on a 20-flow table with DNS, STUN and SIP passing said 'The
    DNS, STUN and SIP failures of this run follow from the full table' (a fixed sentence)."""
    capacity = _with("nat.capacity", Status.FAIL, {"behavior": "refuses-new"},
                     "The router's NAT table holds about 20 flows.", (6,))
    steps = plan([result("dns.voip", Status.PASS), result("stun.binding", Status.PASS),
                  result("sip.udp.5060", Status.PASS), capacity]).steps
    assert [s.text for s in steps] == ["The router's NAT table holds about 20 flows."]


# --- the planner's rules one by one, over hand-made results ------------------------------

def _with(check_id: str, status: Status, data: dict[str, Any], advice: str | None = None,
          faq: tuple[int, ...] = ()) -> CheckResult:
    return CheckResult(check_id, check_id, status, "summary", data, advice, faq)


def test_a_name_outside_the_ranges_is_the_cause_of_its_dependants_failures() -> None:
    steps = plan([
        _with("dns.voip", Status.PASS, {}),
        _with("dns.stun", Status.WARN, {}, "check DNS for stun", (4,)),
        _with("stun.binding", Status.FAIL, {}, "allow 3478", (5,)),
        _with("nat.mapping", Status.FAIL, {}, "mapping advice", (6,)),
        _with("sip.udp.5060", Status.PASS, {"status_code": 200}),
    ]).steps
    first = steps[0]
    assert first.checks == ("dns.stun", "stun.binding", "nat.mapping")
    assert "check DNS for stun" in first.text and "stun.binding, nat.mapping" in first.text
    assert first.faq == (4, 5, 6)


def test_a_name_outside_the_ranges_with_nothing_failing_is_its_own_warning() -> None:
    steps = plan([_with("dns.voip", Status.WARN, {}, "check DNS for voip", (4,)),
                  _with("sip.udp.5060", Status.PASS, {"status_code": 200})]).steps
    assert [(s.text, s.checks) for s in steps] == [("check DNS for voip", ("dns.voip",))]


def test_sip_failures_behind_a_wrong_voip_address_point_at_dns() -> None:
    steps = plan([_with("dns.voip", Status.WARN, {}, "check DNS for voip", (4,)),
                  _with("sip.udp.5060", Status.FAIL, {"status_code": None}, "open 5060", (5,)),
                  _with("sip.udp.38388", Status.FAIL, {"status_code": None}, "open 5060",
                        (5,))]).steps
    assert steps[0].checks == ("dns.voip", "sip.udp.5060", "sip.udp.38388")


def test_a_silent_default_port_moves_the_phones_to_the_one_that_answers() -> None:
    from flexdiag.settings import load_settings

    settings = load_settings({}, {})
    result_plan = plan([_with("sip.udp.5060", Status.FAIL, {"status_code": None}, "own", (5,)),
                        _with("sip.udp.38388", Status.PASS, {"status_code": 200})], settings)
    assert changes(result_plan.phone_settings) == {"sip_port": 38388}
    step = result_plan.steps[0]
    assert step.checks == ("sip.udp.5060",) and step.faq == (5,)
    assert "voip.gntel.nl:38388" in step.text and "5060" in step.text
    # Issue #22: the firewall fix is the other remedy, said beside the move.
    assert "or allow UDP port 5060 both ways on the router or firewall" in step.text


def test_the_advice_names_the_ports_the_run_was_given() -> None:
    """'The platform listens on both 5060 and 38388' whatever --sip-ports said (issue #24's
    first bug, a false sentence of issue #22's kind)."""
    from flexdiag.settings import load_settings

    settings = load_settings({"--sip-ports": "5070,5080"}, {})
    steps = plan([_with("sip.udp.5070", Status.FAIL, {"status_code": None}, "own", (5,)),
                  _with("sip.udp.5080", Status.PASS, {"status_code": 200})], settings).steps
    assert "listens on 5070 and 5080" in steps[0].text and "38388" not in steps[0].text


def test_the_phone_block_has_stun_on_with_port_translation_and_the_runs_servers() -> None:
    from flexdiag.settings import load_settings

    settings = load_settings({"--stun-server": "stun.example.net:3479",
                              "--ntp-server": "[2001:db8::7]:1123",
                              "--registration-time": "600"}, {})
    translated = _with("stun.binding", Status.WARN, {"port_translation": True}, "t", (4,))
    block = plan([translated], settings).phone_settings
    assert block == {"sip_server": "voip.gntel.nl", "sip_port": 5060, "local_sip_port": 5060,
                     "stun_server": "stun.example.net:3479",
                     "ntp_server": "[2001:db8::7]:1123", "keepalive_s": None,
                     "registration_time_s": 600}
    kept = _with("stun.binding", Status.PASS, {"port_translation": False})
    assert plan([kept], settings).phone_settings["stun_server"] is None


# --- the test call (issue #25) ------------------------------------------------------------------

def test_a_call_lost_after_idle_is_the_keepalive_step() -> None:
    incoming = _with("call.incoming", Status.FAIL,
                     {"idle_s": 20.0, "reached": False, "advised_keepalive_s": 10}, "lost", (5, 6))
    result_plan = plan([incoming])
    assert len(result_plan.steps) == 1 and result_plan.steps[0].checks == ("call.incoming",)
    assert "every 10 s or less" in result_plan.steps[0].text
    assert changes(result_plan.phone_settings) == {"keepalive_s": 10}


def test_a_lost_call_and_a_short_lifetime_are_one_step_with_the_measured_keepalive() -> None:
    lifetime = _with("nat.lifetime", Status.FAIL,
                     {"alive_s": 8.0, "expired_s": 12.0, "verdict": "fail",
                      "advised_keepalive_s": 6}, "lifetime advice", (6,))
    incoming = _with("call.incoming", Status.FAIL,
                     {"idle_s": 20.0, "reached": False, "advised_keepalive_s": 10}, "lost", (5, 6))
    result_plan = plan([lifetime, incoming])
    assert [s.checks for s in result_plan.steps] == [("call.incoming", "nat.lifetime")]
    assert "every 6 s or less" in result_plan.steps[0].text
    assert changes(result_plan.phone_settings) == {"keepalive_s": 6}


def test_silence_towards_a_translated_phone_is_faq4s_step_with_the_nat_findings() -> None:
    router = "one router setting"
    stun = _with("stun.binding", Status.WARN, {"port_translation": True, "nat": True}, router,
                 (4, 5, 6))
    filtering = _with("nat.filtering", Status.WARN, {}, router, (4, 5, 6))
    audio = _with("call.audio", Status.FAIL, {"to_phone": False, "from_phone": False},
                  "silent", (4,))
    result_plan = plan([stun, filtering, audio])
    assert result_plan.steps[0].checks == ("call.audio", "stun.binding", "nat.filtering")
    assert "port preservation" in result_plan.steps[0].text
    assert "STUN server to stun.gntel.nl" in result_plan.steps[0].text
    assert len(result_plan.steps) == 1
    assert result_plan.phone_settings["stun_server"] == "stun.gntel.nl"


def test_silence_without_port_translation_keeps_the_checks_own_advice() -> None:
    stun = _with("stun.binding", Status.PASS, {"port_translation": False, "nat": True})
    audio = _with("call.audio", Status.FAIL, {"to_phone": False, "from_phone": True},
                  "firewall", (4,))
    assert [s.text for s in plan([stun, audio]).steps] == ["firewall"]


def test_running_elsewhere_comes_first() -> None:
    """Issue #28: behind a container's NAT or a VPN, every other step may be about the wrong
    box: running where the phones are is the first step."""
    elsewhere = _with("host.network", Status.FAIL, {"where": "container"}, "Run it on the LAN.")
    stun = _with("stun.binding", Status.WARN, {"port_translation": True}, "port preservation",
                 (4,))
    sip = _with("sip.udp.5060", Status.FAIL, {}, "open 5060", (5,))
    steps = plan([elsewhere, stun, sip]).steps
    assert steps[0].checks == ("host.network",) and steps[0].text.startswith("Run it on the LAN.")
    assert "not the customer's" in steps[0].text
    assert [s.checks for s in steps[1:]] == [("sip.udp.5060",), ("stun.binding",)]


def test_with_double_nat_router_steps_say_which_box() -> None:
    double = _with("nat.upstream", Status.WARN, {"upstream": "double", "other_box": "192.168.1.1"},
                   "bridge mode", (4, 5, 6))
    lifetime = _with("nat.lifetime", Status.FAIL, {"advised_keepalive_s": 20}, "raise the UDP "
                     "timeout", (6,))
    ntp = _with("ntp.offset", Status.FAIL, {}, "allow NTP", (3,))
    steps = plan([double, lifetime, ntp]).steps
    texts = {s.checks[0]: s.text for s in steps}
    assert "both routers, the one facing the internet (192.168.1.1) first" in texts["nat.lifetime"]
    assert "both routers" not in texts["ntp.offset"]
    cgnat = _with("nat.upstream", Status.WARN, {"upstream": "cgnat", "other_box": "100.64.0.1"},
                  "ask the ISP", (4, 5, 6))
    steps = plan([cgnat, lifetime]).steps
    assert "carrier-grade NAT" in next(s.text for s in steps if "nat.lifetime" in s.checks)
    # The router told its private WAN address, the box in front was not seen: no address.
    unseen = _with("nat.upstream", Status.WARN, {"upstream": "double", "other_box": None},
                   "bridge mode", (4, 5, 6))
    text = next(s.text for s in plan([unseen, lifetime]).steps if "nat.lifetime" in s.checks)
    assert text.endswith(" With double NAT, make this setting on both routers, the one facing "
                         "the internet first, or put that one in bridge mode.")


def test_a_known_routers_menu_is_named_in_its_sip_alg_step() -> None:
    host = _with("host.network", Status.PASS, {"gateway_vendor": "DrayTek Corp."})
    alg = _with("sip.alg", Status.FAIL, {"detected": True, "rewriting": [5060]},
                "turn off the SIP ALG", (5,))
    ntp = _with("ntp.offset", Status.FAIL, {}, "allow NTP", (3,))
    texts = {s.checks[0]: s.text for s in plan([host, alg, ntp]).steps}
    assert texts["sip.alg"].endswith(" On this router (DrayTek Vigor): [NAT] > [ALG]: untick SIP.")
    assert "router (" not in texts["ntp.offset"]
    unknown = _with("host.network", Status.PASS, {"gateway_vendor": "Someone Else"})
    assert "On this router" not in plan([unknown, alg]).steps[0].text


def test_a_fritz_box_names_its_port_sharing_in_the_nat_step() -> None:
    host = _with("host.network", Status.PASS, {"gateway_vendor": "AVM GmbH"})
    mapping = _with("nat.mapping", Status.WARN, {}, "port preservation", (4,))
    filtering = _with("nat.filtering", Status.WARN, {}, "full cone", (4,))
    alg = _with("sip.alg", Status.FAIL, {"detected": True, "rewriting": [5060]},
                "turn off the SIP ALG", (5,))
    steps = plan([host, mapping, filtering, alg]).steps
    nat = next(s for s in steps if "nat.mapping" in s.checks)
    assert nat.text.endswith(" On this router (AVM FRITZ!Box): Internet > Permit Access > Port "
                             "Sharing: a port sharing per phone for its SIP and RTP ports.")
    assert "On this router" not in next(s for s in steps if "sip.alg" in s.checks).text
    host = _with("host.network", Status.PASS, {"gateway_vendor": "DrayTek Corp."})
    texts = [s.text for s in plan([host, mapping, filtering, alg]).steps]
    assert sum("On this router (DrayTek Vigor)" in t for t in texts) == 2  # ALG and NAT steps
    assert any(t.endswith("[NAT] > [Port Redirection]: a rule per phone for its SIP and RTP "
                          "ports.") for t in texts)


def test_alg_with_a_passing_lifetime_moves_only_the_port() -> None:
    from tests.test_planner_data import ALG_5060

    results = [r for r in _judged(**ALG_5060) if r.id != "nat.lifetime"] + [
        _with("nat.lifetime", Status.PASS, {"advised_keepalive_s": 25, "expired_s": 90.0})]
    result = plan(results)
    assert changes(result.phone_settings) == {"sip_port": 38388}
    assert "keep-alive" not in result.steps[0].text


def test_a_lost_call_takes_the_lifetime_s_keepalive_even_when_the_lifetime_passed() -> None:
    lifetime = _with("nat.lifetime", Status.PASS, {"advised_keepalive_s": 25})
    incoming = _with("call.incoming", Status.FAIL,
                     {"idle_s": 60.0, "reached": False, "advised_keepalive_s": 10}, "lost", (5, 6))
    result_plan = plan([lifetime, incoming])
    assert changes(result_plan.phone_settings) == {"keepalive_s": 25}
    assert [s.checks for s in result_plan.steps] == [("call.incoming",)]
    # Without any keep-alive to give, or without the idle time, no keep-alive is made up:
    # the check's own advice stands.
    for data in ({"idle_s": 60.0, "reached": False}, {"reached": False,
                                                      "advised_keepalive_s": 10}):
        alone = plan([_with("call.incoming", Status.FAIL, data, "lost", (5, 6))])
        assert [s.text for s in alone.steps] == ["lost"] and changes(alone.phone_settings) == {}

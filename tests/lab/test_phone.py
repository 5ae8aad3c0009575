"""Verdicts a real phone confirms: for every router mode, what flexdiag says agrees with what a
real SIP phone (baresip) registered to a real registrar (kamailio) experiences, and applying
flexdiag's phone settings (``summary.phone_settings``) makes that phone reachable.

Each scenario: flexdiag runs first (its probes from the phones' local port need that port);
then the phone, as the installer would set it up, registers, sits idle for ``IDLE_S`` and is
called from the provider side; then, where flexdiag gave phone settings, the phone again with
those applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.daemons import require
from tests.lab.phone import TOOLS, PhoneSettings, reachable_after_idle
from tests.lab.topology import Lab

pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("lab")]  # one lab: one worker

IDLE_S = 15.0  # between two calls: longer than the 10 s fresh timeout of the short modes
LONG_IDLE_S = 40.0  # longer than the 30 s fresh timeout of Linux's defaults


@dataclass(frozen=True)
class Scenario:
    mode: str
    registration_s: int
    reachable_as_is: bool  # what the real phone experiences, set up as usual
    statuses: dict[str, str]  # flexdiag's verdicts that matter here
    settings_keys: frozenset[str] = field(default_factory=frozenset)  # phone_settings changed
    lifetime: bool = False  # --lifetime (the whole registration interval)
    phone: PhoneSettings = PhoneSettings()
    default_run: bool = False  # the plain default run (the lifetime up to the horizon)
    idle_s: float = IDLE_S

    @property
    def as_is(self) -> PhoneSettings:
        return PhoneSettings(self.phone.sip_port, self.phone.local_sip_port,
                             self.registration_s)


SCENARIOS = {
    "port-preserving": Scenario("masquerade", 20, True, {"stun.binding": "pass",
                                                         "sip.phone": "pass"}),
    "port-translating": Scenario("snat-ports", 20, True, {"stun.binding": "warn",
                                                          "sip.phone": "pass"},
                                 frozenset({"stun_server"})),
    "fully-random": Scenario("random", 20, True, {"nat.mapping": "warn",
                                                  "sip.phone": "pass"},
                             frozenset({"stun_server"})),
    "timeouts-10-40-reg-8": Scenario("timeouts-10-40", 8, True, {"nat.lifetime": "pass"},
                                     lifetime=True),
    "timeouts-10-40-reg-30": Scenario("timeouts-10-40", 30, False, {"nat.lifetime": "fail"},
                                      frozenset({"keepalive_s"}), lifetime=True),
    "timeouts-10-40-reg-60": Scenario("timeouts-10-40", 60, False, {"nat.lifetime": "fail"},
                                      frozenset({"keepalive_s"}), lifetime=True),
    # Issue #22: the default run, phones with their normal 600 s registration, and the keep-
    # alive flexdiag gives as the only phone setting (no registration interval below 60 s).
    "keepalive-timeouts-10-40-reg-600": Scenario(
        "timeouts-10-40", 600, False, {"nat.lifetime": "fail"}, frozenset({"keepalive_s"}),
        default_run=True),
    "keepalive-timeouts-30-30-reg-600": Scenario(
        "timeouts-30-30", 600, False, {"nat.lifetime": "fail"}, frozenset({"keepalive_s"}),
        default_run=True, idle_s=LONG_IDLE_S),
    "keepalive-timeouts-30-120-reg-600": Scenario(
        "masquerade", 600, False, {"nat.lifetime": "fail"}, frozenset({"keepalive_s"}),
        default_run=True, idle_s=LONG_IDLE_S),
    "drop-5060-both-ways": Scenario("drop-5060", 20, False,
                                    {"sip.phone": "fail"},
                                    frozenset({"sip_port", "local_sip_port"})),
    "sip-alg": Scenario("sip-alg", 20, True, {"sip.alg": "fail"}, frozenset({"sip_port"})),
    "sip-alg-timeouts-10-40": Scenario("sip-alg-timeouts", 60, True,
                                       {"sip.alg": "fail", "nat.lifetime": "fail"},
                                       frozenset({"sip_port", "keepalive_s"}),
                                       lifetime=True),
}


def flexdiag(lab: Lab, scenario: Scenario) -> tuple[int, dict[str, Any]]:
    args = ["--registration-time", str(scenario.registration_s)]
    if scenario.lifetime:
        args += ["--lifetime", "--max-wait", "40"]
    return lab.flexdiag(*args, timeout=300, quick=not scenario.default_run)


def changed(settings: dict[str, Any], scenario: Scenario) -> set[str]:
    """The keys of the "Set on the phones" block that differ from how the phone is set up."""
    as_is = {"sip_server": "voip.gntel.nl", "sip_port": 5060, "local_sip_port": 5060,
             "stun_server": None, "ntp_server": "ntp.gntel.nl", "keepalive_s": None,
             "registration_time_s": scenario.registration_s}
    assert set(settings) == set(as_is), settings
    return {k for k, v in settings.items() if as_is[k] != v}


@pytest.fixture(scope="module")
def phone_lab(lab: Lab) -> Lab:
    require(*TOOLS, root=True)
    return lab


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_verdict_agrees_with_the_phone_and_the_advice_makes_it_work(
        phone_lab: Lab, name: str) -> None:
    scenario = SCENARIOS[name]
    lab = phone_lab
    lab.set_mode(scenario.mode)
    try:
        code, report = flexdiag(lab, scenario)
        checks = {c["id"]: c for c in report["checks"]}
        settings = report["summary"]["phone_settings"]
        as_is = reachable_after_idle(lab, scenario.as_is, scenario.idle_s)
        print(f"\n{name}: phone as is: {as_is}; flexdiag exit {code}, "
              + ", ".join(f"{k} {checks[k]['status']}" for k in scenario.statuses)
              + f", phone_settings {settings}")
        assert as_is.reachable is scenario.reachable_as_is, as_is.log[-3000:]
        assert {k: checks[k]["status"] for k in scenario.statuses} == scenario.statuses, [
            (k, checks[k]["summary"]) for k in scenario.statuses]
        assert changed(settings, scenario) == scenario.settings_keys, (settings, report["plan"])
        # Never a registration interval registrars refuse (SIP 423) or phones cannot take.
        assert settings["registration_time_s"] >= min(60, scenario.registration_s)
        if not as_is.reachable:
            # A phone that does not work is never "ready".
            assert code != 0 and report["plan"], report["plan"]
        if changed(settings, scenario) - {"stun_server"}:
            applied = scenario.as_is.applied(settings)
            after = reachable_after_idle(lab, applied, scenario.idle_s)
            print(f"{name}: with {settings}: {after}")
            assert after.reachable, after.log[-3000:]
            if applied.keepalive_s:  # the phone's keep-alive was on (RFC 5626, Flow-Timer)
                assert f"Flow-Timer: {applied.keepalive_s}" in after.log, after.log[-3000:]
    finally:
        lab.set_mode("masquerade")


def test_leaving_the_alg_without_the_interval_would_break_the_phone(phone_lab: Lab) -> None:
    """Why the plan ties the two together: on a router whose SIP ALG holds 5060 flows open,
    moving the phone to 38388 alone makes it unreachable; the registration interval from the
    measured lifetime is what makes the move work (checked above)."""
    lab = phone_lab
    lab.set_mode("sip-alg-timeouts")
    try:
        only_port = reachable_after_idle(lab, PhoneSettings(38388, 5060, 60), IDLE_S)
        assert only_port.registered and not only_port.reachable, only_port.log[-3000:]
    finally:
        lab.set_mode("masquerade")

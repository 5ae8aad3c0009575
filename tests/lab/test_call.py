"""The test call across a real NAT (issue #25): flexdiag's ``call.*`` verdicts in the lab's
platform in small (kamailio with digest accounts, record-route and nathelper; rtpengine anchoring
the audio), against what a real phone (baresip) experiences in the same router mode.

- port-preserving router: every ``call.*`` passes, audio both ways; the real phone, called,
  hears the caller;
- port-translating router, a relay that learns: audio too, from the phone's first packet on
  (FAQ item 4), as for the real phone;
- port-translating router, a relay that never learns: silence towards the phone, the plan names
  FAQ item 4's remedy; the real phone hears nothing either;
- 10/40 s UDP timeouts and 20 s idle: the call never reaches the phone's account, the plan's
  step is the keep-alive; the real phone, set up as usual, is unreachable after the same idle,
  and reachable with flexdiag's keep-alive applied.

In every case both accounts are unregistered afterwards (the registrar's location table is
empty) and no password appears in anything flexdiag printed.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from typing import Any

import pytest

from tests.daemons import require
from tests.lab.phone import TOOLS, PhoneSettings, audio_to_phone, reachable_after_idle
from tests.lab.topology import CALL_ACCOUNTS, Lab, checks

pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("lab")]  # one lab: one worker

ACCOUNTS = ",".join(CALL_ACCOUNTS)
PASSWORDS = ",".join(CALL_ACCOUNTS.values())
CALL_IDS = ("call.register", "call.incoming", "call.audio")


@dataclass(frozen=True)
class Scenario:
    mode: str
    idle_s: float
    statuses: tuple[str, str, str]  # call.register, call.incoming, call.audio
    relay_learns: bool = True
    phone_hears: bool | None = None  # the real phone, called: does audio reach it?
    phone_reachable: bool | None = None  # the real phone, idle as long: can it be called?


SCENARIOS = {
    "port-preserving": Scenario("masquerade", 5, ("pass", "pass", "pass"), phone_hears=True),
    "port-translating-learning-relay": Scenario("snat-ports", 5, ("pass", "pass", "pass"),
                                                phone_hears=True),
    "port-translating-relay-never-learns": Scenario("snat-ports", 5, ("pass", "pass", "fail"),
                                                    relay_learns=False, phone_hears=False),
    "timeouts-10-40-idle-20": Scenario("timeouts-10-40", 20, ("pass", "fail", "skip"),
                                       phone_reachable=False),
}


def run_call(lab: Lab, idle_s: float) -> tuple[int, dict[str, Any], str]:
    """``flexdiag run --quick --call-accounts A,B --call-idle S --json`` on the LAN host; the
    passwords in the environment, as an installer's script would give them."""
    argv = lab.flexdiag_argv("--quick", "--call-accounts", ACCOUNTS, "--call-idle",
                             str(idle_s), "--call-seconds", "3")
    argv[4:4] = ["env", f"FLEXDIAG_CALL_PASSWORDS={PASSWORDS}"]  # after "ip netns exec NS"
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    return result.returncode, json.loads(result.stdout), result.stdout + result.stderr


@pytest.fixture(scope="module")
def call_lab(lab: Lab) -> Lab:
    require(*TOOLS, root=True)
    return lab


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_call_verdicts_agree_with_the_real_phone(call_lab: Lab, name: str) -> None:
    scenario = SCENARIOS[name]
    lab = call_lab
    lab.set_mode(scenario.mode)
    lab.relay_learns(scenario.relay_learns)
    try:
        code, report, printed = run_call(lab, scenario.idle_s)
        found = checks(report)
        statuses = tuple(found[i]["status"] for i in CALL_IDS)
        print(f"\n{name}: flexdiag {statuses}, exit {code}: "
              + " | ".join(found[i]["summary"] for i in CALL_IDS))
        assert statuses == scenario.statuses, [found[i]["summary"] for i in CALL_IDS]
        assert not lab.registered_users() & set(CALL_ACCOUNTS)  # unregistered afterwards
        assert all(p not in printed for p in CALL_ACCOUNTS.values())
        assert all(a["unregistered"] for a in found["call.register"]["data"]["accounts"])
        _plan_matches(scenario, report)
        if scenario.phone_hears is not None:
            heard = audio_to_phone(lab)
            print(f"{name}: the real phone, called: answered {heard.answered}, heard "
                  f"{heard.heard} ({heard.caller})")
            assert heard.answered, heard.log[-3000:]
            assert heard.heard is scenario.phone_hears, heard.log[-3000:]
            assert (found["call.audio"]["data"]["to_phone"] is True) is heard.heard
        if scenario.phone_reachable is not None:
            _real_phone_after_idle(lab, scenario, report)
    finally:
        lab.relay_learns(True)
        lab.set_mode("masquerade")


def _plan_matches(scenario: Scenario, report: dict[str, Any]) -> None:
    steps = report["plan"]
    if scenario.statuses[2] == "fail":  # silence towards a port-translated phone: FAQ item 4
        step = next(s for s in steps if "call.audio" in s["checks"])
        assert "port preservation" in step["text"] and "STUN" in step["text"], step
        assert 4 in step["faq"] and "stun.binding" in step["checks"]
        assert report["summary"]["phone_settings"]["stun_server"] is not None
    if scenario.statuses[1] == "fail":  # a lost call: the keep-alive
        step = next(s for s in steps if "call.incoming" in s["checks"])
        assert "keep-alive" in step["text"], step
        assert report["summary"]["phone_settings"]["keepalive_s"] is not None
    if scenario.statuses == ("pass", "pass", "pass"):
        assert not [s for s in steps if any(c.startswith("call.") for c in s["checks"])]


def _real_phone_after_idle(lab: Lab, scenario: Scenario, report: dict[str, Any]) -> None:
    """The real phone, registered as installers set it up (3600 s), idle as long: reachable as
    flexdiag's call said; and with flexdiag's keep-alive applied, reachable."""
    as_is = reachable_after_idle(lab, PhoneSettings(registration_time_s=3600), scenario.idle_s)
    print(f"real phone as is after {scenario.idle_s} s idle: {as_is}")
    assert as_is.registered and as_is.reachable is scenario.phone_reachable, as_is.log[-3000:]
    if not as_is.reachable:
        settings = PhoneSettings(registration_time_s=3600).applied(
            report["summary"]["phone_settings"])
        assert settings.keepalive_s, report["summary"]["phone_settings"]
        after = reachable_after_idle(lab, settings, scenario.idle_s)
        print(f"real phone with keep-alive {settings.keepalive_s} s: {after}")
        assert after.reachable, after.log[-3000:]

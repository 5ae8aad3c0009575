"""nat.lifetime verdicts over hand-made measurements: boundaries and exact values."""

from __future__ import annotations

import pytest

from flexdiag.analysis import lifetime as lt
from flexdiag.checks.lifetime import evaluate
from flexdiag.model import Status
from flexdiag.records import Measurement
from flexdiag.vocab import FlowKind, Method, Stopped

E, F = FlowKind.ESTABLISHED, FlowKind.FRESH


def measured(*probes: tuple[FlowKind, float, bool | None],
             stopped: Stopped = Stopped.DECIDED) -> Measurement:
    return Measurement(probes=[lt.Probe(flow, idle, alive) for flow, idle, alive in probes],
                       stopped=stopped, elapsed_s=100.0)


@pytest.mark.parametrize(("probes", "registration", "status"), [
    ([(F, 60.0, True)], 60, Status.PASS),  # alive exactly at the interval
    ([(F, 59.0, True)], 60, Status.WARN),  # not yet known
    ([(F, 58.0, True), (F, 60.0, False)], 60, Status.FAIL),  # expired exactly at it
    ([(F, 58.0, True), (F, 61.0, False)], 60, Status.WARN),  # expired after: undecided
    # The verdict rests on a phone's flow (fresh): an established flow alone decides nothing.
    ([(E, 600.0, True)], 60, Status.WARN),
    ([(E, 10.0, False)], 60, Status.WARN),
])
def test_boundaries(probes: list[tuple[FlowKind, float, bool | None]], registration: int,
                    status: Status) -> None:
    finding = evaluate(measured(*probes), method=Method.RFC5780, registration_s=registration,
                       budget_s=100.0, sent=10)
    assert finding.status is status and finding.faq == (6,)


def test_fail_rests_on_the_phones_flow_and_advises_eighty_percent_of_it() -> None:
    # Conntrack 10/40 s, registration 30 s: a phone registers, goes quiet, and its mapping
    # is gone after 10 s, although an established one would last 40 s.
    finding = evaluate(measured((E, 38.0, True), (E, 40.0, False), (F, 8.0, True),
                                (F, 10.0, False)),
                       method=Method.RFC5780, registration_s=30, budget_s=100.0, sent=10)
    assert finding.status is Status.FAIL
    assert finding.data["verdict_on"] == "fresh"
    assert finding.data["alive_s"] == 8.0 and finding.data["expired_s"] == 10.0
    assert finding.data["fresh"] == {"alive_s": 8.0, "expired_s": 10.0}
    assert finding.data["established"] == {"alive_s": 38.0, "expired_s": 40.0}
    assert finding.data["advised_keepalive_s"] == 6  # int(8.0 * 0.8)
    # Issue #22: a 6 s registration interval is below the 60 s floor (SIP 423): never advised.
    assert finding.data["advised_registration_time_s"] is None
    assert finding.data["min_registration_s"] == 60
    text = finding.advice or ""
    assert text.index("raise the router's UDP timeout") < text.index("keep-alive every 6 s")
    assert "registration interval of" not in text
    assert "RFC 4787" in text  # below the 2 minutes REQ-5 asks for


def test_the_keepalive_is_offered_whatever_an_established_flow_does() -> None:
    """A keep-alive more often than the fresh lifetime never lets the mapping sit idle that
    long, whether or not traffic earns the flow a longer timeout."""
    finding = evaluate(measured((E, 8.0, True), (E, 10.0, False), (F, 8.0, True),
                                (F, 10.0, False)),
                       method=Method.RFC5780, registration_s=30, budget_s=100.0, sent=10)
    assert finding.status is Status.FAIL and "keep-alive every 6 s" in (finding.advice or "")


@pytest.mark.parametrize(("alive", "expired", "floor", "interval"), [
    (100.0, 110.0, 60, 80), (70.0, 75.0, 60, None), (100.0, 110.0, 90, None),
    (400.0, 440.0, 300, 320)])
def test_a_registration_interval_is_advised_only_at_or_above_the_floor(
        alive: float, expired: float, floor: int, interval: int | None) -> None:
    finding = evaluate(measured((F, alive, True), (F, expired, False)),
                       method=Method.RFC5780, registration_s=3600, budget_s=3700.0, sent=10,
                       min_registration_s=floor)
    assert finding.status is Status.FAIL
    assert finding.data["advised_registration_time_s"] == interval
    assert finding.data["advised_keepalive_s"] == int(alive * 0.8)


def test_kept_past_the_horizon_passes_with_a_keepalive_and_says_what_was_not_watched() -> None:
    """Issue #22: the default run watches 180 s; a mapping alive then is a verdict with the
    horizon in it, never a bare 'not measured'."""
    finding = evaluate(measured((F, 180.0, True), (E, 180.0, True)), method=Method.RFC5780,
                       registration_s=3600, budget_s=190.5, sent=40, target_s=180.0)
    assert finding.status is Status.PASS
    assert finding.data["verdict"] == "kept-past-horizon" and finding.data["horizon_s"] == 180
    assert finding.data["advised_keepalive_s"] == 144
    assert finding.summary == (
        "a phone's mapping (register, then quiet) is kept at least 180.0 s idle: set the "
        "phones' NAT keep-alive to 144 s or less and they stay reachable; the registration "
        "interval (3600 s) itself was not watched (flexdiag run --lifetime proves it)")


def test_quick_run_row_says_it_was_not_measured() -> None:
    from flexdiag.checks.lifetime import UNMEASURED
    from tests.checks.builders import observations

    finding = UNMEASURED.judge(observations())
    assert finding.status is Status.SKIP and finding.faq == (6,)
    assert finding.data["reason"] == "not-measured"
    assert finding.data["measure_with"] == "flexdiag run"
    assert "without --quick" in finding.summary and "180 s" in finding.summary


def test_no_mapping_is_a_stun_failure() -> None:
    finding = evaluate(measured(stopped=Stopped.NO_MAPPING), method=Method.REBIND,
                       registration_s=60, budget_s=100.0, sent=3)
    assert finding.status is Status.FAIL and finding.faq == (2,)


def test_interrupted_says_so_and_asks_to_let_it_finish() -> None:
    finding = evaluate(measured((F, 10.0, None), stopped=Stopped.INTERRUPTED),
                       method=Method.REBIND, registration_s=60, budget_s=100.0, sent=3)
    assert finding.status is Status.WARN and "interrupted" in finding.summary
    assert finding.data["stopped"] == "interrupted"
    assert "--max-wait" not in (finding.advice or "")  # nothing ran out: it was stopped


def test_the_check_is_bounded_by_the_budget_and_judges_the_observation() -> None:
    from flexdiag.checks import lifetime as check
    from flexdiag.records import LifetimeObservation, Obs
    from flexdiag.settings import load_settings
    from tests.checks.builders import observations

    settings = load_settings({"--registration-time": "60"}, {})
    c = check.check(settings)
    assert (c.id, c.needs, c.requires) == ("nat.lifetime", (Obs.LIFETIME,), (Obs.DNS_STUN,))
    assert c.budget_s == 60 + 2.5 + 30.0 + 15.0
    assert check.check(load_settings({"--max-wait": "100"}, {})).budget_s == 115.0
    observed = LifetimeObservation(Method.RFC5780, measured((F, 58.0, True), (F, 60.0, False)),
                                   budget_s=100.0, sent=9)
    finding = c.judge(observations(settings=settings, lifetime=observed))
    assert finding.status is Status.FAIL
    assert finding.data["packets_sent"] == 9 and finding.data["budget_s"] == 100.0
    assert finding.data["method"] == Method.RFC5780 and finding.data["registration_time_s"] == 60


def test_progress_text() -> None:
    from flexdiag.advice import lifetime_progress

    m = Measurement(probes=[lt.Probe(F, 8.0, True), lt.Probe(F, 10.0, False)],
                    stopped=Stopped.DECIDED, elapsed_s=12.4)

    def progress_text(m: Measurement, budget_s: float, elapsed_s: float) -> str:
        b = m.bracket(lt.PHONE_FLOW)
        return lifetime_progress(budget_s - elapsed_s, b.alive_s, b.expired_s)

    assert progress_text(m, 95.6, 12.4) == (
        "at most 83 s more (sooner once decided; Ctrl-C keeps what was found); a phone's "
        "mapping (register, then quiet) seen alive after 8.0 s idle, expired after 10.0 s")
    empty = Measurement(probes=[], stopped=Stopped.DECIDED, elapsed_s=0.0)
    assert progress_text(empty, 60.0, 70.0) == (
        "at most 0 s more (sooner once decided; Ctrl-C keeps what was found); a phone's "
        "mapping (register, then quiet) seen alive after – idle, expired after –")


def test_no_mapping_names_the_runs_stun_server_in_dutch_too() -> None:
    """The advice hard-coded 'the STUN server' and port 3478 (English inside Dutch)."""
    from flexdiag import i18n
    from flexdiag.settings import HostPort

    i18n.activate("nl")
    try:
        finding = evaluate(measured(stopped=Stopped.NO_MAPPING), method=Method.REBIND,
                           registration_s=60, budget_s=100.0, sent=3,
                           stun_server=HostPort("stun.example.net", 3479))
    finally:
        i18n.activate("en")
    assert finding.advice is not None
    assert "stun.example.net" in finding.advice and "3479" in finding.advice
    assert "the STUN server" not in finding.advice

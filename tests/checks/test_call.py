"""The test call's verdicts (``call.register``, ``call.incoming``, ``call.audio``, issue #25) on
hand-made call observations."""

from __future__ import annotations

from dataclasses import replace

from flexdiag.checks import call, checks_for
from flexdiag.model import Status
from flexdiag.records import CallEvent, CallObservation, Obs, Registration, RtpStream
from flexdiag.vocab import Code, LifetimeMode, Stopped
from tests.checks.builders import SETTINGS, observations

STEP = 0.020
LOCAL = ("192.0.2.10", 5060)


def registration(user: str, status: int | None = 200, **kw: object) -> Registration:
    fields: dict[str, object] = {"granted_s": 3600, "requested_s": 3600, "algorithm": "MD5",
                                 "unregistered": True, "sent": 2, "reason": "OK"}
    fields.update(kw)
    return Registration(user, LOCAL, status, **fields)  # type: ignore[arg-type]


def stream(n: int = 250, *, start: float = 10.0, delay: float = 0.03,
           lost: frozenset[int] | set[int] = frozenset(), first_seq: int = 1000,
           renumber: int = 0) -> RtpStream:
    sent = [start + i * STEP for i in range(n)]
    arrivals = [((first_seq + i + renumber) % 65536, t + delay)
                for i, t in enumerate(sent) if i not in lost]
    return RtpStream(sent, first_seq, arrivals, dest=("198.51.100.21", 10000))


def made(**kw: object) -> CallObservation:
    fields: dict[str, object] = {
        "invite_sent": True, "invite_received_at": 0.004, "final_status": 200,
        "provisional": [100, 180], "hold_s": 1.0,
        "to_phone": stream(300, lost=set(range(50))), "from_phone": stream(250, start=11.0),
        "phone_first_sent_at": 11.0,
        "timeline": [CallEvent(0.003, "A", "registered", "200, 3600 s"),
                     CallEvent(5.01, "A", "invite-received", "198.51.100.20:5060")]}
    fields.update(kw)
    a = fields.pop("a", registration("31201110001"))
    b = fields.pop("b", registration("31201110002"))
    return CallObservation(a, b, 5.0, "given", **fields)  # type: ignore[arg-type]


def judge(check: str, observation: CallObservation | None) -> object:
    judge_ = {"register": call.judge_register, "incoming": call.judge_incoming,
              "audio": call.judge_audio}[check]
    return judge_(observations(call=observation))


def test_a_good_call_passes_all_three() -> None:
    obs = made()
    for check in ("register", "incoming", "audio"):
        finding = judge(check, obs)
        assert finding.status is Status.PASS, (check, finding.summary)  # type: ignore[attr-defined]
    audio = judge("audio", obs)
    assert audio.data["to_phone"] is True and audio.data["from_phone"] is True  # type: ignore[attr-defined]
    figures = audio.data["to_phone_audio"]  # type: ignore[attr-defined]
    assert figures["lost_at_start"] == 50 and figures["loss_pct"] == 0.0
    assert figures["after_phone_ms"] == 30.0 and figures["delay_ms"] == 30.0
    assert "the platform learnt its port" in audio.summary  # type: ignore[attr-defined]


def test_register_names_the_refused_account_and_never_a_password() -> None:
    obs = made(a=registration("31201110001", 401, reason="Unauthorized", granted_s=None,
                              unregistered=None))
    finding = call.judge_register(observations(call=obs))
    assert finding.status is Status.FAIL and finding.code is Code.CALL_REGISTER_FAILED
    assert "A (31201110001)" in finding.summary and "wrong password" in finding.summary
    assert finding.data["accounts"][0]["status"] == 401
    assert call.judge_incoming(observations(call=obs)).status is Status.SKIP
    assert call.judge_audio(observations(call=obs)).status is Status.SKIP


def test_register_without_an_answer_says_so() -> None:
    obs = made(b=registration("31201110002", None, reason="", algorithm=None, sent=7,
                              granted_s=None, unregistered=None))
    finding = call.judge_register(observations(call=obs))
    assert finding.status is Status.FAIL and "no answer to 7 REGISTER" in finding.summary


def test_a_lost_invite_fails_incoming_with_a_keepalive() -> None:
    obs = replace(made(invite_received_at=None, final_status=408, provisional=[100],
                       to_phone=None, from_phone=None), idle_s=20.0)
    finding = call.judge_incoming(observations(call=obs))
    assert finding.status is Status.FAIL and finding.code is Code.CALL_NOT_REACHED
    assert finding.data["reached"] is False and finding.data["advised_keepalive_s"] == 10
    assert "408 Request Timeout" in finding.summary
    assert finding.advice is not None and "every 10 s" in finding.advice
    assert call.judge_audio(observations(call=obs)).status is Status.SKIP


def test_an_answer_from_someone_else_is_not_a_reached_phone() -> None:
    obs = made(invite_received_at=None, final_status=404, to_phone=None, from_phone=None)
    finding = call.judge_incoming(observations(call=obs))
    assert finding.status is Status.FAIL and "something else" in finding.summary


def test_silence_towards_the_phone_fails_audio() -> None:
    obs = made(to_phone=stream(300, lost=set(range(300))))
    finding = call.judge_audio(observations(call=obs))
    assert finding.status is Status.FAIL and finding.code is Code.CALL_NO_AUDIO_TO_PHONE
    assert finding.data["to_phone"] is False and finding.data["from_phone"] is True


def test_silence_from_the_phone_fails_audio() -> None:
    obs = made(from_phone=stream(250, start=11.0, lost=set(range(250))))
    finding = call.judge_audio(observations(call=obs))
    assert finding.code is Code.CALL_NO_AUDIO_FROM_PHONE


def test_late_audio_towards_the_phone_warns() -> None:
    obs = made(to_phone=stream(300, lost=set(range(100))))  # 1 s after the phone's first
    finding = call.judge_audio(observations(call=obs))
    assert finding.status is Status.WARN and finding.code is Code.CALL_AUDIO_LATE


def test_lossy_audio_warns() -> None:
    obs = made(from_phone=stream(250, start=11.0, lost=set(range(5, 250, 10))))
    finding = call.judge_audio(observations(call=obs))
    assert finding.status is Status.WARN and finding.code is Code.CALL_AUDIO_POOR


def test_audio_before_the_phone_sent_is_from_the_start() -> None:
    finding = call.judge_audio(observations(call=made(to_phone=stream(300))))
    assert finding.status is Status.PASS and "from the start" in finding.summary


def test_renumbered_packets_fall_back_to_arrival_times() -> None:
    obs = made(to_phone=stream(300, lost=set(range(50)), renumber=30000))
    figures = call.judge_audio(observations(call=obs)).data["to_phone_audio"]
    assert figures["by_sequence"] is False and figures["delay_ms"] is None
    # Without the sender's numbers the start is estimated from arrival times (delay unknown).
    assert figures["lost_at_start"] in (50, 51) and figures["loss_pct"] == 0.0


def test_an_interrupted_call_and_a_missing_socket_are_skips() -> None:
    obs = made(invite_sent=False, stopped=Stopped.INTERRUPTED, to_phone=None, from_phone=None)
    assert "stopped before" in call.judge_incoming(observations(call=obs)).summary
    broken = made(error="cannot bind local port 5060: Address already in use")
    for check in ("register", "incoming", "audio"):
        assert judge(check, broken).status is Status.SKIP  # type: ignore[attr-defined]


def test_the_call_checks_come_only_with_accounts_and_in_every_mode() -> None:
    assert not [c for c in checks_for(SETTINGS) if c.id.startswith("call.")]
    settings = replace(SETTINGS, call_accounts=("a", "b"), call_idle_s=20.0)
    for mode in LifetimeMode:
        ids = [c.id for c in checks_for(settings, mode)]
        assert ids[-3:] == ["call.register", "call.incoming", "call.audio"]
    assert call.budget_s(settings) >= 20.0 + settings.call_seconds


def test_the_idle_time_defaults_to_the_registration_interval_capped_at_the_horizon() -> None:
    assert call.idle_s(replace(SETTINGS, registration_time_s=60)) == (60.0, "registration")
    assert call.idle_s(replace(SETTINGS, registration_time_s=3600)) == (
        SETTINGS.horizon_s, "horizon")
    assert call.idle_s(replace(SETTINGS, call_idle_s=5.0)) == (5.0, "given")


def test_no_call_observation_is_a_skip_in_all_three() -> None:
    for check in ("register", "incoming", "audio"):
        finding = judge(check, None)
        assert finding.status is Status.SKIP  # type: ignore[attr-defined]
        assert finding.summary == "no test call was made"  # type: ignore[attr-defined]


def test_register_without_a_challenge_and_both_refused() -> None:
    open_ = made(a=registration("31201110001", algorithm=None),
                 b=registration("31201110002", algorithm=None), server=("198.51.100.20", 5060))
    finding = call.judge_register(observations(call=open_))
    assert "without a password challenge" in finding.summary
    assert finding.data["server"] == "198.51.100.20:5060"
    both = made(a=registration("31201110001", 403, reason="Forbidden"),
                b=registration("31201110002", 404, reason="Not Found"))
    refused = call.judge_register(observations(call=both))
    assert refused.summary == ("registration failed: A (31201110001): 403 Forbidden; "
                               "B (31201110002): 404 Not Found")


def test_incoming_edges() -> None:
    placed = made(invite_sent=False, to_phone=None, from_phone=None)
    assert call.judge_incoming(observations(call=placed)).summary == (
        "not tested: the call was not placed")
    precise = made(invite_received_at=0.0041234)
    assert call.judge_incoming(observations(call=precise)).data["invite_ms"] == 4.1
    for final, other in ((200, True), (299, True), (300, False), (404, True), (408, False),
                         (None, False)):
        lost = made(invite_received_at=None, final_status=final, to_phone=None,
                    from_phone=None)
        summary = call.judge_incoming(observations(call=lost)).summary
        assert ("something else" in summary) is other, (final, summary)
        if final is None:
            assert summary.endswith("the caller got no final answer")


def test_audio_edges() -> None:
    at_once = made(to_phone=stream(300, start=11.0, delay=0.0))  # audio at the first packet
    assert "from 0 ms after the phone's first packet" in call.judge_audio(
        observations(call=at_once)).summary
    unsent = made(to_phone=RtpStream(), from_phone=RtpStream())
    assert call.judge_audio(observations(call=unsent)).summary == (
        "not tested: the call was not set up (see call.incoming)")
    half = made(to_phone=None)
    assert call.judge_audio(observations(call=half)).status is Status.SKIP
    one_way = made(to_phone=RtpStream(), from_phone=stream(250, start=11.0))
    assert call.judge_audio(observations(call=one_way)).code is Code.CALL_NO_AUDIO_TO_PHONE


def test_the_idle_time_and_the_bound_exactly() -> None:
    equal = replace(SETTINGS, registration_time_s=int(SETTINGS.horizon_s))
    assert call.idle_s(equal) == (SETTINGS.horizon_s, "registration")
    given = replace(SETTINGS, call_accounts=("a", "b"), call_idle_s=20.0, call_seconds=5.0,
                    timeout_s=8.0)
    assert call.budget_s(given) == 8.0 + 20.0 + 5.0 + 1.0 + 0.5 + call.OVERHEAD_S
    for check in call.checks(given):
        assert check.needs == (Obs.CALL,) and check.requires == (Obs.DNS_VOIP,)
        assert check.budget_s == call.budget_s(given)
    assert call.keepalive_for(9.0) == 5 and call.keepalive_for(31.0) == 15

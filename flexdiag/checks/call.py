"""``call.register``, ``call.incoming``, ``call.audio``: a test call through the platform with
two of the installer's accounts (``--call-accounts A,B``), judged on what the called party
received (FAQ items 4-7).

The probes infer; the call observes: whether the phone's account could register, whether a
call reached it after it had been idle as a phone is between calls, and whether audio flowed
both ways from the first moment. ``call.incoming`` is judged on the INVITE's arrival at A,
never on the caller's final response: a freed public port can be taken by another device,
which then answers itself, and on the real platform an unanswered call may go to voicemail.
"""

from __future__ import annotations

from typing import Any

from flexdiag import advice
from flexdiag.addr import format_addr
from flexdiag.analysis import call as ac
from flexdiag.checks.base import Check, Finding
from flexdiag.codec.sip import describe_code
from flexdiag.facts import AudioFacts, IncomingFacts
from flexdiag.model import Status
from flexdiag.records import CallObservation, Obs, Observations, Registration, RtpStream
from flexdiag.settings import Settings
from flexdiag.vocab import MEDIA_PORTS, CheckId, Code, Faq, Stopped

REGISTER_FAQ = (Faq.SIP_SERVER, Faq.SIP, Faq.RESPONSE_CODES)
INCOMING_FAQ = (Faq.SIP, Faq.PORT_TRANSLATION)
AUDIO_FAQ = (Faq.AUDIO,)
MIN_KEEPALIVE_S = 5  # never advise a keep-alive shorter than this
# Beyond the idle time and the audio: registering (with a challenge), the call's set-up, the
# hang-up and unregistering, each bounded by flexdiag.net.call.
OVERHEAD_S = 40.0
CALL_ACCOUNT = ("A", "B")


def idle_s(settings: Settings) -> tuple[float, str]:
    """How long the phone's account stays idle before it is called, and why: as given
    (``--call-idle``), else the phones' registration interval (the longest a phone sits idle
    without a keep-alive), at most the default run's horizon."""
    if settings.call_idle_s is not None:
        return settings.call_idle_s, "given"
    if settings.registration_time_s <= settings.horizon_s:
        return float(settings.registration_time_s), "registration"
    return settings.horizon_s, "horizon"


def budget_s(settings: Settings) -> float:
    """The call checks' bound: the quick run (the call waits for it), the idle time, the
    audio and the SIP exchanges around them."""
    return (settings.timeout_s + idle_s(settings)[0] + settings.call_seconds + ac.HOLD_S
            + ac.TAIL_S + OVERHEAD_S)


def keepalive_for(idle: float) -> int:
    """The keep-alive a call lost after ``idle`` seconds calls for, when nothing measured
    the lifetime: half that idle time (the mapping lived less), at least 5 s."""
    return max(MIN_KEEPALIVE_S, int(idle // 2))


def _registration(name: str, record: Registration) -> dict[str, Any]:
    return {"party": name, "user": record.user, "local": format_addr(record.local),
            "status": record.status, "reason": record.reason or None,
            "requested_s": record.requested_s, "granted_s": record.granted_s,
            "algorithm": record.algorithm, "unregistered": record.unregistered,
            "sent": record.sent, "error": record.error}


def _why(record: Registration) -> str:
    if record.error:
        return record.error
    if record.status is None:
        return advice.text("call.no-answer", sent=record.sent)
    if record.status in (401, 407) and record.algorithm:
        return advice.text("call.refused-credentials", code=describe_code(record.status))
    return describe_code(record.status)


def _untested(call: CallObservation | None) -> Finding | None:
    """The skip of a call that could not be made (no socket, not started)."""
    if call is None:
        return Finding(Status.SKIP, advice.text("call.not-made"), {}, None, REGISTER_FAQ)
    if call.error is not None:
        return Finding(Status.SKIP, advice.text("call.untested", error=call.error),
                       {"error": call.error}, None, REGISTER_FAQ)
    return None


def judge_register(obs: Observations) -> Finding:
    """Did both accounts register (with the challenge answered), and what expiry was
    granted?"""
    call = obs.call
    untested = _untested(call)
    if untested is not None:
        return untested
    assert call is not None  # _untested skips a missing call
    data: dict[str, Any] = {
        "server": format_addr(call.server) if call.server else None,
        "accounts": [_registration(n, r) for n, r in zip(CALL_ACCOUNT, (call.a, call.b),
                                                           strict=True)]}
    failed = [(n, r) for n, r in zip(CALL_ACCOUNT, (call.a, call.b), strict=True) if not r.ok]
    if failed:
        reasons = "; ".join(advice.text("call.register.one", party=n, user=r.user,
                                        why=_why(r)) for n, r in failed)
        return Finding(Status.FAIL, advice.text("call.register.fail", reasons=reasons), data,
                       advice.text("call.register.fail.advice"), REGISTER_FAQ,
                       code=Code.CALL_REGISTER_FAILED)
    scheme = call.a.algorithm or call.b.algorithm
    return Finding(Status.PASS, advice.text(
        "call.register.pass", a=call.a.user, b=call.b.user,
        granted=call.a.granted_s if call.a.granted_s is not None else "?",
        auth=advice.text("call.auth", algorithm=scheme) if scheme else advice.text(
            "call.no-auth")), data, None, REGISTER_FAQ)


def timeline(call: CallObservation) -> list[str]:
    """The call as a timeline: ``+12.345 s  A  INVITE received from ...``."""
    return [advice.text("call.timeline.line", t=e.t_s, party=e.party,
                        event=advice.text(f"call.ev.{e.event}", detail=e.detail))
            for e in call.timeline]


def _not_placed(call: CallObservation | None, faq: tuple[int, ...]) -> Finding | None:
    """The skip of ``call.incoming`` / ``call.audio`` when no call was placed: none made (see
    :func:`_untested`), the accounts did not register, or it was stopped before."""
    untested = _untested(call)
    if untested is not None or call is None:
        return untested
    if not (call.a.ok and call.b.ok):
        return Finding(Status.SKIP, advice.text("call.after-register"),
                       {"see": CheckId.CALL_REGISTER}, None, faq)
    if not call.invite_sent:
        reason = ("call.interrupted" if call.stopped is Stopped.INTERRUPTED
                  else "call.not-placed")
        return Finding(Status.SKIP, advice.text(reason), {"timeline": timeline(call)}, None,
                       faq)
    return None


def judge_incoming(obs: Observations) -> Finding:
    """Did the INVITE reach the phone's account after the idle time? Judged on A's receipt."""
    call = obs.call
    skip = _not_placed(call, INCOMING_FAQ)
    if skip is not None:
        return skip
    assert call is not None  # _not_placed skips a missing call
    reached = call.invite_received_at is not None
    final = describe_code(call.final_status) if call.final_status else advice.text(
        "call.no-final")
    keepalive = keepalive_for(call.idle_s)
    data: dict[str, Any] = {
        **IncomingFacts(call.idle_s, reached, None if reached else keepalive).to_data(),
        "idle_basis": call.idle_basis,
        "invite_ms": None if call.invite_received_at is None
        else round(call.invite_received_at * 1000, 1),
        "final_status": call.final_status, "provisional": call.provisional,
        "cancelled": call.cancelled, "requests_while_idle": call.keepalives,
        "timeline": timeline(call)}
    basis = advice.text(f"call.idle.{call.idle_basis}")
    if reached:
        assert call.invite_received_at is not None
        return Finding(Status.PASS, advice.text(
            "call.incoming.pass", idle=call.idle_s, basis=basis,
            ms=call.invite_received_at * 1000, final=final), data, None, INCOMING_FAQ)
    key = ("call.incoming.other" if call.final_status and call.final_status < 300
           or call.final_status == 404 else "call.incoming.fail")
    return Finding(Status.FAIL, advice.text(key, idle=call.idle_s, basis=basis, final=final),
                   data, advice.text("call.incoming.fail.advice", idle=call.idle_s,
                                     keepalive=keepalive), INCOMING_FAQ,
                   code=Code.CALL_NOT_REACHED)


def _figures(stream: RtpStream, phone_first: float | None = None) -> tuple[ac.Direction,
                                                                         dict[str, Any]]:
    d = ac.direction(stream.sent_at, stream.first_seq, stream.arrivals)
    data = {"sent": d.sent, "received": d.received, "first_audio_ms": d.first_audio_ms,
            "lost_at_start": d.lost_at_start, "loss_pct": d.loss_pct, "jitter_ms": d.jitter_ms,
            "max_gap_ms": d.max_gap_ms, "delay_ms": d.delay_ms, "mos": d.mos,
            "by_sequence": d.by_sequence, "dest": format_addr(stream.dest) if stream.dest
            else None, "ignored": stream.ignored}
    if phone_first is not None:
        data["after_phone_ms"] = ac.after_phone_ms(stream.arrivals, phone_first)
    return d, data


def _describe(d: ac.Direction) -> str:
    if d.silent:
        return advice.text("call.audio.none", sent=d.sent)
    text = advice.text("call.audio.dir", received=d.received, sent=d.sent,
                       loss=d.loss_pct or 0.0, jitter=d.jitter_ms or 0.0,
                       mos=d.mos if d.mos is not None else 0.0)
    if d.lost_at_start:
        text += advice.text("call.audio.start-lost", lost=d.lost_at_start)
    return text


def judge_audio(obs: Observations) -> Finding:
    """Audio both ways: first audio, losses, jitter, MOS, per direction."""
    call = obs.call
    skip = _not_placed(call, AUDIO_FAQ)
    if skip is not None:
        return skip
    assert call is not None  # _not_placed skips a missing call
    if call.to_phone is None or call.from_phone is None or not call.from_phone.sent_at and (
            not call.to_phone.sent_at):
        return Finding(Status.SKIP, advice.text("call.audio.not-set-up"),
                       {"see": CheckId.CALL_INCOMING}, None, AUDIO_FAQ)
    to, to_data = _figures(call.to_phone, call.phone_first_sent_at)
    frm, from_data = _figures(call.from_phone)
    after = to_data.get("after_phone_ms")
    data: dict[str, Any] = {
        **AudioFacts(to_phone=not to.silent, from_phone=not frm.silent).to_data(),
        "to_phone_audio": to_data, "from_phone_audio": from_data,
        "hold_ms": round(call.hold_s * 1000), "codec": "G.711",
        "limits": {"after_phone_ms": ac.MAX_FIRST_AUDIO_AFTER_PHONE_S * 1000,
                   "loss_pct": ac.MAX_LOSS_PCT, "jitter_ms": ac.MAX_JITTER_MS,
                   "mos": ac.MIN_MOS}}
    fields = {"to": _describe(to), "frm": _describe(frm), "media_ports":
              f"{MEDIA_PORTS[0]}-{MEDIA_PORTS[1]}"}
    return _audio_verdict(to, frm, after, fields, data)


def _audio_verdict(to: ac.Direction, frm: ac.Direction, after: float | None,
                   fields: dict[str, Any], data: dict[str, Any]) -> Finding:
    """Silence either way fails; late audio towards the phone, or poor audio, warns."""
    if to.silent or frm.silent:
        code = Code.CALL_NO_AUDIO_TO_PHONE if to.silent else Code.CALL_NO_AUDIO_FROM_PHONE
        which = "to" if to.silent else "from"
        return Finding(Status.FAIL, advice.text(f"call.audio.silent.{which}", **fields), data,
                       advice.text(f"call.audio.silent.{which}.advice", **fields), AUDIO_FAQ,
                       code=code)
    if after is not None and after > ac.MAX_FIRST_AUDIO_AFTER_PHONE_S * 1000:
        return Finding(Status.WARN, advice.text("call.audio.late", after=after,
                                                lost=to.lost_at_start or 0, **fields), data,
                       advice.text("call.audio.late.advice"), AUDIO_FAQ,
                       code=Code.CALL_AUDIO_LATE)
    if not (to.good and frm.good):
        return Finding(Status.WARN, advice.text("call.audio.poor", **fields), data,
                       advice.text("call.audio.poor.advice", max_loss=ac.MAX_LOSS_PCT,
                                   max_jitter=ac.MAX_JITTER_MS, min_mos=ac.MIN_MOS),
                       AUDIO_FAQ, code=Code.CALL_AUDIO_POOR)
    when = (advice.text("call.audio.from-start") if after is None or after < 0
            else advice.text("call.audio.learnt", after=after))
    return Finding(Status.PASS, advice.text("call.audio.pass", when=when, **fields),
                   data, None, AUDIO_FAQ)


def checks(settings: Settings) -> list[Check]:
    """The call's three checks (only with ``--call-accounts``), bounded together."""
    if not settings.call_accounts:
        return []
    bound = budget_s(settings)
    return [Check(CheckId.CALL_REGISTER, judge_register, needs=(Obs.CALL,),
                  requires=(Obs.DNS_VOIP,), budget_s=bound),
            Check(CheckId.CALL_INCOMING, judge_incoming, needs=(Obs.CALL,),
                  requires=(Obs.DNS_VOIP,), budget_s=bound),
            Check(CheckId.CALL_AUDIO, judge_audio, needs=(Obs.CALL,),
                  requires=(Obs.DNS_VOIP,), budget_s=bound)]

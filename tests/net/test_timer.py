"""The retransmission schedule on a fake clock (RFC 8489 §6.2.1, RFC 3261 §17.1.1.2)."""

from __future__ import annotations

from flexdiag.net.timer import MAX_SENDS, RTO_S, Retransmissions


def sends(timer: Retransmissions, until: float, step: float = 0.001) -> list[float]:
    """Walk a fake clock in small steps; the times a copy would go out."""
    out, now = [], timer.start
    while not timer.expired(now) and now <= until:
        if timer.due(now):
            timer.record_send(now)
            out.append(round(now, 3))
        now = round(now + step, 6)
    return out


def test_rfc8489_schedule_doubles_from_the_rto() -> None:
    assert (RTO_S, MAX_SENDS) == (0.5, 7)
    timer = Retransmissions(start=100.0, deadline=200.0)
    assert sends(timer, 200.0) == [100.0, 100.5, 101.5, 103.5, 107.5, 115.5, 131.5]
    assert timer.sent == 7 and timer.wake_at() == 200.0  # all sent: wait for the deadline


def test_deadline_cuts_the_schedule() -> None:
    timer = Retransmissions(start=0.0, deadline=2.0)
    assert sends(timer, 10.0) == [0.0, 0.5, 1.5]
    assert timer.expired(2.0) and not timer.expired(1.999)


def test_wake_at_is_the_next_send_or_the_deadline() -> None:
    timer = Retransmissions(start=0.0, deadline=1.2, rto_s=1.0)
    assert timer.due(0.0) and timer.wake_at() == 0.0
    timer.record_send(0.0)
    assert not timer.due(0.5) and timer.wake_at() == 1.0 and timer.last_send == 0.0
    timer.record_send(1.0)
    assert timer.wake_at() == 1.2  # the next send (3.0) is past the deadline


def test_listen_only_never_sends() -> None:
    timer = Retransmissions(start=0.0, deadline=1.0, max_sends=0)
    assert not timer.due(0.0) and timer.wake_at() == 1.0

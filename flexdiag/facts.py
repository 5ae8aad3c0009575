"""The typed facts of findings: what other layers read of a check's evidence (pure).

A check writes its headline facts as one of these records (``Facts.to_data()`` is merged into
its evidence, so the JSON ``data`` keys *are* the field names); the planner, the JSON summary,
the metrics and the watch read them back with ``<Facts>.of(data)`` — from a
:class:`~flexdiag.model.CheckResult` in the run that made it, or from a report's JSON (history,
``--output``) — and never by evidence key. Evidence that only the check itself and the reader
of a report use (packets sent, what was ignored, a server's SOFTWARE) stays in the check's own
dict; the JSON Schema documents both.

Ports are ``int`` here; the JSON contract keys maps by port as strings (JSON object keys), and
that translation is made in this module only (:func:`port_keys`, :func:`int_keys`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Self, TypeVar

from flexdiag.vocab import Behavior, MediaVerdict, Reason, Stopped, TableBehavior, Verdict

V = TypeVar("V")


def port_keys(by_port: Mapping[int, V]) -> dict[str, V]:
    """A map by port as JSON writes it (object keys are strings)."""
    return {str(port): value for port, value in by_port.items()}


def int_keys(by_port: Any) -> dict[int, Any]:
    """A map by port read back from JSON (keys that are not ports are left out)."""
    if not isinstance(by_port, Mapping):
        return {}
    return {int(k): v for k, v in by_port.items() if str(k).isdigit()}


def _number(value: Any) -> float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _member(kind: type[V], value: Any) -> V | None:
    try:
        return kind(value)  # type: ignore[call-arg]
    except ValueError:
        return None


@dataclass(frozen=True)
class Facts:
    """Base of every record here: serialised field by field (an enum as its value)."""

    def to_data(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Skipped(Facts):
    """Why a check has no verdict (any check's skip that gives a :class:`Reason` code)."""

    reason: Reason
    measure_with: str | None = None  # with not-measured: the command that measures it

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Self | None:
        reason = _member(Reason, data.get("reason"))
        return None if reason is None else cls(reason, _text(data.get("measure_with")))

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"reason": self.reason}
        if self.measure_with is not None:
            data["measure_with"] = self.measure_with
        return data


MEASURE_WITH = "flexdiag run"  # the command that measures what --quick leaves out
MEASURE_ON_LINUX = "flexdiag run (Linux)"  # what only Linux's ICMP error queue can measure


def measure_with(data: Mapping[str, Any]) -> str:
    """The command that measures an unmeasured check (the default run's, if it names none)."""
    skipped = Skipped.of(data)
    return skipped.measure_with if skipped and skipped.measure_with else MEASURE_WITH


def unmeasured(data: Mapping[str, Any]) -> bool:
    """Was the check not measured in this run (``--quick``, no ``--phones``)?"""
    skipped = Skipped.of(data)
    return skipped is not None and skipped.reason is Reason.NOT_MEASURED


def interrupted(data: Mapping[str, Any]) -> bool:
    """Did an interruption (the stop signal, Ctrl-C) end this check's measurement early?"""
    return _member(Stopped, data.get("stopped")) is Stopped.INTERRUPTED


@dataclass(frozen=True)
class Timing(Facts):
    """The round-trip time of a check's exchange, where it has one."""

    rtt_ms: float | None

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Self:
        return cls(_number(data.get("rtt_ms")))


@dataclass(frozen=True)
class StunFacts(Facts):
    """``stun.binding``: the public address and what the router does to the port."""

    public_ip: str | None
    nat: bool | None
    port_translation: bool | None

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Self:
        return cls(_text(data.get("public_ip")), _flag(data.get("nat")),
                   _flag(data.get("port_translation")))


@dataclass(frozen=True)
class BehaviorFacts(Facts):
    """``nat.mapping`` and ``nat.filtering``: the RFC 4787 behaviour found."""

    behavior: Behavior

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Self:
        return cls(_member(Behavior, data.get("behavior")) or Behavior.UNKNOWN)


@dataclass(frozen=True)
class SipFacts(Facts):
    """``sip.udp.<port>``: the final response's status code (``None``: no answer)."""

    status_code: int | None

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Self:
        code = data.get("status_code")
        return cls(code if isinstance(code, int) and not isinstance(code, bool) else None)

    @property
    def answered(self) -> bool:
        return self.status_code is not None


@dataclass(frozen=True)
class PhonePortFacts(Facts):
    """``sip.phone``: which platform ports answered the phones' own local port, and which
    answered the alternative local port (tested only when the phones' port could be used)."""

    local_port: int | None
    phone_ok: Mapping[int, bool | None]
    alternative_port: int | None
    alternative_ok: Mapping[int, bool | None]
    tested: bool

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Self:
        per_port = int_keys(data.get("ports"))
        alternative = data.get("alternative")
        alternative = alternative if isinstance(alternative, Mapping) else {}
        local, alt_port = data.get("local_port"), alternative.get("local_port")
        return cls(local if isinstance(local, int) else None,
                   {p: _flag(v.get("phone_port")) if isinstance(v, Mapping) else None
                    for p, v in per_port.items()},
                   alt_port if isinstance(alt_port, int) else None,
                   {p: _flag(v) for p, v in int_keys(alternative.get("ports")).items()},
                   "error" not in data and "ports" in data)


@dataclass(frozen=True)
class AlgFacts(Facts):
    """``sip.alg``: rewriting seen (``True``), not seen (``False``) or undecided, overall and
    per SIP port."""

    detected: bool | None
    ports: Mapping[int, bool | None]

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Self:
        return cls(_flag(data.get("detected")),
                   {p: _flag(v) for p, v in int_keys(data.get("ports")).items()})

    def to_data(self) -> dict[str, Any]:
        return {"detected": self.detected, "ports": port_keys(self.ports)}

    @property
    def rewriting(self) -> list[int]:
        return [p for p, seen in self.ports.items() if seen is True]


@dataclass(frozen=True)
class LifetimeFacts(Facts):
    """``nat.lifetime``: the phone flow's bracket, the verdict and the keep-alive it needs."""

    alive_s: float | None
    expired_s: float | None
    verdict: Verdict | None
    advised_keepalive_s: int | None
    stopped: Stopped | None

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Self:
        keepalive = _number(data.get("advised_keepalive_s"))
        return cls(_number(data.get("alive_s")), _number(data.get("expired_s")),
                   _member(Verdict, data.get("verdict")),
                   None if keepalive is None else int(keepalive),
                   _member(Stopped, data.get("stopped")))


@dataclass(frozen=True)
class CapacityFacts(Facts):
    """``nat.capacity``: how the table behaved when full (``refuses-new``, ...)."""

    behavior: TableBehavior | None

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Self:
        return cls(_member(TableBehavior, data.get("behavior")))


@dataclass(frozen=True)
class NtpFacts(Facts):
    """``ntp.offset``: this computer's clock against the platform's (seconds)."""

    offset_s: float | None

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Self:
        return cls(_number(data.get("offset_s")))


@dataclass(frozen=True)
class MediaPortsFacts(Facts):
    """``media.ports``: the verdict on UDP to the platform's media ports."""

    verdict: MediaVerdict | None

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Self:
        return cls(_member(MediaVerdict, data.get("verdict")))


@dataclass(frozen=True)
class QualityFacts(Facts):
    """``media.quality``: the RTP-paced probe's figures."""

    rtt_ms: float | None
    jitter_ms: float | None
    loss_pct: float | None
    mos: float | None

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Self:
        return cls(*(_number(data.get(f.name)) for f in fields(cls)))


@dataclass(frozen=True)
class IncomingFacts(Facts):
    """``call.incoming``: did the INVITE reach the phone's account after ``idle_s`` idle, and
    the keep-alive a lost one calls for."""

    idle_s: float | None
    reached: bool | None
    advised_keepalive_s: int | None = None

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Self:
        keepalive = _number(data.get("advised_keepalive_s"))
        return cls(_number(data.get("idle_s")), _flag(data.get("reached")),
                   None if keepalive is None else int(keepalive))


@dataclass(frozen=True)
class AudioFacts(Facts):
    """``call.audio``: did audio arrive towards the phone, and from it?"""

    to_phone: bool | None
    from_phone: bool | None

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Self:
        return cls(_flag(data.get("to_phone")), _flag(data.get("from_phone")))


@dataclass(frozen=True)
class UpstreamFacts(Facts):
    """``nat.upstream``: which box faces the internet (``single``, ``double``, ``cgnat``,
    ``beyond``, ``undetermined``) and the other box's address, where known."""

    upstream: str | None
    other_box: str | None

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Self:
        return cls(_text(data.get("upstream")), _text(data.get("other_box")))


@dataclass(frozen=True)
class HostFacts(Facts):
    """``host.network``: the gateway's maker (from its MAC), where known."""

    gateway_vendor: str | None

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Self:
        return cls(_text(data.get("gateway_vendor")))

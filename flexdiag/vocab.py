"""The closed vocabularies of findings and evidence, as enums (pure; the bottom layer).

Each is a :class:`enum.StrEnum`, so its members are the very strings the JSON contract uses
(``"endpoint-independent"``, ``"rfc5780"``): evidence keeps its wire form while code compares
members, not spellings.
"""

from __future__ import annotations

import enum


class Behavior(enum.StrEnum):
    """NAT mapping or filtering behaviour, in RFC 4787 §4.1/§5 vocabulary."""

    EIM = "endpoint-independent"
    ADDRESS = "address-dependent"
    ADDRESS_PORT = "address-and-port-dependent"
    UNKNOWN = "unknown"

    @property
    def dependent(self) -> bool:
        """Address- or address-and-port-dependent."""
        return self in (Behavior.ADDRESS, Behavior.ADDRESS_PORT)


class Method(enum.StrEnum):
    """How a NAT behaviour or lifetime was measured."""

    RFC5780 = "rfc5780"  # RFC 5780 §4.3/§4.4/§4.6 with OTHER-ADDRESS, CHANGE-REQUEST, RESPONSE-PORT
    CROSSCHECK = "stun-sip-crosscheck"  # STUN's and the SIP server's views of one socket
    REBIND = "rebind"  # lifetime: bind again after the idle time, compare the public port


class FlowKind(enum.StrEnum):
    """The traffic pattern a lifetime probe imitates."""

    ESTABLISHED = "established"  # replies over > 2 s: a flow with a NAT keep-alive
    FRESH = "fresh"  # one exchange, then idle: a phone between two registrations
    SUPPORT = "support"  # the idle-zero probe that detects RESPONSE-PORT support


class Verdict(enum.StrEnum):
    """A lifetime against an interval: survives it, expires before it, or not known."""

    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"


class Impact(enum.StrEnum):
    """What NAT behaviour means for calls on the platform (FAQ items 4-6)."""

    CLEAN = "clean"
    TRANSLATED = "translated"  # the platform must latch; the start of calls can be lost
    PER_DESTINATION = "per-destination"  # media sees other public ports than signalling
    PHONE_FIRST = "phone-first"  # audio gets in once the phone has sent to that address


class LifetimeMode(enum.StrEnum):
    """How far a run measures a phone's mapping lifetime (FAQ item 6): not at all
    (``run --quick``), up to the horizon (the default run), or the whole registration interval
    (``run --lifetime``)."""

    QUICK = "quick"
    HORIZON = "horizon"
    FULL = "full"


class Stopped(enum.StrEnum):
    """Why a lifetime measurement ended."""

    DECIDED = "decided"
    BUDGET = "budget"
    INTERRUPTED = "interrupted"
    NO_MAPPING = "no-mapping"

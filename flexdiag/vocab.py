"""The closed vocabularies of findings and evidence, as enums (pure; the bottom layer).

Each is a :class:`enum.StrEnum`, so its members are the very strings the JSON contract uses
(``"endpoint-independent"``, ``"rfc5780"``): evidence keeps its wire form while code compares
members, not spellings.
"""

from __future__ import annotations

import enum

# --- The platform's facts and the protocols' defaults: each defined here, once ---------------
SIP_PORT = 5060  # RFC 3261 §19.1.2: SIP over UDP; FAQ item 5: the platform's default
PLATFORM_SIP_PORTS = (SIP_PORT, 38388)  # FAQ item 5: the platform listens on both
STUN_PORT = 3478  # RFC 8489 §18.6 (the "stun" port)
NTP_PORT = 123  # RFC 5905 §7
DNS_PORT = 53  # RFC 1035 §4.2
MEDIA_PORTS = (10_000, 20_000)  # FAQ item 4: the platform's audio ports (and the phones')


class Faq(enum.IntEnum):
    """The platform FAQ's items (``shared/seed/flex-platform-faq.txt``) that findings rest on;
    a report lists them by number."""

    SIP_SERVER = 1  # voip.gntel.nl
    STUN_SERVER = 2  # stun.gntel.nl
    NTP_SERVER = 3  # ntp.gntel.nl
    AUDIO = 4  # audio from 10000-20000; sent to the translated port once the phone sends
    SIP = 5  # SIP on 5060 and 38388; sent to the translated port
    PORT_TRANSLATION = 6  # NAT entries must outlive the registration interval; table size
    RESPONSE_CODES = 7  # SIP response codes


class CheckId(enum.StrEnum):
    """Every check's stable id (design.md); ``sip.udp.<port>`` is :func:`sip_udp`."""

    HOST_NETWORK = "host.network"
    DNS_VOIP = "dns.voip"
    DNS_STUN = "dns.stun"
    DNS_NTP = "dns.ntp"
    STUN_BINDING = "stun.binding"
    NAT_MAPPING = "nat.mapping"
    NAT_FILTERING = "nat.filtering"
    NAT_UPSTREAM = "nat.upstream"
    SIP_PHONE = "sip.phone"
    SIP_ALG = "sip.alg"
    SIP_LARGE = "sip.large"
    NTP_OFFSET = "ntp.offset"
    MEDIA_PORTS = "media.ports"
    MEDIA_QUALITY = "media.quality"
    NAT_CAPACITY = "nat.capacity"
    NAT_LIFETIME = "nat.lifetime"
    CALL_REGISTER = "call.register"
    CALL_INCOMING = "call.incoming"
    CALL_AUDIO = "call.audio"


SIP_UDP = "sip.udp"  # the family of per-port SIP checks


def sip_udp(port: int) -> str:
    """The id of the SIP OPTIONS check on ``port``."""
    return f"{SIP_UDP}.{port}"


def sip_udp_port(check_id: str) -> int | None:
    """The port of a ``sip.udp.<port>`` id (``None``: another check)."""
    prefix, _, port = check_id.rpartition(".")
    return int(port) if prefix == SIP_UDP and port.isdigit() else None


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
    KEPT_PAST_HORIZON = "kept-past-horizon"  # the default run: alive at the horizon, shorter
    # than the registration interval


class Impact(enum.StrEnum):
    """What NAT behaviour means for calls on the platform (FAQ items 4-6)."""

    CLEAN = "clean"
    TRANSLATED = "translated"  # the platform must latch; the start of calls can be lost
    PER_DESTINATION = "per-destination"  # media sees other public ports than signalling
    PHONE_FIRST = "phone-first"  # audio gets in once the phone has sent to that address


class Reason(enum.StrEnum):
    """Why a check has no verdict: the ``reason`` code of a skip's evidence (a code, never
    prose; the words are in :mod:`flexdiag.advice`)."""

    NOT_MEASURED = "not-measured"  # this run did not measure it (--quick, no --phones)
    UNRESOLVED = "unresolved"  # the server's name did not resolve (``see``: the DNS check)
    LOCAL_SOCKETS = "local-sockets"  # this computer refused sockets (open-file limit)
    NO_ANSWER = "no-answer"  # no flow of the probe was answered
    SCATTERED_LOSSES = "scattered-losses"  # losses, but not a refused tail
    NO_OTHER_ADDRESS = "no-other-address"  # the STUN server does not speak RFC 5780


class TableBehavior(enum.StrEnum):
    """How a NAT table behaves when the phones' flows fill it (``nat.capacity``)."""

    FITS = "fits"
    REFUSES_NEW = "refuses-new"
    EVICTS_OLD = "evicts-old"
    UNKNOWN = "unknown"


class MediaVerdict(enum.StrEnum):
    """Whether UDP to the platform's media ports leaves the site (``media.ports``)."""

    FORWARDED = "forwarded"
    DROPPED = "dropped"
    UNDECIDED = "undecided"


class Code(enum.StrEnum):
    """A finding's stable reason code (``checks[].reason_code``, the ``reason`` label of the
    ``flexdiag_finding`` metric): what is wrong, for alerts and tickets; never reworded.
    docs/reasons.md says what each means and what to do."""

    HOST_BEHIND_LOCAL_NAT = "host_behind_local_nat"
    HOST_THROUGH_VPN = "host_through_vpn"
    DNS_FAILS = "dns_fails"
    DNS_OUTSIDE_PLATFORM = "dns_outside_platform"
    STUN_NO_ANSWER = "stun_no_answer"
    STUN_ERROR = "stun_error"
    PORT_TRANSLATION = "port_translation"
    PORT_TRANSLATION_PARTIAL = "port_translation_partial"
    NAT_MAPPING_DEPENDENT = "nat_mapping_dependent"
    DOUBLE_NAT = "double_nat"
    CARRIER_GRADE_NAT = "carrier_grade_nat"
    NAT_FILTERING_CLIPS_AUDIO = "nat_filtering_clips_audio"
    SIP_NO_ANSWER = "sip_no_answer"
    SIP_REPLY_FROM_OTHER_PORT = "sip_reply_from_other_port"
    SIP_PHONE_PORT_BLOCKED = "sip_phone_port_blocked"
    SIP_ALG_REWRITES = "sip_alg_rewrites"
    SIP_LARGE_LOST = "sip_large_lost"
    NTP_NO_ANSWER = "ntp_no_answer"
    NTP_REFUSED = "ntp_refused"
    NTP_UNSYNCHRONISED = "ntp_unsynchronised"
    MEDIA_PORTS_BLOCKED = "media_ports_blocked"
    MEDIA_NO_ANSWER = "media_no_answer"
    MEDIA_POOR_QUALITY = "media_poor_quality"
    NAT_TABLE_FULL = "nat_table_full"
    NAT_TABLE_EVICTS = "nat_table_evicts"
    NAT_TABLE_LOSSES = "nat_table_losses"
    LIFETIME_SHORTER_THAN_REGISTRATION = "lifetime_shorter_than_registration"
    LIFETIME_NO_MAPPING = "lifetime_no_mapping"
    LIFETIME_INTERRUPTED = "lifetime_interrupted"
    LIFETIME_INCONCLUSIVE = "lifetime_inconclusive"
    CALL_REGISTER_FAILED = "call_register_failed"
    CALL_NOT_REACHED = "call_not_reached"
    CALL_NO_AUDIO_TO_PHONE = "call_no_audio_to_phone"
    CALL_NO_AUDIO_FROM_PHONE = "call_no_audio_from_phone"
    CALL_AUDIO_LATE = "call_audio_late"
    CALL_AUDIO_POOR = "call_audio_poor"
    FLEXDIAG_ERROR = "flexdiag_error"
    FLEXDIAG_TIMEOUT = "flexdiag_timeout"


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

"""Typed records of what the network said: made by :mod:`flexdiag.net` and
:mod:`flexdiag.observe`, read by the pure checks. Pure data, no I/O (the bottom layer, beside
``model`` and ``settings``).

An :class:`Exchange` is one bounded request/response exchange; the other records bundle the
exchanges an observation made. :class:`Observations` is what one check gets to judge: the
settings plus the observations it declared it needs (the others are left empty, so a check that
reads an observation it did not declare sees nothing, every time, instead of a race).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from flexdiag.addr import Addr
from flexdiag.analysis import lifetime as lt
from flexdiag.analysis.placement import HostNetwork as HostNetwork
from flexdiag.codec import natpmp, ntp, sip, stun
from flexdiag.settings import Settings
from flexdiag.vocab import CheckId, FlowKind, Method, Stopped

T = TypeVar("T")

LARGE_SIZES = (1400, 3000)  # bytes of the large OPTIONS: just under a 1500-byte MTU, and surely
# fragmented


@dataclass(frozen=True)
class SilenceBasis:
    """Why an unanswered exchange was believed silent before the deadline: it waited ``rtts``
    times the ``basis_s`` round trip measured to the same host (or another server), at least
    ``floor_s``."""

    rtts: float
    basis_s: float
    same_host: bool
    floor_s: float


@dataclass
class Exchange(Generic[T]):
    """The outcome of one request/response exchange (filled in by the net layer while it
    runs; read-only once returned)."""

    local: Addr
    reply: T | None = None
    reply_from: Addr | None = None
    rtt_s: float | None = None
    sent: int = 0
    error: str | None = None  # ICMP or socket error that ended the exchange
    ignored: list[str] = field(default_factory=list)  # examples: "ip:port: reason"
    ignored_count: int = 0
    provisional: int = 0  # provisional (1xx) answers seen while waiting for a final one
    answered_at: float | None = None  # event-loop time the reply arrived
    waited_s: float = 0.0  # from the first send to the reply, the error or giving up
    gave_up: SilenceBasis | None = None  # why silence was believed before the deadline

    @property
    def answered(self) -> bool:
        return self.reply is not None


@dataclass(frozen=True)
class Resolution:
    """What the resolver said about one name."""

    name: str
    resolver: str
    addresses: tuple[str, ...] = ()
    rtt_ms: float | None = None
    error: str | None = None  # None when at least one address came back
    error_kind: str | None = None  # nxdomain | no-answer | chain-loop | chain-long | timeout
    # | no-nameservers | error | config | no-network
    literal: bool = False  # the "name" was an IP address; nothing was resolved
    details: dict[str, str] = field(default_factory=dict)
    ignored_count: int = 0  # datagrams from the resolver's direction that answered nothing
    ignored: tuple[str, ...] = ()  # examples: "ip:port: reason"

    @property
    def ipv4(self) -> tuple[str, ...]:
        return tuple(a for a in self.addresses if ":" not in a)

    def preferred(self) -> str | None:
        """The address to probe: IPv4 first, as most customer sites still route only IPv4."""
        return (self.ipv4 or self.addresses or (None,))[0]


@dataclass(frozen=True)
class StunReply:
    """A Binding response and the address it came from (RFC 5780 tests read the source)."""

    response: stun.StunResponse
    source: Addr


@dataclass(frozen=True)
class OptionsReply:
    """A final response to our OPTIONS, and the Via the server echoed (RFC 3581 §4)."""

    response: sip.SipResponse
    via: sip.Via
    sent: bytes  # the request as we sent it, to compare with what the server echoed


@dataclass(frozen=True)
class NtpSample:
    """One NTP reply with the four timestamps of RFC 5905 §8, in Unix seconds."""

    reply: ntp.NtpReply
    t1: float
    t4: float

    @property
    def offset_s(self) -> float:
        return ntp.offset_delay(self.t1, self.reply.receive_s, self.reply.transmit_s, self.t4)[0]

    @property
    def delay_s(self) -> float:
        return ntp.offset_delay(self.t1, self.reply.receive_s, self.reply.transmit_s, self.t4)[1]


def mapped_address(exchange: Exchange[StunReply] | None) -> Addr | None:
    """The public address a Binding exchange learnt (``None``: no answer, or an error)."""
    reply = exchange.reply if exchange is not None else None
    if reply is None or reply.response.is_error:
        return None
    return reply.response.mapped


@dataclass(frozen=True)
class MappingTests:
    """RFC 5780 §4.3 tests II and III from the primary socket."""

    test2: Exchange[StunReply]
    test3: Exchange[StunReply]


@dataclass(frozen=True)
class FilteringTests:
    """RFC 5780 §4.4 on a fresh socket: test I, then tests II and III sent together
    (``None``: not sent, as test I gave no OTHER-ADDRESS)."""

    test1: Exchange[StunReply]
    change_both: Exchange[StunReply] | None = None  # CHANGE-REQUEST change IP and port
    change_port: Exchange[StunReply] | None = None  # CHANGE-REQUEST change port
    wait_s: float = 0.0


@dataclass(frozen=True)
class LargeProbe:
    """Large OPTIONS on one port, judged against the small one sent with them."""

    small: bool  # did the ordinary OPTIONS on this port get an answer?
    wait_s: float = 0.0  # how long after the small answer the large ones were waited for
    arrived: Mapping[int, bool] = field(default_factory=dict)  # size -> answered
    errors: Mapping[int, str] = field(default_factory=dict)  # size -> socket/ICMP error


@dataclass(frozen=True)
class FixedPortProbe:
    """OPTIONS to every SIP port from one socket bound to a chosen local port, as a phone
    sends them from its own SIP port (``error``: the port could not be bound)."""

    local_port: int
    exchanges: Mapping[int, Exchange[OptionsReply]] = field(default_factory=dict)
    error: str | None = None
    error_kind: str | None = None  # flexdiag.net.ports.socket_failure: in-use, denied, ...

    def answered(self, port: int) -> bool | None:
        """Did ``port`` answer (``None``: not tested)?"""
        exchange = self.exchanges.get(port)
        return None if exchange is None else exchange.answered


@dataclass(frozen=True)
class PhonePortProbes:
    """The phones' own local SIP port, and an alternative one tried beside it (so that advice
    to move off a blocked local port names a port that was seen to work)."""

    phone: FixedPortProbe
    alternative: FixedPortProbe


@dataclass(frozen=True)
class Flow:
    """One UDP flow a run opened: local address, destination, the order it was opened in,
    and whether anything came back on it."""

    local: Addr
    dest: Addr
    order: int
    answered: bool


@dataclass(frozen=True)
class CapacityProbe:
    """``--phones N``: the flows N phones need, opened one by one (paced), each confirmed by a
    STUN Binding; then whether the earliest ones still work (``None``: could not tell)."""

    phones: int
    flows_needed: int
    answered: tuple[bool, ...]  # per flow, in the order opened
    earliest_alive: tuple[bool | None, ...]  # the earliest answered flows, tested at the end
    method: Method
    flows_before: int  # flows this run had opened (and got answers on) before the probe
    pacing_s: float
    local_failures: int = 0  # flows never opened: this computer refused the socket
    local_error: str | None = None  # the first such refusal, as the OS said it
    local_kind: str | None = None  # flexdiag.net.ports.socket_failure


@dataclass
class Measurement:
    """What the lifetime scheduler found, also when stopped early."""

    probes: list[lt.Probe] = field(default_factory=list)
    rungs: list[float] = field(default_factory=list)
    stopped: Stopped = Stopped.BUDGET
    elapsed_s: float = 0.0

    def bracket(self, flow: FlowKind) -> lt.Bracket:
        return lt.bracket(self.probes, flow)


@dataclass(frozen=True)
class LifetimeObservation:
    """A finished (or interrupted) lifetime measurement and how it was made."""

    method: Method
    measurement: Measurement
    budget_s: float
    sent: int
    target_s: float | None = None  # the idle time watched for (None: the registration time)


@dataclass
class MediaProbe:
    """The RTP-paced probe (``media.quality``): per request its send time and its answer's
    arrival (``None``: never), on the event loop's clock."""

    local: Addr
    sends: list[float] = field(default_factory=list)
    arrivals: list[float | None] = field(default_factory=list)
    ignored: int = 0  # datagrams that answered none of its requests
    error: str | None = None  # no socket could be opened


@dataclass(frozen=True)
class IcmpReport:
    """One ICMP error read from a socket's error queue (ip(7) IP_RECVERR): who sent it
    (the offender), its type and code, and the destination of the datagram it answers."""

    dest: Addr
    offender: str | None
    icmp_type: int
    icmp_code: int


@dataclass
class Firewalk:
    """What the TTL-limited probes of ``media.ports`` saw (judged by
    :mod:`flexdiag.analysis.media`)."""

    gateway: str | None = None  # the offender of TTL 1 towards the STUN server
    control: list[IcmpReport] = field(default_factory=list)  # beyond-gateway TTL, STUN server
    control_answered: bool = False  # the STUN server itself answered the control probe
    media: list[IcmpReport] = field(default_factory=list)
    probes: list[str] = field(default_factory=list)  # "ip:port ttl N" of every media probe
    ttl: int = 2
    error: str | None = None
    os_cannot: bool = False  # this OS does not say who sent an ICMP error: not measurable here


@dataclass
class Registration:
    """One account's REGISTER (RFC 3261 §10) as a test call made it, and its removal."""

    user: str
    local: Addr
    status: int | None = None  # the final response (None: none came)
    reason: str = ""
    granted_s: int | None = None  # the expiry the registrar granted (§10.3 step 8)
    requested_s: int | None = None  # what was asked (a 423's Min-Expires raises it)
    algorithm: str | None = None  # the digest algorithm answered (None: not challenged)
    error: str | None = None  # ICMP/socket error, or a challenge flexdiag could not answer
    unregistered: bool | None = None  # Expires: 0 answered 200 (None: not tried)
    sent: int = 0  # REGISTER requests sent, retransmissions included

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class RtpStream:
    """One direction of a test call's audio: when each packet was sent, and what arrived
    (sequence number, event-loop time), both ends in one process on one clock."""

    sent_at: list[float] = field(default_factory=list)
    first_seq: int = 0
    arrivals: list[tuple[int, float]] = field(default_factory=list)
    ignored: int = 0  # datagrams on the receiving socket that were not RTP
    dest: Addr | None = None  # where the sender sent (the SDP it was given)


@dataclass
class CallEvent:
    """One line of a test call's timeline: seconds since the call observation began, which
    party (``A``: the phone, ``B``: the caller), what (a code) and a detail."""

    t_s: float
    party: str
    event: str
    detail: str = ""


@dataclass
class CallObservation:
    """A test call through the platform (``call.*``): A registers from the phones' local
    port, both stay idle, B calls A, audio both ways, hang up, unregister."""

    a: Registration
    b: Registration
    idle_s: float
    idle_basis: str  # why that long: "given", "registration", "horizon"
    server: Addr | None = None  # the SIP server and port the call used
    hold_s: float = 0.0  # how long A held back its first audio packet (FAQ item 4)
    invite_sent: bool = False
    invite_received_at: float | None = None  # seconds after the INVITE was sent, at A
    final_status: int | None = None  # the caller's final response
    provisional: list[int] = field(default_factory=list)
    cancelled: bool = False
    to_phone: RtpStream | None = None  # B -> platform -> A
    from_phone: RtpStream | None = None  # A -> platform -> B
    phone_first_sent_at: float | None = None  # A's first RTP packet (event-loop time)
    keepalives: list[str] = field(default_factory=list)  # requests A got while idle
    timeline: list[CallEvent] = field(default_factory=list)
    stopped: Stopped | None = None  # interrupted (Ctrl-C), or None
    error: str | None = None  # no socket, no server address


@dataclass
class Upstream:
    """What ``nat.upstream`` saw: the gateway's NAT-PMP and UPnP IGD answers (its own external
    address), and the first hops towards the STUN server (offenders of TTL 1 and 2;
    ``answered_at_ttl``: the server itself answered that close)."""

    gateway: str | None = None
    natpmp: natpmp.ExternalAddress | None = None
    natpmp_error: str | None = None  # ICMP port unreachable (no NAT-PMP), or no answer
    hops: tuple[str | None, ...] = ()
    answered_at_ttl: int | None = None
    error: str | None = None
    upnp_service: str | None = None  # the IGD's WAN service, as its description names it
    upnp_address: str | None = None  # its NewExternalIPAddress (None: empty, none to give)
    upnp_error: str | None = None  # no UPnP (port unreachable, no answer), a fault, garbage
    # The second hop, where private or carrier-grade (a box in front of the router?), asked
    # the same: which of NAT-PMP and UPnP IGD it answered (any answer: it is a gateway).
    second_gateway: str | None = None
    second_answers: tuple[str, ...] = ()


class Obs(enum.Enum):
    """The observations a run can make; checks declare which of them they need."""

    DNS_VOIP = CheckId.DNS_VOIP.value
    DNS_STUN = CheckId.DNS_STUN.value
    DNS_NTP = CheckId.DNS_NTP.value
    STUN = "stun"  # RFC 5780 test I from the primary socket
    PRESERVATION = "preservation"  # Bindings from a few more sockets at once
    MAPPING = "mapping"  # RFC 5780 tests II and III from the primary socket
    FILTERING = "filtering"
    SIP = "sip"  # OPTIONS to every SIP port (from the primary socket where routed so)
    PHONE_SIP = "phone_sip"  # OPTIONS to every SIP port from the phones' own local port
    LARGE = "large"
    NTP = "ntp"
    LIFETIME = "lifetime"
    CAPACITY = "capacity"  # --phones N: the NAT table's room for the phones' flows
    MEDIA = "media"  # the RTP-paced probe: what a call would sound like
    MEDIA_PORTS = "media_ports"  # TTL-limited probes to the platform's media ports
    FLOWS = "flows"  # the flows this run opened (its footprint), read once the rest is done
    CALL = "call"  # --call-accounts: a test call through the platform
    HOST = "host"  # where this computer sits: its default route, gateway, container or VPN
    UPSTREAM = "upstream"  # the gateway's own external address (NAT-PMP), the first hops


@dataclass(frozen=True)
class Observations:
    """What a check judges: the settings, and the observations it declared (others empty)."""

    settings: Settings
    resolutions: Mapping[Obs, Resolution] = field(default_factory=dict)
    stun: Exchange[StunReply] | None = None
    preservation: tuple[Exchange[StunReply], ...] = ()
    mapping: MappingTests | None = None
    filtering: FilteringTests | None = None
    sip: Mapping[int, Exchange[OptionsReply]] = field(default_factory=dict)
    phone_sip: PhonePortProbes | None = None
    large: Mapping[int, LargeProbe] = field(default_factory=dict)
    ntp: Exchange[NtpSample] | None = None
    lifetime: LifetimeObservation | None = None
    capacity: CapacityProbe | None = None
    media: MediaProbe | None = None
    media_ports: Firewalk | None = None
    flows: tuple[Flow, ...] = ()
    call: CallObservation | None = None
    host: HostNetwork | None = None
    upstream: Upstream | None = None

    def resolution(self, key: Obs) -> Resolution | None:
        return self.resolutions.get(key)

    def address(self, key: Obs) -> str | None:
        """The address chosen to probe for a name (``None``: unresolved or not observed)."""
        resolution = self.resolutions.get(key)
        return resolution.preferred() if resolution is not None else None

    @property
    def stun_server(self) -> Addr | None:
        ip = self.address(Obs.DNS_STUN)
        return (ip, self.settings.stun_server.port) if ip else None

    def sip_target(self, port: int) -> Addr | None:
        ip = self.address(Obs.DNS_VOIP)
        return (ip, port) if ip else None

    @property
    def ntp_server(self) -> Addr | None:
        ip = self.address(Obs.DNS_NTP)
        return (ip, self.settings.ntp_server.port) if ip else None

    @property
    def public(self) -> Addr | None:
        """The public address of the primary socket, as the STUN server saw it."""
        return mapped_address(self.stun)

"""The protocol exchanges of the quick run: STUN Binding, SIP OPTIONS and an NTP query.

Each opens its own UDP socket on the source address the kernel routes towards the server,
runs one bounded exchange and returns the :class:`~flexdiag.net.udp.Exchange` observation.
Nothing here decides a verdict.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass

from flexdiag.codec import ntp, sip, stun
from flexdiag.net.udp import Addr, Exchange, UdpEndpoint, local_address_for, same_ip


async def _open(dest_ip: str) -> UdpEndpoint | str:
    """A socket bound to the routed source address, or the reason there is none."""
    try:
        return await UdpEndpoint.open(local_address_for(dest_ip))
    except OSError as exc:
        return f"cannot send to {dest_ip}: {exc.strerror or exc}"


async def binding(server: Addr, deadline: float) -> Exchange[stun.StunResponse]:
    """One STUN Binding transaction (RFC 8489 §6.2.1 retransmissions, bounded by ``deadline``).

    Responses must come from the server's address and port and carry our transaction ID
    (RFC 8489 §6.3); anything else is ignored.
    """
    endpoint = await _open(server[0])
    if isinstance(endpoint, str):
        return Exchange(local=("", 0), error=endpoint)
    transaction_id = stun.new_transaction_id()

    def accept(data: bytes, source: Addr) -> stun.StunResponse:
        if not same_ip(source[0], server[0]) or source[1] != server[1]:
            raise ValueError("not from the STUN server's address and port")
        response = stun.parse_binding_response(data)
        if response.transaction_id != transaction_id:
            raise ValueError("STUN response for another transaction")
        return response

    with closing(endpoint):
        return await endpoint.exchange(stun.build_binding_request(transaction_id), server,
                                       accept, deadline)


@dataclass(frozen=True)
class OptionsReply:
    """A final response to our OPTIONS, and the Via the server echoed (RFC 3581 §4)."""

    response: sip.SipResponse
    via: sip.Via


async def send_options(
    server: Addr, server_name: str, deadline: float, user_agent: str = "flexdiag"
) -> Exchange[OptionsReply]:
    """One OPTIONS transaction over UDP (RFC 3261 §17.1.2: Timer E doubling from T1).

    A final response must match our branch, Call-ID and CSeq and come from the server's IP; it
    may come from another port (that is a finding for the caller, FAQ item 5). Provisional
    responses are noted and the wait goes on.
    """
    endpoint = await _open(server[0])
    if isinstance(endpoint, str):
        return Exchange(local=("", 0), error=endpoint)
    request = sip.new_options_request()
    payload = sip.build_options(request, server=server_name, server_port=server[1],
                                local=endpoint.local, user_agent=user_agent)

    def accept(data: bytes, source: Addr) -> OptionsReply:
        response = sip.parse_response(data)
        if not sip.matches(response, request):
            raise ValueError("SIP response to another request")
        if not same_ip(source[0], server[0]):
            raise ValueError("SIP response from an address that is not the server's")
        if response.status_code < 200:
            raise ValueError(f"provisional response {sip.describe_code(response.status_code)}")
        return OptionsReply(response, response.vias[0])

    with closing(endpoint):
        return await endpoint.exchange(payload, server, accept, deadline)


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


async def ntp_query(
    server: Addr, deadline: float, wall_clock: Callable[[], float] = time.time
) -> Exchange[NtpSample]:
    """An NTP client exchange; every retransmission carries a fresh transmit timestamp, and
    a reply must echo one of them as its origin (RFC 5905 §8) and come from the server."""
    endpoint = await _open(server[0])
    if isinstance(endpoint, str):
        return Exchange(local=("", 0), error=endpoint)
    sent: dict[int, float] = {}

    def payload() -> bytes:
        t1 = wall_clock()
        data = ntp.build_request(t1)
        sent[ntp.request_transmit_raw(data)] = t1
        return data

    def accept(data: bytes, source: Addr) -> NtpSample:
        if not same_ip(source[0], server[0]) or source[1] != server[1]:
            raise ValueError("not from the NTP server's address and port")
        reply = ntp.parse_reply(data)
        if reply.origin_raw not in sent:
            raise ValueError("NTP reply does not echo our transmit timestamp")
        return NtpSample(reply, sent[reply.origin_raw], wall_clock())

    with closing(endpoint):
        # NTP defines no client retransmission timer; RFC 4330 §10 asks clients to back off,
        # so start at 1 s and double.
        return await endpoint.exchange(payload, server, accept, deadline, rto_s=1.0)

"""The protocol exchanges: STUN Binding (with RFC 5780 CHANGE-REQUEST), SIP OPTIONS and an
NTP query.

Each runs one bounded exchange on a given :class:`UdpEndpoint`, or on a socket of its own bound
to the source address the kernel routes towards the server, and returns the
:class:`~flexdiag.net.udp.Exchange` observation. Nothing here decides a verdict.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from flexdiag.addr import Addr, same_addr, same_ip
from flexdiag.codec import ntp, sip, stun
from flexdiag.net.ports import FALL_BACK
from flexdiag.net.udp import (
    MAX_SENDS,
    RTO_S,
    NotOurs,
    Provisional,
    UdpEndpoint,
    local_address_for,
)
from flexdiag.records import Exchange, NtpSample, OptionsReply, StunReply


class NoSocket(Exception):
    """No socket could be opened towards the server (no route, nothing to bind, no file
    descriptor left); ``errno`` says which (flexdiag.net.ports.socket_failure)."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.errno = code


async def open_endpoint(dest_ip: str, port: int = 0) -> UdpEndpoint:
    """A socket bound to the source address routed towards ``dest_ip``, on local ``port``
    when that is free (flexdiag.net.ports), else on an ephemeral one; raises
    :class:`NoSocket` with the reason when there is none."""
    try:
        local_ip = local_address_for(dest_ip)
        try:
            return await UdpEndpoint.open(local_ip, port)
        except OSError as exc:
            if not port or exc.errno not in FALL_BACK:
                raise
            return await UdpEndpoint.open(local_ip)
    except OSError as exc:
        raise NoSocket(f"cannot send to {dest_ip}: {exc.strerror or exc}", exc.errno) from None


@asynccontextmanager
async def _endpoint(dest_ip: str, given: UdpEndpoint | None,
                    port: int = 0) -> AsyncIterator[UdpEndpoint]:
    if given is not None:
        yield given
        return
    endpoint = await open_endpoint(dest_ip, port)
    try:
        yield endpoint
    finally:
        endpoint.close()


async def binding(
    server: Addr,
    deadline: float,
    *,
    endpoint: UdpEndpoint | None = None,
    change_ip: bool = False,
    change_port: bool = False,
    rto_s: float = RTO_S,
    max_sends: int = MAX_SENDS,
    port: int = 0,
) -> Exchange[StunReply]:
    """One STUN Binding transaction (RFC 8489 §6.2.1 retransmissions, bounded by ``deadline``).

    A response must carry our transaction ID (RFC 8489 §6.3). Without CHANGE-REQUEST it must
    also come from the server's address and port; with it (RFC 5780 §4.4) it may come from any
    address, and the caller judges the source.
    """
    try:
        async with _endpoint(server[0], endpoint, port) as ep:
            transaction_id = stun.new_transaction_id()
            changed = change_ip or change_port

            def accept(data: bytes, source: Addr) -> StunReply:
                response = stun.parse_binding_response(data)
                if response.transaction_id != transaction_id:
                    raise NotOurs("STUN response for another transaction")
                if not changed and not same_addr(source, server):
                    raise NotOurs("not from the STUN server's address and port")
                return StunReply(response, source)

            request = stun.build_binding_request(transaction_id, change_ip=change_ip,
                                                 change_port=change_port)
            return await ep.exchange(request, server, accept, deadline, rto_s=rto_s,
                                     max_sends=max_sends)
    except NoSocket as exc:
        return Exchange(local=("", 0), error=str(exc))


async def send_options(
    server: Addr,
    server_name: str,
    deadline: float,
    *,
    endpoint: UdpEndpoint | None = None,
    size: int = 0,
    stop: asyncio.Event | None = None,
    user_agent: str = "flexdiag",
) -> Exchange[OptionsReply]:
    """One OPTIONS transaction over UDP (RFC 3261 §17.1.2: Timer E doubling from T1).

    A final response must match our branch, Call-ID and CSeq and come from the server's IP; it
    may come from another port (that is a finding for the caller, FAQ item 5). Provisional
    responses are noted and the wait goes on. ``size`` pads the request to that many bytes.
    """
    try:
        async with _endpoint(server[0], endpoint) as ep:
            request = sip.new_options_request()
            payload = sip.build_options(request, server=server_name, server_port=server[1],
                                        local=ep.local, user_agent=user_agent, size=size)

            def accept(data: bytes, source: Addr) -> OptionsReply:
                response = sip.parse_response(data)
                if not sip.matches(response, request):
                    raise NotOurs("SIP response to another request")
                if not same_ip(source[0], server[0]):
                    raise NotOurs("SIP response from an address that is not the server's")
                if response.status_code < 200:
                    code = sip.describe_code(response.status_code)
                    raise Provisional(f"provisional response {code}")
                return OptionsReply(response, response.vias[0], payload)

            return await ep.exchange(payload, server, accept, deadline, stop=stop)
    except NoSocket as exc:
        return Exchange(local=("", 0), error=str(exc))


async def ntp_query(
    server: Addr, deadline: float, wall_clock: Callable[[], float] = time.time, port: int = 0
) -> Exchange[NtpSample]:
    """An NTP client exchange; every retransmission carries a fresh random 64-bit nonce as
    its transmit timestamp (the send time is kept here), and a reply must echo one of them as
    its origin (RFC 5905 §8) and come from the server."""
    sent: dict[int, float] = {}

    def payload() -> bytes:
        t1 = wall_clock()
        data = ntp.build_request(t1, nonce=secrets.randbits(64) or 1)  # never 0 (§8)
        sent[ntp.request_transmit_raw(data)] = t1
        return data

    def accept(data: bytes, source: Addr) -> NtpSample:
        if not same_addr(source, server):
            raise NotOurs("not from the NTP server's address and port")
        reply = ntp.parse_reply(data)
        if reply.origin_raw not in sent:
            raise NotOurs("NTP reply does not echo our transmit timestamp")
        return NtpSample(reply, sent[reply.origin_raw], wall_clock())

    try:
        async with _endpoint(server[0], None, port) as ep:
            # NTP defines no client retransmission timer; RFC 4330 §10 asks clients to back
            # off, so start at 1 s and double.
            return await ep.exchange(payload, server, accept, deadline, rto_s=1.0)
    except NoSocket as exc:
        return Exchange(local=("", 0), error=str(exc))

"""Observations shared by several checks, each made once per run (memoised in the context).

The *primary socket* is one local UDP socket that does what a phone's SIP socket does: it asks
the STUN server for its public address (RFC 5780 test I) and sends OPTIONS to every SIP port.
Because one socket is seen by several servers, their views can be compared: that is how
``nat.mapping`` decides without an RFC 5780 server, and how ``sip.alg`` spots rewriting.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from flexdiag.addr import Addr
from flexdiag.checks import Context
from flexdiag.checks.dns import resolved
from flexdiag.net.dns import Resolution
from flexdiag.net.probes import (
    NoSocket,
    OptionsReply,
    StunReply,
    binding,
    open_endpoint,
    send_options,
)
from flexdiag.net.udp import Exchange, UdpEndpoint, local_address_for

# Negative tests (waiting for a reply that may rightly never come) wait this many RTTs of an
# exchange already measured on the same path, within these bounds, instead of a fixed ladder.
NEGATIVE_WAIT_RTTS = 4.0
NEGATIVE_WAIT_MIN_S = 0.25
NEGATIVE_WAIT_MAX_S = 2.0
PRESERVATION_SOCKETS = 3  # extra sockets, besides the primary one, for port preservation


def negative_wait_s(rtt_s: float | None) -> float:
    """How long to wait for a reply that may be filtered, given the path's measured RTT."""
    if rtt_s is None:
        return NEGATIVE_WAIT_MIN_S
    return min(NEGATIVE_WAIT_MAX_S, max(NEGATIVE_WAIT_MIN_S, NEGATIVE_WAIT_RTTS * rtt_s))


def mapped_address(exchange: Exchange[StunReply] | None) -> Addr | None:
    """The public address a Binding exchange learnt (``None``: no answer, or an error)."""
    reply = exchange.reply if exchange is not None else None
    if reply is None or reply.response.is_error:
        return None
    return reply.response.mapped


@dataclass(frozen=True)
class Target:
    """A server name's resolution and the address chosen to probe (``None``: unresolved)."""

    resolution: Resolution
    addr: Addr | None


async def stun_target(ctx: Context) -> Target:
    server = ctx.settings.stun_server
    resolution = await resolved(ctx, server.host)
    ip = resolution.preferred()
    return Target(resolution, (ip, server.port) if ip else None)


async def sip_target(ctx: Context, port: int) -> Target:
    resolution = await resolved(ctx, ctx.settings.sip_server)
    ip = resolution.preferred()
    return Target(resolution, (ip, port) if ip else None)


async def primary(ctx: Context) -> UdpEndpoint | str:
    """The primary socket (or why there is none), bound to the source address routed towards
    the STUN server, or the SIP server when STUN did not resolve."""

    async def make() -> UdpEndpoint | str:
        target = await stun_target(ctx)
        if target.addr is None:
            target = await sip_target(ctx, ctx.settings.sip_ports[0])
        if target.addr is None:
            return "no server address to send to"
        try:
            endpoint = await open_endpoint(target.addr[0])
        except NoSocket as exc:
            return str(exc)
        ctx.on_close(endpoint.close)
        return endpoint

    result: UdpEndpoint | str = await ctx.memo("primary", make)
    return result


async def stun_test1(ctx: Context) -> tuple[Target, Exchange[StunReply] | None]:
    """RFC 5780 test I: a Binding from the primary socket to the STUN server."""
    target = await stun_target(ctx)
    if target.addr is None:
        return target, None
    addr = target.addr

    async def make() -> Exchange[StunReply]:
        endpoint = await primary(ctx)
        if isinstance(endpoint, str):
            return Exchange(local=("", 0), error=endpoint)
        return await binding(addr, ctx.deadline, endpoint=endpoint)

    exchange: Exchange[StunReply] = await ctx.memo(("stun", addr), make)
    return target, exchange


async def sip_options(ctx: Context, port: int) -> tuple[Target, Exchange[OptionsReply] | None]:
    """OPTIONS to one SIP port from the primary socket (or from a socket of its own when the
    SIP server is routed from another local address)."""
    target = await sip_target(ctx, port)
    if target.addr is None:
        return target, None
    addr = target.addr

    async def make() -> Exchange[OptionsReply]:
        endpoint = await primary(ctx)
        shared = None
        if not isinstance(endpoint, str):
            try:
                if local_address_for(addr[0]) == endpoint.local[0]:
                    shared = endpoint
            except OSError:
                pass
        return await send_options(addr, ctx.settings.sip_server, ctx.deadline, endpoint=shared)

    exchange: Exchange[OptionsReply] = await ctx.memo(("sip", addr), make)
    return target, exchange


async def mapping_tests(
    ctx: Context,
) -> tuple[Exchange[StunReply] | None, Exchange[StunReply] | None]:
    """RFC 5780 tests II and III (§4.3) from the primary socket, run together: Bindings to
    the alternate address with the primary port, and with the alternate port. ``(None, None)``
    when test I gave no OTHER-ADDRESS."""
    _, test1 = await stun_test1(ctx)
    reply = test1.reply if test1 else None
    other = reply.response.other_address if reply else None
    if reply is None or other is None:
        return None, None
    primary_port = reply.source[1]
    alt_ip, alt_port = other

    async def make() -> tuple[Exchange[StunReply], Exchange[StunReply]]:
        endpoint = await primary(ctx)
        if isinstance(endpoint, str):
            failed: Exchange[StunReply] = Exchange(local=("", 0), error=endpoint)
            return failed, failed
        test2, test3 = await asyncio.gather(
            binding((alt_ip, primary_port), ctx.deadline, endpoint=endpoint),
            binding((alt_ip, alt_port), ctx.deadline, endpoint=endpoint),
        )
        return test2, test3

    result: tuple[Exchange[StunReply], Exchange[StunReply]] = await ctx.memo("mapping", make)
    return result


@dataclass(frozen=True)
class FilteringObservation:
    """RFC 5780 §4.4 on a fresh socket: test I, then tests II and III sent together."""

    test1: Exchange[StunReply]
    change_both: Exchange[StunReply] | None  # CHANGE-REQUEST change IP and port
    change_port: Exchange[StunReply] | None  # CHANGE-REQUEST change port
    wait_s: float


async def filtering_tests(ctx: Context) -> tuple[Target, FilteringObservation | None]:
    target = await stun_target(ctx)
    if target.addr is None:
        return target, None
    server = target.addr

    async def make() -> FilteringObservation:
        try:
            endpoint = await open_endpoint(server[0])
        except NoSocket as exc:
            return FilteringObservation(Exchange(local=("", 0), error=str(exc)), None, None, 0)
        try:
            test1 = await binding(server, ctx.deadline, endpoint=endpoint)
            if test1.reply is None or test1.reply.response.other_address is None:
                return FilteringObservation(test1, None, None, 0)
            # A filtered reply never comes: wait a few measured RTTs, resending within that.
            wait_s = min(negative_wait_s(test1.rtt_s), ctx.remaining_s())
            loop = asyncio.get_running_loop()
            deadline = loop.time() + wait_s
            both, port_only = await asyncio.gather(
                binding(server, deadline, endpoint=endpoint, change_ip=True, change_port=True,
                        rto_s=wait_s / 3),
                binding(server, deadline, endpoint=endpoint, change_port=True,
                        rto_s=wait_s / 3),
            )
            return FilteringObservation(test1, both, port_only, wait_s)
        finally:
            endpoint.close()

    observation: FilteringObservation = await ctx.memo("filtering", make)
    return target, observation


async def preservation_bindings(ctx: Context) -> list[Exchange[StunReply]]:
    """Bindings from a few more fresh sockets at once, as several phones would make."""
    target = await stun_target(ctx)
    if target.addr is None:
        return []
    server = target.addr

    async def make() -> list[Exchange[StunReply]]:
        results = await asyncio.gather(*(binding(server, ctx.deadline)
                                         for _ in range(PRESERVATION_SOCKETS)))
        return list(results)

    result: list[Exchange[StunReply]] = await ctx.memo("preservation", make)
    return result

"""``--phones N``: does the router's NAT table have room for the flows N phones need? The
socket work behind ``nat.capacity`` (FAQ item 6: "de NAT-tabel moet voldoende groot zijn").

Each phone needs a flow for SIP, and during a call one for RTP and one for RTCP; the site needs
DNS and NTP besides. So ``3 N + 2`` new flows are opened, one socket each, paced at most one new
mapping per 20 ms (RFC 8445 §B.1's Ta, the pacing ICE uses so as not to flood a NAT), each
confirmed by a STUN Binding. A full table shows in one of two ways: new flows go unanswered
(refused), or the earliest flows stop working once later ones are made (evicted). So after the
last flow, the earliest answered ones are tested again, inbound where the server supports
RFC 5780 RESPONSE-PORT (an answer sent to the old mapping's public port proves it alive), else by
binding again from the same socket (a changed public port proves eviction; an unchanged one
proves nothing on a port-preserving NAT).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from flexdiag.addr import Addr
from flexdiag.analysis.capacity import PACING_S, flows_needed
from flexdiag.net.lifetime import Mapping, Prober
from flexdiag.net.ports import socket_failure
from flexdiag.records import CapacityProbe
from flexdiag.vocab import FlowKind

EARLIEST_TESTED = 8  # the oldest answered flows tested again after the last one is made


async def probe(server: Addr, phones: int, *, wait_s: float, flows_before: int,
                sleep: Callable[[float], object] = asyncio.sleep) -> CapacityProbe:
    """Open the flows ``phones`` need, paced, then test the earliest again.

    ``wait_s`` is how long one flow waits for its Binding answer (derived from the path's
    measured RTT by the caller); ``flows_before`` is this run's own flows already in the table.
    """
    prober = Prober(server)
    opened: list[asyncio.Task[Mapping | None]] = []
    try:
        method = await prober.detect(wait_s)
        for _ in range(flows_needed(phones)):
            opened.append(asyncio.ensure_future(prober.new(FlowKind.FRESH, timeout_s=wait_s)))
            await sleep(PACING_S)  # type: ignore[misc]
        mappings = await asyncio.gather(*opened)
        earliest = [m for m in mappings if m is not None][:EARLIEST_TESTED]
        alive = await asyncio.gather(*(prober.test(m, wait_s) for m in earliest))
        failure = prober.local_error
        return CapacityProbe(phones, flows_needed(phones), tuple(m is not None for m in mappings),
                             tuple(alive), method, flows_before, PACING_S,
                             local_failures=prober.local_failures,
                             local_error=str(failure) if failure else None,
                             local_kind=socket_failure(failure.errno) if failure else None)
    finally:
        for task in opened:
            task.cancel()
        for task in opened:
            if task.done() and not task.cancelled() and task.exception() is None:
                mapping = task.result()
                if mapping is not None:
                    prober.discard(mapping)
        prober.close()

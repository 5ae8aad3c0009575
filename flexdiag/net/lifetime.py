"""Probing how long a UDP NAT mapping survives idle time: the socket work behind
``nat.lifetime``.

Two methods, chosen by what the STUN server supports:

- ``rfc5780`` (RFC 5780 §4.6, binding lifetime discovery): socket X makes a mapping; after the
  idle time, socket Y asks the server (RESPONSE-PORT, §7.5) to answer to X's public port. An
  answer arriving on X proves X's mapping was alive; none proves it expired.
- ``rebind``: X binds again after the idle time. A changed public port proves the mapping
  expired; an unchanged one proves nothing on a port-preserving NAT (inconclusive).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from flexdiag.addr import Addr, same_addr
from flexdiag.analysis import lifetime as lt
from flexdiag.codec import stun
from flexdiag.net.probes import NoSocket, binding, open_endpoint
from flexdiag.net.udp import NotOurs, UdpEndpoint
from flexdiag.records import Exchange, Measurement, StunReply
from flexdiag.vocab import FlowKind, Method, Stopped

RFC5780 = Method.RFC5780
REBIND = Method.REBIND
PRIME_CONCURRENCY = 16  # sockets primed at once: a bounded burst towards the server


@dataclass
class Mapping:
    """A socket whose mapping is being aged."""

    endpoint: UdpEndpoint
    flow: FlowKind
    public: Addr
    last_rx: float  # event-loop time of the last packet received (the idle clock's zero)
    rtt_s: float


class Prober:
    """Opens, primes and tests mappings against one STUN server."""

    def __init__(self, server: Addr, clock: Callable[[], float] | None = None) -> None:
        self.server = server
        self.method = REBIND
        self.sent = 0  # packets sent, for the evidence and the benchmark
        self.rtt_s: float | None = None  # longest RTT seen while priming: sizes the waits
        self._clock = clock
        self._tester: UdpEndpoint | None = None
        self._gate = asyncio.Semaphore(PRIME_CONCURRENCY)
        # Sockets this computer refused (too many open files, ...): not the router's doing.
        self.local_failures = 0
        self.local_error: NoSocket | None = None

    def now(self) -> float:
        return self._clock() if self._clock else asyncio.get_running_loop().time()

    async def _bind(self, endpoint: UdpEndpoint, timeout_s: float) -> Exchange[StunReply]:
        exchange = await binding(self.server, self.now() + timeout_s, endpoint=endpoint)
        self.sent += exchange.sent
        return exchange

    async def new(self, flow: FlowKind, timeout_s: float = 3.0) -> Mapping | None:
        """A new socket with a fresh mapping; ``None`` if the server did not answer."""
        async with self._gate:
            try:
                endpoint = await open_endpoint(self.server[0])
            except NoSocket as exc:
                self.local_failures += 1
                self.local_error = self.local_error or exc
                return None
            first = await self._bind(endpoint, timeout_s)
        reply = first.reply
        if reply is None or reply.response.mapped is None or first.answered_at is None:
            endpoint.close()
            return None
        if first.rtt_s is not None:
            self.rtt_s = max(self.rtt_s or 0.0, first.rtt_s)
        return Mapping(endpoint, flow, reply.response.mapped, first.answered_at,
                       first.rtt_s or 0.0)

    async def refresh(self, mapping: Mapping, timeout_s: float = 3.0) -> None:
        """Another exchange on the mapping, as a phone's next registration would make."""
        async with self._gate:
            again = await self._bind(mapping.endpoint, timeout_s)
        if again.reply is not None and again.answered_at is not None:
            mapping.last_rx = again.answered_at
            mapping.public = again.reply.response.mapped or mapping.public

    async def detect(self, wait_s: float) -> Method:
        """Decide the method with an idle time of zero: does a RESPONSE-PORT answer reach a
        fresh mapping at once?"""
        try:
            self._tester = await open_endpoint(self.server[0])
        except NoSocket:
            return self.method
        mapping = await self.new(FlowKind.SUPPORT)
        if mapping is None:
            return self.method
        try:
            alive = await self._response_port_test(mapping, wait_s)
        finally:
            mapping.endpoint.close()
        self.method = RFC5780 if alive else REBIND
        return self.method

    async def test(self, mapping: Mapping, wait_s: float) -> bool | None:
        """Is the mapping still alive now? (``None``: cannot tell.) Closes its socket."""
        try:
            if self.method == RFC5780:
                return await self._response_port_test(mapping, wait_s)
            return await self._rebind_test(mapping, wait_s)
        finally:
            self.discard(mapping)

    def discard(self, mapping: Mapping) -> None:
        """Close a mapping's socket without testing it."""
        mapping.endpoint.close()

    async def _response_port_test(self, mapping: Mapping, wait_s: float) -> bool:
        assert self._tester is not None
        transaction_id = stun.new_transaction_id()
        request = stun.build_binding_request(transaction_id, response_port=mapping.public[1])

        def accept(data: bytes, source: Addr) -> bool:
            if not same_addr(source, self.server):
                raise NotOurs("not from the STUN server")
            if stun.parse_binding_response(data).transaction_id != transaction_id:
                raise NotOurs("STUN response for another transaction")
            return True

        deadline = self.now() + wait_s
        listen = asyncio.ensure_future(
            mapping.endpoint.exchange(None, self.server, accept, deadline))
        # The request goes out twice within the wait, so that one lost datagram is not
        # mistaken for an expired mapping.
        for copy in range(2):
            self._tester.send(request, self.server)
            self.sent += 1
            if copy == 0:
                await asyncio.wait({listen}, timeout=wait_s / 2)
                if listen.done():
                    break
        result = await listen
        return result.reply is not None

    async def _rebind_test(self, mapping: Mapping, wait_s: float) -> bool | None:
        exchange = await self._bind(mapping.endpoint, max(wait_s, 1.0))
        if exchange.reply is None or exchange.reply.response.mapped is None:
            return None
        return None if same_addr(exchange.reply.response.mapped, mapping.public) else False

    def close(self) -> None:
        if self._tester is not None:
            self._tester.close()


class ProberLike(Protocol):
    """What the scheduler needs from a prober (the real one is :class:`Prober`; tests use
    one on a fake clock)."""

    method: Method
    sent: int

    async def new(self, flow: FlowKind) -> Any: ...
    async def refresh(self, mapping: Any) -> None: ...
    async def test(self, mapping: Any, wait_s: float) -> bool | None: ...
    def discard(self, mapping: Any) -> None: ...


async def measure(
    prober: ProberLike,
    *,
    registration_s: float,
    budget_s: float,
    wait_s: float,
    now: Callable[[], float],
    sleep: Callable[[float], Awaitable[bool]],
    on_progress: Callable[[Measurement], None] | None = None,
    result: Measurement | None = None,
) -> Measurement:
    """Prime a ladder of mappings per flow kind, then test each when its idle time is due.

    Seeing a lifetime of T takes at least T of waiting, so every rung of the ladder is a socket
    of its own, all primed at the start and tested when their idle time comes due (in time
    order). ``sleep(seconds)`` returns ``False`` when interrupted (Ctrl-C). Stops as soon as
    the answer is known (:func:`_known`), at the budget, or on interruption. ``result``, when
    given, is filled in as the measurement goes (a caller that abandons it keeps the probes).
    """
    start = now()
    top = max(lt.FIRST_RUNG_S, min(registration_s, budget_s - lt.ESTABLISH_GAP_S - 2 * wait_s))
    result = result if result is not None else Measurement()
    result.rungs = lt.ladder(top)
    queue, primed = await _prime(prober, result, sleep)
    if not queue:
        result.stopped = Stopped.NO_MAPPING
    try:
        await _test_in_time_order(prober, result, queue, start=start, budget_s=budget_s,
                                  targets={FlowKind.ESTABLISHED: top, FlowKind.FRESH: top},
                                  wait_s=wait_s, now=now, sleep=sleep,
                                  on_progress=on_progress)
    finally:
        for mapping in primed:  # discarding is idempotent: tested ones are closed
            prober.discard(mapping)
    result.elapsed_s = now() - start
    return result


_Due = tuple[float, int, Any]


def _known(m: Measurement, decided: dict[FlowKind, bool]) -> bool:
    """Enough to judge: the phone's flow (fresh: register, then idle) is decided, and the
    established flow is decided too or already seen to outlive the fresh one (all that the
    keep-alive advice needs)."""
    if not decided[FlowKind.FRESH]:
        return False
    fresh, established = m.bracket(FlowKind.FRESH), m.bracket(FlowKind.ESTABLISHED)
    outlives = (established.alive_s is not None and fresh.expired_s is not None
                and established.alive_s > fresh.expired_s)
    return decided[FlowKind.ESTABLISHED] or outlives


async def _prime(prober: ProberLike, result: Measurement,
                 sleep: Callable[[float], Awaitable[bool]]) -> tuple[list[_Due], list[Any]]:
    """Open one mapping per rung and flow kind; the due times, in order."""
    # Established first (its priming needs the gap), then fresh, so both ladders start at once.
    established = await asyncio.gather(*(prober.new(FlowKind.ESTABLISHED)
                                         for _ in result.rungs))
    if not await sleep(lt.ESTABLISH_GAP_S):
        result.stopped = Stopped.INTERRUPTED
    await asyncio.gather(*(prober.refresh(m) for m in established if m is not None))
    fresh = await asyncio.gather(*(prober.new(FlowKind.FRESH) for _ in result.rungs))
    primed = [m for m in (*established, *fresh) if m is not None]
    queue = sorted(
        ((m.last_rx + rung, i, m) for ladder in (established, fresh)
         for i, (m, rung) in enumerate(zip(ladder, result.rungs, strict=True)) if m is not None),
        key=lambda item: (item[0], item[1]))
    return queue, primed


async def _test_in_time_order(
    prober: ProberLike, result: Measurement, queue: list[_Due], *, start: float,
    budget_s: float, targets: dict[FlowKind, float], wait_s: float,
    now: Callable[[], float], sleep: Callable[[float], Awaitable[bool]],
    on_progress: Callable[[Measurement], None] | None,
) -> None:
    decided = dict.fromkeys(targets, False)
    for due, _, mapping in queue:
        if result.stopped in (Stopped.DECIDED, Stopped.INTERRUPTED) or due - start > budget_s:
            return
        if decided[mapping.flow]:
            continue
        if not await sleep(max(0.0, due - now())):
            result.stopped = Stopped.INTERRUPTED
            return
        idle_s = now() - mapping.last_rx
        alive = await prober.test(mapping, wait_s)
        result.probes.append(lt.Probe(mapping.flow, round(idle_s, 3), alive))
        decided[mapping.flow] = lt.decided(result.bracket(mapping.flow), targets[mapping.flow])
        result.elapsed_s = now() - start
        if _known(result, decided):
            result.stopped = Stopped.DECIDED
        if on_progress is not None:
            on_progress(result)

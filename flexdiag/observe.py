"""Observations: what the network says, each made once per run by a cached coroutine.

The one place between the socket code (:mod:`flexdiag.net`) and the pure checks. An
:class:`Observer` starts every observation a run needs at once (:meth:`Observer.start`), each
bounded by the run's deadline; a check awaits the ones it declared and judges the typed
:class:`~flexdiag.records.Observations` snapshot it is given.

The *primary socket* is one local UDP socket that does what a phone's SIP socket does: it asks
the STUN server for its public address (RFC 5780 test I) and sends OPTIONS to every SIP port.
Because one socket is seen by several servers, their views can be compared: that is how
``nat.mapping`` decides without an RFC 5780 server, and how ``sip.alg`` spots rewriting.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from flexdiag import advice
from flexdiag.analysis import lifetime as lt
from flexdiag.analysis.capacity import admitted_flows, flows_needed
from flexdiag.net import flows
from flexdiag.net.dns import Resolver
from flexdiag.net.flows import FlowLog
from flexdiag.net.ports import PRESERVATION_SOCKETS, Role, socket_failure, stable_port
from flexdiag.net.probes import NoSocket, binding, ntp_query, open_endpoint, send_options
from flexdiag.net.udp import UdpEndpoint, local_address_for
from flexdiag.records import (
    LARGE_SIZES,
    CallObservation,
    CapacityProbe,
    Exchange,
    FilteringTests,
    Firewalk,
    FixedPortProbe,
    Flow,
    HostNetwork,
    LargeProbe,
    LifetimeObservation,
    MappingTests,
    Measurement,
    MediaProbe,
    NtpSample,
    Obs,
    Observations,
    OptionsReply,
    PhonePortProbes,
    Resolution,
    StunReply,
    Upstream,
)
from flexdiag.settings import Settings, alternative_port
from flexdiag.vocab import MEDIA_PORTS, CheckId, LifetimeMode, Stopped

# Share of the overall budget that name resolution may take, so that the exchanges which
# depend on it still have time for retransmissions.
DNS_BUDGET_SHARE = 0.4
# Share of the budget after which exchanges stop waiting, leaving room to report.
EXCHANGE_BUDGET_SHARE = 0.95
# Negative tests (waiting for a reply that may rightly never come) wait this many RTTs of an
# exchange already measured on the same path, within these bounds, instead of a fixed ladder.
NEGATIVE_WAIT_RTTS = 4.0
NEGATIVE_WAIT_MIN_S = 0.25
NEGATIVE_WAIT_MAX_S = 2.0

_DNS_NAMES: dict[Obs, Callable[[Settings], str]] = {
    Obs.DNS_VOIP: lambda s: s.sip_server,
    Obs.DNS_STUN: lambda s: s.stun_server.host,
    Obs.DNS_NTP: lambda s: s.ntp_server.host,
}


T = TypeVar("T")


def negative_wait_s(rtt_s: float | None) -> float:
    """How long to wait for a reply that may be filtered, given the path's measured RTT."""
    if rtt_s is None:
        return NEGATIVE_WAIT_MIN_S
    return min(NEGATIVE_WAIT_MAX_S, max(NEGATIVE_WAIT_MIN_S, NEGATIVE_WAIT_RTTS * rtt_s))


def _failed(reason: str) -> Exchange[Any]:
    return Exchange(local=("", 0), error=reason)


@dataclass
class Observer:
    """Makes a run's observations, each once, all at once; a snapshot for each check."""

    settings: Settings
    wall_clock: Callable[[], float] = time.time
    start: float = 0.0  # event-loop time at which the run started
    interrupt: asyncio.Event | None = None  # set on Ctrl-C: slow observations end early
    on_progress: Callable[[str, str], None] | None = None  # (check id, text) for live display
    lifetime_mode: LifetimeMode = LifetimeMode.FULL  # HORIZON: the default run's horizon
    # The test call's passwords (--call-accounts), in the accounts' order: used for digests
    # only, never recorded (repr hides them).
    call_passwords: tuple[str, ...] = field(default=(), repr=False)
    _tasks: dict[Any, asyncio.Task[Any]] = field(default_factory=dict)
    _closers: list[Callable[[], None]] = field(default_factory=list)
    flow_log: FlowLog = field(default_factory=FlowLog)
    _flow_token: Any = None
    resolver: Resolver = field(init=False)  # one socket per resolver for all the run's names

    def __post_init__(self) -> None:
        self.resolver = Resolver(self.settings.dns_server)
        self._closers.append(self.resolver.close)

    # --- budgets -------------------------------------------------------------------------

    @property
    def dns_timeout_s(self) -> float:
        return self.settings.timeout_s * DNS_BUDGET_SHARE

    @property
    def deadline(self) -> float:
        """Event-loop time by which every exchange gives up."""
        return self.start + self.settings.timeout_s * EXCHANGE_BUDGET_SHARE

    def remaining_s(self) -> float:
        return max(0.0, self.deadline - asyncio.get_running_loop().time())

    # --- the cache -----------------------------------------------------------------------

    def _once(self, key: Any, factory: Callable[[], Awaitable[Any]]) -> Awaitable[Any]:
        """Start ``factory()`` once per key; every caller awaits the same task."""
        task = self._tasks.get(key)
        if task is None:
            task = asyncio.ensure_future(factory())
            self._tasks[key] = task
        return asyncio.shield(task)

    def start_all(self, keys: Iterable[Obs]) -> None:
        """Start every observation in ``keys`` now (the run's concurrency). Every socket they
        open notes its flows in this run's :attr:`flow_log`."""
        if self._flow_token is None:
            self._flow_token = flows.CURRENT.set(self.flow_log)
        for key in keys:
            self.observe(key)

    async def _quick_ones_done(self) -> None:
        """Until the quick run's other observations are done (bounded by the deadline)."""
        quick = [t for k, t in self._tasks.items()
                 if k not in (Obs.FLOWS, Obs.CAPACITY, Obs.LIFETIME, Obs.MEDIA,
                              Obs.MEDIA_PORTS, Obs.CALL)
                 and not t.done()]
        if quick:
            await asyncio.wait(quick, timeout=self.remaining_s() + 0.5)

    async def wait(self, keys: Iterable[Obs]) -> None:
        """Until every observation in ``keys`` is made."""
        await asyncio.gather(*(self.observe(k) for k in keys))

    def snapshot(self, keys: Iterable[Obs]) -> Observations:
        """The finished observations in ``keys``, typed, for a pure check."""
        wanted = set(keys)
        done = {k: t.result() for k, t in self._tasks.items()
                if k in wanted and t.done() and not t.cancelled() and t.exception() is None}
        resolutions = {k: v for k, v in done.items() if k in _DNS_NAMES}

        def got(make: Callable[[Observer], Awaitable[T]], default: T) -> T:
            # Typed by the maker: mypy checks that each observation has the type
            # Observations declares for it.
            return cast(T, done.get(_KEY_OF[make], default))

        return Observations(
            settings=self.settings, resolutions=resolutions,
            stun=got(Observer._stun, None), preservation=got(Observer._preservation, ()),
            mapping=got(Observer._mapping, None), filtering=got(Observer._filtering, None),
            sip=got(Observer._sip, {}), phone_sip=got(Observer._phone_sip, None),
            large=got(Observer._large, {}), ntp=got(Observer._ntp, None),
            lifetime=got(Observer._lifetime, None), capacity=got(Observer._capacity, None),
            media=got(Observer._media, None), media_ports=got(Observer._media_ports, None),
            flows=got(Observer._flows, ()), call=got(Observer._call, None),
            host=got(Observer._host, None), upstream=got(Observer._upstream, None),
        )

    def primary_address(self) -> str | None:
        """The local address of the primary socket (the one routed towards the platform)."""
        task = self._tasks.get("primary")
        if task is None or not task.done() or task.cancelled() or task.exception() is not None:
            return None
        endpoint = task.result()
        return None if isinstance(endpoint, str) else endpoint.local[0]

    def close(self) -> None:
        """Cancel observations nobody awaited to the end and release shared resources."""
        for task in self._tasks.values():
            task.cancel()
        for closer in self._closers:
            closer()
        if self._flow_token is not None:
            flows.CURRENT.reset(self._flow_token)
            self._flow_token = None

    def progress(self, check_id: str, text: str) -> None:
        if self.on_progress is not None:
            self.on_progress(check_id, text)

    async def interruptible_sleep(self, seconds: float) -> bool:
        """Sleep; ``False`` when interrupted (Ctrl-C) before the time was up."""
        if self.interrupt is None:
            await asyncio.sleep(seconds)
            return True
        try:
            await asyncio.wait_for(self.interrupt.wait(), seconds)
        except TimeoutError:
            return True
        return False

    # --- observations --------------------------------------------------------------------

    def _maker(self, key: Obs) -> Callable[[], Awaitable[Any]]:
        if key in _DNS_NAMES:
            name = _DNS_NAMES[key](self.settings)
            return lambda: self.resolver.resolve(name, self.dns_timeout_s)
        make = MAKERS[key]
        return lambda: make(self)

    def observe(self, key: Obs) -> Awaitable[Any]:
        """The (cached) observation ``key``, started now if it was not yet."""
        return self._once(key, self._maker(key))

    async def _address(self, key: Obs) -> str | None:
        resolution: Resolution = await self.observe(key)
        return resolution.preferred()

    async def stun_server(self) -> tuple[str, int] | None:
        ip = await self._address(Obs.DNS_STUN)
        return (ip, self.settings.stun_server.port) if ip else None

    async def primary(self) -> UdpEndpoint | str:
        """The primary socket (or why there is none), bound to the source address routed
        towards the STUN server, or the SIP server when STUN did not resolve."""

        async def make() -> UdpEndpoint | str:
            ip = await self._address(Obs.DNS_STUN) or await self._address(Obs.DNS_VOIP)
            if ip is None:
                return "no server address to send to"
            try:
                endpoint = await open_endpoint(ip, stable_port(Role.PRIMARY))
            except NoSocket as exc:
                return str(exc)
            self._closers.append(endpoint.close)
            return endpoint

        result: UdpEndpoint | str = await self._once("primary", make)
        return result

    async def _stun(self) -> Exchange[StunReply] | None:
        """RFC 5780 test I: a Binding from the primary socket to the STUN server."""
        server = await self.stun_server()
        if server is None:
            return None
        endpoint = await self.primary()
        if isinstance(endpoint, str):
            return _failed(endpoint)
        return await binding(server, self.deadline, endpoint=endpoint)

    async def _preservation(self) -> tuple[Exchange[StunReply], ...]:
        """Bindings from a few more fresh sockets at once, as several phones would make."""
        server = await self.stun_server()
        if server is None:
            return ()
        return tuple(await asyncio.gather(*(
            binding(server, self.deadline, port=stable_port(Role.PRESERVATION, i))
            for i in range(PRESERVATION_SOCKETS))))

    async def _mapping(self) -> MappingTests | None:
        """RFC 5780 tests II and III (§4.3) from the primary socket, run together: Bindings
        to the alternate address with the primary port, and with the alternate port
        (``None`` when test I gave no OTHER-ADDRESS)."""
        test1 = await self.observe(Obs.STUN)
        reply = test1.reply if test1 is not None else None
        other = reply.response.other_address if reply is not None else None
        endpoint = await self.primary()
        if reply is None or other is None or isinstance(endpoint, str):
            return None
        alt_ip, alt_port = other
        test2, test3 = await asyncio.gather(
            binding((alt_ip, reply.source[1]), self.deadline, endpoint=endpoint),
            binding((alt_ip, alt_port), self.deadline, endpoint=endpoint),
        )
        return MappingTests(test2, test3)

    async def _filtering(self) -> FilteringTests | None:
        """RFC 5780 §4.4 on a fresh socket: test I, then tests II and III sent together,
        waiting a few measured RTTs for answers that a filtering NAT rightly drops."""
        server = await self.stun_server()
        if server is None:
            return None
        try:
            endpoint = await open_endpoint(server[0], stable_port(Role.FILTERING))
        except NoSocket as exc:
            return FilteringTests(_failed(str(exc)))
        try:
            test1 = await binding(server, self.deadline, endpoint=endpoint)
            if test1.reply is None or test1.reply.response.other_address is None:
                return FilteringTests(test1)
            wait_s = min(negative_wait_s(test1.rtt_s), self.remaining_s())
            deadline = asyncio.get_running_loop().time() + wait_s
            both, port_only = await asyncio.gather(
                binding(server, deadline, endpoint=endpoint, change_ip=True, change_port=True,
                        rto_s=wait_s / 3),
                binding(server, deadline, endpoint=endpoint, change_port=True,
                        rto_s=wait_s / 3),
            )
            return FilteringTests(test1, both, port_only, wait_s)
        finally:
            endpoint.close()

    async def _sip_one(self, port: int) -> Exchange[OptionsReply] | None:
        """OPTIONS to one SIP port from the primary socket (or from a socket of its own when
        the SIP server is routed from another local address)."""
        ip = await self._address(Obs.DNS_VOIP)
        if ip is None:
            return None
        addr = (ip, port)

        async def make() -> Exchange[OptionsReply]:
            return await send_options(addr, self.settings.sip_server, self.deadline,
                                      endpoint=await self._sip_endpoint(ip))

        result: Exchange[OptionsReply] = await self._once(("sip", port), make)
        return result

    async def _sip_endpoint(self, ip: str) -> UdpEndpoint | None:
        """The primary socket, where the SIP server is routed from its address (``None``:
        a socket of its own). Sharing it keeps flexdiag's footprint in the NAT table small:
        every SIP exchange to a port rides the flow the first one made."""
        endpoint = await self.primary()
        if isinstance(endpoint, str):
            return None
        try:
            return endpoint if local_address_for(ip) == endpoint.local[0] else None
        except OSError:
            return None

    async def _sip(self) -> dict[int, Exchange[OptionsReply]]:
        ports = self.settings.sip_ports
        results = await asyncio.gather(*(self._sip_one(p) for p in ports))
        return {p: r for p, r in zip(ports, results, strict=True) if r is not None}

    async def _fixed_port(self, ip: str, local_port: int) -> FixedPortProbe:
        """OPTIONS to every SIP port from one socket bound to ``local_port``."""
        try:
            endpoint = await UdpEndpoint.open(local_address_for(ip), local_port)
        except OSError as exc:
            return FixedPortProbe(local_port, error=f"cannot send from local port "
                                                    f"{local_port}: {exc.strerror or exc}",
                                  error_kind=socket_failure(exc.errno))
        ports = self.settings.sip_ports
        try:
            results = await asyncio.gather(*(
                send_options((ip, p), self.settings.sip_server, self.deadline, endpoint=endpoint)
                for p in ports))
        finally:
            endpoint.close()
        return FixedPortProbe(local_port, dict(zip(ports, results, strict=True)))

    async def _phone_sip(self) -> PhonePortProbes | None:
        """As a phone sends: from its own local SIP port (5060 unless set otherwise), to every
        SIP port; beside it, from an alternative local port, sent at the same time so that a
        blocked phone port costs no extra wait."""
        ip = await self._address(Obs.DNS_VOIP)
        if ip is None:
            return None
        port = self.settings.local_sip_port
        phone, alternative = await asyncio.gather(self._fixed_port(ip, port),
                                                  self._fixed_port(ip, alternative_port(port)))
        return PhonePortProbes(phone, alternative)

    async def _large_one(self, port: int) -> LargeProbe | None:
        """Large OPTIONS sent with the small one; after the small one answers, a few of its
        RTTs for the large ones (they are judged against it, not against a fixed wait)."""
        ip = await self._address(Obs.DNS_VOIP)
        if ip is None:
            return None
        addr = (ip, port)
        stop = asyncio.Event()
        shared = await self._sip_endpoint(ip)  # the small request's flow: no new ones
        large = [asyncio.ensure_future(send_options(addr, self.settings.sip_server,
                                                    self.deadline, size=size, stop=stop,
                                                    endpoint=shared))
                 for size in LARGE_SIZES]
        try:
            small = await self._sip_one(port)
            if small is None or small.reply is None or small.answered_at is None:
                stop.set()
                await asyncio.gather(*large)
                return LargeProbe(small=False)
            wait_s = negative_wait_s(small.rtt_s)
            asyncio.get_running_loop().call_at(small.answered_at + wait_s, stop.set)
            results = await asyncio.gather(*large)
        finally:
            stop.set()
            for task in large:
                task.cancel()
        return LargeProbe(
            small=True, wait_s=round(wait_s, 3),
            arrived={s: r.reply is not None for s, r in zip(LARGE_SIZES, results, strict=True)},
            errors={s: r.error for s, r in zip(LARGE_SIZES, results, strict=True) if r.error})

    async def _large(self) -> dict[int, LargeProbe]:
        ports = self.settings.sip_ports
        results = await asyncio.gather(*(self._large_one(p) for p in ports))
        return {p: r for p, r in zip(ports, results, strict=True) if r is not None}

    async def _ntp(self) -> Exchange[NtpSample] | None:
        ip = await self._address(Obs.DNS_NTP)
        if ip is None:
            return None
        return await ntp_query((ip, self.settings.ntp_server.port), self.deadline,
                               self.wall_clock, port=stable_port(Role.NTP))

    async def _media(self) -> MediaProbe | None:
        """The RTP-paced probe (``media.quality``), from a port in the RTP range."""
        from flexdiag.net import media

        server = await self.stun_server()
        if server is None:
            return None
        return await media.probe(server, self.settings.media_seconds, stop=self.interrupt)

    async def _media_ports(self) -> Firewalk | None:
        """TTL-limited probes to the platform's media ports (``media.ports``)."""
        from flexdiag.net import media

        server = await self.stun_server()
        if server is None:
            return None
        return await media.firewalk(server, media_targets(self.settings), stop=self.interrupt)

    async def _lifetime(self) -> LifetimeObservation | None:
        """The slow one: how long idle mappings live (``nat.lifetime``)."""
        from flexdiag.net.lifetime import Prober, measure

        # Its flows are not the quick run's: RESPONSE-PORT testers are unanswered by design,
        # and would read as a full table (this task's context only).
        flows.CURRENT.set(None)
        server = await self.stun_server()
        if server is None:
            return None
        settings = self.settings
        target_s, budget_s = lt.target_and_budget_s(
            self.lifetime_mode, settings.registration_time_s, settings.horizon_s,
            settings.max_wait_s)
        prober = Prober(server)
        measurement = Measurement()

        async def work() -> None:
            # Support detection waits generously (the RTT is not known yet); every later test
            # waits a few RTTs of the path, as measured while priming the first mapping.
            await prober.detect(4 * negative_wait_s(None))
            await measure(
                prober, registration_s=target_s, budget_s=budget_s,
                wait_s=negative_wait_s(prober.rtt_s),
                now=asyncio.get_running_loop().time, sleep=self.interruptible_sleep,
                result=measurement)

        async def countdown() -> None:
            # The live line counts down once a second, between the tests as well.
            began = asyncio.get_running_loop().time()
            while True:
                elapsed = asyncio.get_running_loop().time() - began
                self._lifetime_progress(measurement, budget_s, elapsed)
                await asyncio.sleep(1.0)

        ticker = asyncio.ensure_future(countdown()) if self.on_progress is not None else None
        try:
            if not await self._unless_interrupted(work()):
                measurement.stopped = Stopped.INTERRUPTED
        finally:
            if ticker is not None:
                ticker.cancel()
            prober.close()
        return LifetimeObservation(prober.method, measurement, budget_s, prober.sent, target_s)

    async def _unless_interrupted(self, work: Awaitable[None]) -> bool:
        """Run ``work``; on Ctrl-C abandon it at once (its own waits, such as priming
        against a silent server, need not notice). ``False`` when abandoned."""
        task = asyncio.ensure_future(work)
        if self.interrupt is None:
            await task
            return True
        stopper = asyncio.ensure_future(self.interrupt.wait())
        try:
            await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if task.done():
                task.result()
                return True
            # Interrupted: measure() ends by itself at its next sleep; anything else stops.
            done, _ = await asyncio.wait({task}, timeout=0.5)
            if not done:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
            return False
        finally:
            stopper.cancel()

    async def _flows(self) -> tuple[Flow, ...]:
        """The flows this run opened, once its other quick observations are done."""
        await self._quick_ones_done()
        return self.flow_log.flows()

    async def _capacity(self) -> CapacityProbe | None:
        """``--phones N``: room in the NAT table for the phones' flows, probed after the quick
        observations (so that their flows are in the table, and counted)."""
        from flexdiag.net import capacity

        phones = self.settings.phones
        server = await self.stun_server()
        if not phones or server is None:
            return None
        await self._quick_ones_done()
        flows.CURRENT.set(None)  # the probe's flows are counted by the probe itself
        before = admitted_flows(self.flow_log.flows())  # the run's own, before the probe
        test1 = await self.observe(Obs.STUN)
        rtt = test1.rtt_s if test1 is not None else None
        self.progress(CheckId.NAT_CAPACITY, f"opening {flows_needed(phones)} flows")
        return await capacity.probe(server, phones, wait_s=max(1.0, negative_wait_s(rtt)),
                                    flows_before=before)

    async def _host(self) -> HostNetwork:
        """Where this computer sits (``host.network``): read from the OS, with the local
        address routed towards the platform's SIP server (or STUN server)."""
        from flexdiag.net import host

        ip = await self._address(Obs.DNS_VOIP) or await self._address(Obs.DNS_STUN)
        local = None
        if ip is not None:
            try:
                local = local_address_for(ip)
            except OSError:
                local = None
        # Off the event loop: the maker's lookup scans the IEEE's list (megabytes).
        return await asyncio.to_thread(host.network, local)

    async def _upstream(self) -> Upstream | None:
        """``nat.upstream``: the gateway's NAT-PMP answer and the first hops towards the STUN
        server."""
        from flexdiag.net import upstream

        server = await self.stun_server()
        if server is None:
            return None
        host: HostNetwork = await self.observe(Obs.HOST)
        return await upstream.probe(server, host.gateway, self.deadline)

    async def _call(self) -> CallObservation | None:
        """``--call-accounts A,B``: a test call through the platform (``call.*``), once the
        quick observations are done (A registers from the phones' local port, which the
        quick run probes from too)."""
        from flexdiag.checks.call import idle_s
        from flexdiag.net.call import Account, CallPlan, place_call

        settings = self.settings
        ip = await self._address(Obs.DNS_VOIP)
        if ip is None or len(settings.call_accounts) != 2:
            return None
        await self._quick_ones_done()
        flows.CURRENT.set(None)  # a call's flows are its own, not the quick run's footprint
        passwords = (*self.call_passwords, "", "")[:2]
        # On the port a phone would use: the first SIP port that answered from the phones' own
        # local port (as the plan chooses it), else the first configured.
        probes = await self.observe(Obs.PHONE_SIP)
        port = next((p for p in settings.sip_ports
                     if probes is not None and probes.phone.answered(p)), settings.sip_ports[0])
        idle, basis = idle_s(settings)
        plan = CallPlan(
            server=(ip, port), domain=settings.sip_server,
            a=Account(settings.call_accounts[0], passwords[0]),
            b=Account(settings.call_accounts[1], passwords[1]),
            phone_port=settings.local_sip_port, idle_s=idle, idle_basis=basis,
            media_s=settings.call_seconds, expires=settings.registration_time_s)
        return await place_call(plan, sleep=self.interruptible_sleep,
                               progress=lambda text: self.progress(CheckId.CALL_INCOMING, text))

    def _lifetime_progress(self, m: Measurement, budget_s: float, elapsed_s: float) -> None:
        b = m.bracket(lt.PHONE_FLOW)
        self.progress(CheckId.NAT_LIFETIME,
                      advice.lifetime_progress(budget_s - elapsed_s, b.alive_s, b.expired_s))


# The typed registry: which coroutine makes each observation (the DNS names aside).
MAKERS: dict[Obs, Callable[[Observer], Awaitable[Any]]] = {
    Obs.STUN: Observer._stun,
    Obs.PRESERVATION: Observer._preservation,
    Obs.MAPPING: Observer._mapping,
    Obs.FILTERING: Observer._filtering,
    Obs.SIP: Observer._sip,
    Obs.PHONE_SIP: Observer._phone_sip,
    Obs.LARGE: Observer._large,
    Obs.NTP: Observer._ntp,
    Obs.LIFETIME: Observer._lifetime,
    Obs.CAPACITY: Observer._capacity,
    Obs.MEDIA: Observer._media,
    Obs.MEDIA_PORTS: Observer._media_ports,
    Obs.FLOWS: Observer._flows,
    Obs.CALL: Observer._call,
    Obs.HOST: Observer._host,
    Obs.UPSTREAM: Observer._upstream,
}
_KEY_OF: dict[Callable[[Observer], Awaitable[Any]], Obs] = {m: k for k, m in MAKERS.items()}

MEDIA_PORT_SAMPLES = 6  # ports per address, one in each sixth of the range
MEDIA_ADDRESSES = 2  # per range: its first host and one in the middle


def media_targets(settings: Settings) -> list[tuple[str, int]]:
    """Where ``media.ports`` sends: a few addresses of each IPv4 media range, each on ports
    spread across 10000-20000 (at most a few dozen datagrams in all)."""
    import ipaddress
    import random

    low, high = MEDIA_PORTS
    step = (high - low) // MEDIA_PORT_SAMPLES
    ports = [random.randrange(low + i * step, low + (i + 1) * step)
             for i in range(MEDIA_PORT_SAMPLES)]
    targets = []
    for net in settings.media_networks:
        if not isinstance(net, ipaddress.IPv4Network):
            continue
        hosts = {net.network_address + min(1, net.num_addresses - 1),
                 net.network_address + net.num_addresses // 2}
        for host in sorted(hosts)[:MEDIA_ADDRESSES]:
            targets += [(str(host), port) for port in ports]
    return targets

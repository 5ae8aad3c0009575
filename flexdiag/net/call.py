"""A test call through the platform (``call.*``): two SIP parties and their RTP, on the
project's own UDP endpoint, SIP codec and retransmission timer.

A is the phone: it registers from the phones' local SIP port (as a phone would), then stays
idle, as a phone between two calls does. B is the caller, on a port of its own. After the idle
time B calls A through the platform; A answers at once but holds back its first audio packet
for a moment, so that what FAQ item 4 describes is visible (the platform sends audio to the
phone's translated port only once the phone has sent). Both send 20 ms G.711 packets for a few
seconds; B hangs up; both unregister (Expires: 0) -- also on Ctrl-C and on errors.

Every wait is bounded; every datagram that is not ours is counted and ignored. Passwords are
used only to compute digests (:mod:`flexdiag.codec.digest`) and are never recorded.
"""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from flexdiag.addr import Addr, format_addr
from flexdiag.analysis.call import HOLD_S, TAIL_S
from flexdiag.codec import digest, rtp, sdp, sipcall
from flexdiag.codec.sip import SipRequest, SipResponse, parse_request, parse_response
from flexdiag.net.ports import rtp_ports
from flexdiag.net.timer import Retransmissions
from flexdiag.net.udp import UdpEndpoint, local_address_for
from flexdiag.records import CallEvent, CallObservation, Registration, RtpStream
from flexdiag.vocab import Stopped

T2_S = 4.0  # RFC 3261 §17.1.2.2: non-INVITE retransmissions cap at T2
REGISTER_WAIT_S = 8.0  # a REGISTER (with its challenge) is given this long
ANSWER_WAIT_S = 10.0  # the caller waits this long for a final answer to its INVITE
CANCEL_WAIT_S = 4.0
BYE_WAIT_S = 4.0
MAX_AUTH = 2  # challenges answered per request (a second only when the nonce was stale)
MAX_KEEPALIVES_KEPT = 20


@dataclass(frozen=True)
class Account:
    """An account on the SIP server: its user part, and its password (never shown)."""

    user: str
    password: str = field(repr=False)


@dataclass
class Timeline:
    """The call's events, on seconds since it began."""

    start: float
    events: list[CallEvent] = field(default_factory=list)

    def add(self, party: str, event: str, detail: str = "") -> None:
        t = asyncio.get_running_loop().time() - self.start
        self.events.append(CallEvent(round(t, 3), party, event, detail))


@dataclass
class _Answer:
    """A client transaction's outcome."""

    final: SipResponse | None = None
    provisional: list[int] = field(default_factory=list)
    sent: int = 0
    error: str | None = None


@dataclass
class _Auth:
    """The answer to a server's challenge as the next request carries it (§22.2)."""

    value: str | None = None
    header: str = "Authorization"
    algorithm: str | None = None
    answered: int = 0


class Party:
    """One SIP user agent on its own UDP socket: client transactions (RFC 3261 §17.1) and the
    server side a called phone needs (§17.2: answer INVITE, OPTIONS, NOTIFY, BYE)."""

    def __init__(self, name: str, endpoint: UdpEndpoint, account: Account, domain: str,
                 server: Addr, timeline: Timeline) -> None:
        self.name = name
        self.endpoint = endpoint
        self.account = account
        self.server = server
        self.timeline = timeline
        # The registration's identifiers (one Call-ID for all of a UA's REGISTERs, RFC 3261
        # §10.2.4), and the call's (a new Call-ID and tag).
        self.reg = sipcall.Leg(account.user, domain, endpoint.local)
        self.leg = sipcall.Leg(account.user, domain, endpoint.local)
        self._tx: dict[tuple[str, str], asyncio.Queue[SipResponse]] = {}
        self.invite_branch, self.invite_cseq = "", 0
        self.invite_received: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.acked = asyncio.Event()
        self.bye_received = asyncio.Event()
        self.answer_sdp: bytes | None = None  # set on A: what it answers an INVITE with
        self.offer: sdp.Media | None = None  # on A: the offer the INVITE carried
        self.uas: sipcall.Leg | None = None  # on A: the dialog the INVITE made
        self._final: dict[str, bytes] = {}  # branch -> our last response, for retransmissions
        self.requests_seen: list[str] = []
        self.ignored = 0
        self._ack_of: dict[str, bytes] = {}  # Call-ID -> our ACK, re-sent on 2xx retransmission
        endpoint.on_datagram = self._datagram

    # --- receiving -----------------------------------------------------------------------

    def _datagram(self, data: bytes, source: Addr, at: float) -> None:
        if data in (b"\r\n\r\n", b"\r\n"):  # RFC 5626 §4.4.1 CRLF keep-alive
            return
        try:
            if data.startswith(b"SIP/2.0 "):
                self._response(parse_response(data))
            else:
                self._request(parse_request(data), source)
        except ValueError:
            self.ignored += 1  # malformed: evidence, never a crash

    def _response(self, response: SipResponse) -> None:
        """To its client transaction (§17.1.3: branch and CSeq method); a final answer to an
        INVITE whose transaction is over is ACKed again (§17.1.1.3, §13.2.2.4)."""
        branch = sipcall.branch_of(response) or ""
        cseq = sipcall.cseq_of(response)
        method = cseq[1] if cseq else ""
        queue = self._tx.get((branch, method))
        if queue is not None:
            queue.put_nowait(response)
            return
        if method == "INVITE" and response.status_code >= 200 and branch == self.invite_branch:
            if response.status_code >= 300:
                self.endpoint.send(sipcall.ack_failure(self.leg, branch, self.invite_cseq,
                                                       response.header("to") or ""),
                                   self.server)
                return
            ack = self._ack_of.get(response.header("call-id") or "")
            if ack:
                self.endpoint.send(ack, self.server)
                return
        self.ignored += 1

    def _request(self, req: SipRequest, source: Addr) -> None:
        branch = sipcall.branch_of(req) or ""
        if req.method == "ACK":
            if self.uas is not None and req.header("call-id") == self.uas.call_id:
                if not self.acked.is_set():
                    self.timeline.add(self.name, "ack-received")
                self.acked.set()
            return
        if branch in self._final:  # a retransmission: the same answer again (§17.2.1)
            self.endpoint.send(self._final[branch], source)
            return
        if req.method == "INVITE":
            self._invite(req, branch, source)
        elif req.method == "BYE":
            self._answer(req, branch, source, 200)
            self.timeline.add(self.name, "bye-received")
            self.bye_received.set()
        elif req.method == "CANCEL":
            self._answer(req, branch, source, 200)
        elif req.method in ("OPTIONS", "NOTIFY"):
            self._answer(req, branch, source, 200)
            if len(self.requests_seen) < MAX_KEEPALIVES_KEPT:
                self.requests_seen.append(req.method)
            self.timeline.add(self.name, "request-received", req.method)
        else:
            self._answer(req, branch, source, 405)

    def _answer(self, req: SipRequest, branch: str, source: Addr, code: int, *,
                to_tag: str | None = None, body: bytes = b"") -> None:
        data = sipcall.reply(req, code, to_tag=to_tag or self.leg.tag,
                             contact=self.leg.contact if req.method == "INVITE" else None,
                             body=body, content_type="application/sdp" if body else None)
        self._final[branch] = data
        self.endpoint.send(data, source)

    def _invite(self, req: SipRequest, branch: str, source: Addr) -> None:
        """A called phone answering at once (auto-answer): 180, then 200 with the SDP answer,
        retransmitted until the ACK comes (§13.3.1.4)."""
        if self.invite_received.done() or self.answer_sdp is None:
            self._answer(req, branch, source, 486)  # one call at a time
            return
        try:
            self.offer = sdp.parse(req.body)
        except ValueError:
            self._answer(req, branch, source, 488)
            return
        self.invite_received.set_result(asyncio.get_running_loop().time())
        self.timeline.add(self.name, "invite-received", format_addr(source))
        self.uas = sipcall.dialog_from_invite(replace(self.leg), req)
        ringing = sipcall.reply(req, 180, to_tag=self.leg.tag, contact=self.leg.contact)
        self.endpoint.send(ringing, source)
        self._answer(req, branch, source, 200, body=self.answer_sdp)
        asyncio.ensure_future(self._until_acked(self._final[branch], source))

    async def _until_acked(self, data: bytes, dest: Addr) -> None:
        rto = 0.5
        for _ in range(7):  # Timer G doubling to T2, bounded (Timer H: 64*T1)
            try:
                await asyncio.wait_for(self.acked.wait(), rto)
                return
            except TimeoutError:
                self.endpoint.send(data, dest)
                rto = min(rto * 2, T2_S)

    # --- client transactions -------------------------------------------------------------

    async def transact(self, make: Callable[[str], bytes], method: str, deadline: float, *,
                       branch: str | None = None) -> _Answer:
        """Send a request and wait for its final response (§17.1): retransmit on Timer A/E
        (doubling; a non-INVITE's capped at T2), an INVITE's only until a provisional
        response; give up at ``deadline``."""
        loop = asyncio.get_running_loop()
        branch = branch or sipcall.new_branch()
        invite = method == "INVITE"
        queue: asyncio.Queue[SipResponse] = asyncio.Queue()
        self._tx[(branch, method)] = queue
        answer = _Answer()
        timer = Retransmissions(loop.time(), deadline)
        data = make(branch)
        self.endpoint.last_error = None
        try:
            while True:
                now = loop.time()
                if timer.expired(now):
                    return answer
                if timer.due(now) and not (invite and answer.provisional):
                    self.endpoint.send(data, self.server)
                    timer.record_send(now)
                    timer.rto_s = timer.rto_s if invite else min(timer.rto_s, T2_S)
                    answer.sent = timer.sent
                wake = deadline if invite and answer.provisional else timer.wake_at()
                try:
                    response = await asyncio.wait_for(queue.get(), max(0.0, wake - now))
                except TimeoutError:
                    if self.endpoint.last_error:
                        answer.error = self.endpoint.last_error
                        return answer
                    continue
                if response.status_code < 200:
                    answer.provisional.append(response.status_code)
                    continue
                answer.final = response
                return answer
        finally:
            del self._tx[(branch, method)]

    def _challenges(self, response: SipResponse) -> list[digest.Challenge]:
        proxy = response.status_code == 407
        name = "proxy-authenticate" if proxy else "www-authenticate"
        found = []
        for value in response.raw(name):
            try:
                found.append(digest.parse_challenge(value, proxy=proxy))
            except digest.DigestError:
                continue
        return found

    def _answer_challenge(self, final: SipResponse, auth: _Auth, method: str,
                          uri: str) -> bool:
        """Answer a 401/407's challenge into ``auth`` (RFC 3261 §22.2); ``False`` when it
        cannot be answered, or should not be again (a second challenge without stale=true
        means the password was refused)."""
        challenges = self._challenges(final)
        if not challenges or auth.answered >= MAX_AUTH or (
                auth.value is not None and not any(c.stale for c in challenges)):
            return False
        chosen = digest.choose(challenges)
        auth.value = digest.response(chosen, username=self.account.user,
                                     password=self.account.password, method=method, uri=uri)
        auth.header, auth.algorithm = chosen.header_name, chosen.algorithm
        auth.answered += 1
        return True

    async def register(self, expires: int, record: Registration, deadline: float) -> None:
        """REGISTER with digest authentication (RFC 3261 §22.2; RFC 8760), honouring a 423's
        Min-Expires (§10.3 step 7); fills in ``record``."""
        auth = _Auth()
        record.requested_s = expires
        for _ in range(MAX_AUTH + 3):
            self.reg.next_cseq()
            answer = await self.transact(
                lambda b, e=expires, a=auth.value, h=auth.header: sipcall.register(  # type: ignore[misc]
                    self.reg, branch=b, expires=e, auth=a, auth_header=h),
                "REGISTER", deadline)
            record.sent += answer.sent
            record.error = answer.error
            final = answer.final
            if final is None:
                return
            record.status, record.reason = final.status_code, final.reason
            if final.status_code == 423 and (sipcall.min_expires(final) or 0) > expires:
                expires = record.requested_s = sipcall.min_expires(final) or expires
                auth = _Auth()
                continue
            if final.status_code in (401, 407):
                if self._answer_challenge(final, auth, "REGISTER", f"sip:{self.reg.domain}"):
                    record.algorithm = auth.algorithm
                    continue
                if not self._challenges(final):
                    record.error = "the server's challenge is not one flexdiag can answer"
                return
            if final.status_code < 300 and expires:
                record.granted_s = sipcall.granted_expiry(final, sipcall.uri_of(self.reg.contact))
            return

    async def call(self, target: str, offer: bytes, deadline: float) -> _Answer:
        """INVITE ``target`` (user part) with ``offer``; answers a proxy's challenge; ACKs
        every final response (§17.1.1.3 for non-2xx, §13.2.2.4 for 2xx)."""
        self.leg.remote_uri = f"sip:{target}@{self.leg.domain}"
        auth = _Auth(header="Proxy-Authorization")
        while True:
            cseq = self.leg.next_cseq()
            branch = sipcall.new_branch()
            self.invite_branch, self.invite_cseq = branch, cseq
            self.timeline.add(self.name, "invite-sent-auth" if auth.value else "invite-sent")
            answer = await self.transact(
                lambda b, a=auth.value, h=auth.header: sipcall.invite(  # type: ignore[misc]
                    self.leg, branch=b, sdp=offer, auth=a, auth_header=h),
                "INVITE", deadline, branch=branch)
            final = answer.final
            if final is None:
                return answer
            if final.status_code >= 300:
                self.endpoint.send(sipcall.ack_failure(self.leg, branch, cseq,
                                                       final.header("to") or ""), self.server)
            if final.status_code in (401, 407) and self._answer_challenge(
                    final, auth, "INVITE", self.leg.remote_uri):
                continue
            if 200 <= final.status_code < 300:
                self.leg = sipcall.dialog_from_2xx(self.leg, final)
                ack = sipcall.in_dialog(self.leg, "ACK", branch=sipcall.new_branch(), cseq=cseq)
                self._ack_of[self.leg.call_id] = ack
                self.endpoint.send(ack, self.server)
            return answer

    async def cancel(self) -> None:
        """CANCEL the pending INVITE (§9.1), bounded."""
        loop = asyncio.get_running_loop()
        await self.transact(lambda b: sipcall.cancel(self.leg, self.invite_branch,
                                                     self.invite_cseq),
                            "CANCEL", loop.time() + CANCEL_WAIT_S, branch=self.invite_branch)

    async def bye(self) -> int | None:
        loop = asyncio.get_running_loop()
        self.leg.next_cseq()
        answer = await self.transact(
            lambda b: sipcall.in_dialog(self.leg, "BYE", branch=b), "BYE",
            loop.time() + BYE_WAIT_S)
        return answer.final.status_code if answer.final else None


class RtpEnd:
    """One end's RTP socket: sends 20 ms G.711 frames on a schedule, notes what arrives."""

    def __init__(self, endpoint: UdpEndpoint, incoming: RtpStream) -> None:
        self.endpoint = endpoint
        self.incoming = incoming
        self.first_arrival: asyncio.Event = asyncio.Event()
        endpoint.on_datagram = self._datagram

    def _datagram(self, data: bytes, source: Addr, at: float) -> None:
        try:
            packet = rtp.parse(data)
        except ValueError:
            self.incoming.ignored += 1
            return
        self.incoming.arrivals.append((packet.sequence, at))
        self.first_arrival.set()

    async def send(self, outgoing: RtpStream, dest: Addr, payload_type: int, start: float,
                   duration_s: float) -> None:
        """Packets at ``start + i * 20 ms`` for ``duration_s``, each send time noted."""
        loop = asyncio.get_running_loop()
        frame = rtp.tone(payload_type)
        ssrc = int.from_bytes(os.urandom(4), "big")
        seq = outgoing.first_seq = random.randrange(0, 1 << 15)  # RFC 3550 §5.1: random
        ts0 = random.randrange(0, 1 << 31)
        outgoing.dest = dest
        count = max(1, round(duration_s / 0.020))
        for i in range(count):
            due = start + i * 0.020
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            packet = rtp.build(payload_type, seq + i, ts0 + i * rtp.FRAME_SAMPLES, ssrc, frame,
                               marker=i == 0)
            outgoing.sent_at.append(loop.time())
            self.endpoint.send(packet, dest)


async def rtp_endpoint(local_ip: str) -> UdpEndpoint:
    """A socket on a random even port of the phones' RTP range (FAQ item 4), an ephemeral
    one when none is free (flexdiag.net.ports.rtp_ports)."""
    *ranged, _ephemeral = rtp_ports()
    for port in ranged:
        try:
            return await UdpEndpoint.open(local_ip, port)
        except OSError:
            continue
    return await UdpEndpoint.open(local_ip)


async def _sip_endpoint(local_ip: str, port: int) -> UdpEndpoint:
    try:
        return await UdpEndpoint.open(local_ip, port)
    except OSError as exc:
        raise OSError(f"cannot bind local port {port}: {exc.strerror or exc}") from None


@dataclass
class CallPlan:
    """What the caller of :func:`place_call` chose."""

    server: Addr
    domain: str
    a: Account
    b: Account
    phone_port: int
    idle_s: float
    idle_basis: str
    media_s: float = 5.0
    expires: int = 3600
    hold_s: float = HOLD_S


Sleeper = Callable[[float], Awaitable[bool]]


async def place_call(plan: CallPlan, *, sleep: Sleeper,
                    progress: Callable[[str], None] | None = None) -> CallObservation:
    """Register both, idle, call A from B, audio both ways, hang up, unregister both.
    ``sleep(s)`` returns ``False`` when interrupted (Ctrl-C): the call then ends early, and
    the accounts are still unregistered."""
    loop = asyncio.get_running_loop()
    timeline = Timeline(loop.time())
    obs = CallObservation(Registration(plan.a.user, ("", plan.phone_port)),
                          Registration(plan.b.user, ("", 0)), plan.idle_s,
                          plan.idle_basis, server=plan.server, hold_s=plan.hold_s,
                          timeline=timeline.events)
    sockets: list[UdpEndpoint] = []
    parties: list[tuple[Party, Registration]] = []
    try:
        local_ip = local_address_for(plan.server[0])
        obs.a.local = (local_ip, plan.phone_port)
        a_sock = await _sip_endpoint(local_ip, plan.phone_port)
        sockets.append(a_sock)
        b_sock = await UdpEndpoint.open(local_ip)
        sockets.append(b_sock)
        obs.b.local = b_sock.local
        a = Party("A", a_sock, plan.a, plan.domain, plan.server, timeline)
        b = Party("B", b_sock, plan.b, plan.domain, plan.server, timeline)
        parties = [(a, obs.a), (b, obs.b)]
        await _register_both(a, b, obs, plan, timeline)
        if not (obs.a.ok and obs.b.ok):
            return obs
        if not await _idle(a, obs, plan, sleep, progress, timeline):
            obs.stopped = Stopped.INTERRUPTED
            return obs
        await _call(a, b, obs, plan, sockets, sleep, progress, timeline)
    except OSError as exc:
        obs.error = str(exc)
    finally:
        await asyncio.shield(_unregister(parties, timeline))
        for sock in sockets:
            sock.close()
    return obs


async def _register_both(a: Party, b: Party, obs: CallObservation, plan: CallPlan,
                         timeline: Timeline) -> None:
    deadline = asyncio.get_running_loop().time() + REGISTER_WAIT_S
    await asyncio.gather(a.register(plan.expires, obs.a, deadline),
                         b.register(plan.expires, obs.b, deadline))
    for name, record in (("A", obs.a), ("B", obs.b)):
        timeline.add(name, "registered" if record.ok else "register-failed",
                     f"{record.status or 'no answer'}"
                     + (f", {record.granted_s} s" if record.granted_s else ""))


async def _idle(a: Party, obs: CallObservation, plan: CallPlan, sleep: Sleeper,
                progress: Callable[[str], None] | None, timeline: Timeline) -> bool:
    """A stays idle as a phone between calls (re-registering only where the granted expiry
    is shorter than the idle time, at 90 % of it, as phones do)."""
    loop = asyncio.get_running_loop()
    timeline.add("A", "idle", f"{plan.idle_s:g} s")
    end = loop.time() + plan.idle_s
    refresh = obs.a.granted_s or plan.expires
    next_refresh = loop.time() + 0.9 * refresh
    while (left := end - loop.time()) > 0:
        if progress is not None:
            progress(f"idle {left:.0f} s before the test call")
        step = min(1.0, left, max(0.0, next_refresh - loop.time()))
        if not await sleep(step):
            return False
        if loop.time() >= next_refresh and end - loop.time() > 0:
            refreshed = Registration(obs.a.user, obs.a.local)
            await a.register(plan.expires, refreshed, loop.time() + REGISTER_WAIT_S)
            timeline.add("A", "re-registered", str(refreshed.status or "no answer"))
            next_refresh = loop.time() + 0.9 * (refreshed.granted_s or refresh)
    obs.keepalives = list(a.requests_seen)
    return True


async def _call(a: Party, b: Party, obs: CallObservation, plan: CallPlan,
                sockets: list[UdpEndpoint], sleep: Sleeper,
                progress: Callable[[str], None] | None, timeline: Timeline) -> None:
    loop = asyncio.get_running_loop()
    local_ip = a.endpoint.local[0]
    a_rtp_sock, b_rtp_sock = await rtp_endpoint(local_ip), await rtp_endpoint(local_ip)
    sockets += [a_rtp_sock, b_rtp_sock]
    obs.to_phone, obs.from_phone = RtpStream(), RtpStream()
    a_rtp, b_rtp = RtpEnd(a_rtp_sock, obs.to_phone), RtpEnd(b_rtp_sock, obs.from_phone)
    a.answer_sdp = sdp.build(local_ip, a_rtp_sock.local[1])
    if progress is not None:
        progress("calling the phone's account")
    obs.invite_sent = True
    sent_at = loop.time()
    answer = await b.call(plan.a.user, sdp.build(local_ip, b_rtp_sock.local[1]),
                          loop.time() + ANSWER_WAIT_S)
    obs.provisional = answer.provisional
    if a.invite_received.done():
        obs.invite_received_at = round(a.invite_received.result() - sent_at, 3)
    if answer.final is None:
        timeline.add("B", "no-final-response", ",".join(map(str, answer.provisional)))
        if answer.provisional:
            await b.cancel()
            obs.cancelled = True
            timeline.add("B", "cancel")
        return
    obs.final_status = answer.final.status_code
    timeline.add("B", "final-response", f"{answer.final.status_code} {answer.final.reason}")
    if not 200 <= answer.final.status_code < 300:
        return
    await _media(a, b, a_rtp, b_rtp, answer.final, obs, plan, sleep, progress, timeline)
    if progress is not None:
        progress("hanging up")
    code = await b.bye()
    timeline.add("B", "bye", str(code or "no answer"))


async def _media(a: Party, b: Party, a_rtp: RtpEnd, b_rtp: RtpEnd, final: SipResponse,
                 obs: CallObservation, plan: CallPlan, sleep: Sleeper,
                 progress: Callable[[str], None] | None, timeline: Timeline) -> None:
    """Audio both ways: B at once (it has the answer), A after ``hold_s``."""
    loop = asyncio.get_running_loop()
    try:
        answer = sdp.parse(final.body)
    except ValueError:
        timeline.add("B", "no-sdp-answer")
        return
    offer = a.offer
    if offer is None:
        timeline.add("A", "no-sdp-offer")
        return
    assert obs.to_phone is not None and obs.from_phone is not None
    if progress is not None:
        progress(f"audio both ways for {plan.media_s:g} s")
    now = loop.time()
    codec = answer.codec if answer.codec is not None else rtp.PCMA
    b_task = asyncio.ensure_future(b_rtp.send(obs.to_phone, (answer.address, answer.port),
                                              codec, now, plan.media_s + plan.hold_s))
    a_start = now + plan.hold_s
    obs.phone_first_sent_at = a_start
    a_task = asyncio.ensure_future(a_rtp.send(obs.from_phone, (offer.address, offer.port),
                                              codec, a_start, plan.media_s))
    timeline.add("B", "audio-start", format_addr((answer.address, answer.port)))
    watchers = [asyncio.ensure_future(_first(a_rtp, "A", timeline)),
                asyncio.ensure_future(_first(b_rtp, "B", timeline))]
    try:
        finished: asyncio.Future[Any] = asyncio.ensure_future(asyncio.gather(a_task, b_task))
        stopper: asyncio.Future[Any] = asyncio.ensure_future(
            sleep(plan.media_s + plan.hold_s + TAIL_S))
        done, _ = await asyncio.wait({finished, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if stopper in done and not stopper.result():
            obs.stopped = Stopped.INTERRUPTED
        else:
            await stopper  # the tail: the last packets' arrivals
    finally:
        for task in (a_task, b_task, *watchers):
            task.cancel()
    if obs.from_phone.sent_at:
        obs.phone_first_sent_at = obs.from_phone.sent_at[0]


async def _first(end: RtpEnd, party: str, timeline: Timeline) -> None:
    await end.first_arrival.wait()
    timeline.add(party, "first-audio")


async def _unregister(parties: list[tuple[Party, Registration]], timeline: Timeline) -> None:
    """Expires: 0 for every account that registered (bounded; also after Ctrl-C)."""
    deadline = asyncio.get_running_loop().time() + REGISTER_WAIT_S

    async def one(party: Party, record: Registration) -> None:
        if not record.ok:
            return
        removal = Registration(record.user, record.local)
        try:
            await party.register(0, removal, deadline)
        except OSError:
            pass
        record.unregistered = removal.ok
        timeline.add(party.name, "unregistered" if removal.ok else "unregister-failed",
                     str(removal.status or "no answer"))

    await asyncio.gather(*(one(p, r) for p, r in parties))

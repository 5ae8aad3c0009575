"""SIP requests and responses of a registration and a call (RFC 3261), sans-I/O.

What a test call needs beyond OPTIONS (:mod:`flexdiag.codec.sip`): REGISTER (§10), INVITE with
an SDP offer, ACK, BYE and CANCEL (§13-15) built from one :class:`Leg` (the identifiers one
party keeps), the responses a called party sends (§8.2.6, §12.1.1: Record-Route copied into
responses that make a dialog), and the dialog state read from them (§12.1: remote target from
Contact, route set from Record-Route, remote tag from To / From).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace

from flexdiag.addr import format_addr
from flexdiag.codec.sip import BRANCH_COOKIE, RESPONSE_CODES, SipRequest, SipResponse

USER_AGENT = "flexdiag"
ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, NOTIFY"


def new_branch() -> str:
    """A transaction's branch, with RFC 3261's magic cookie (§8.1.1.7)."""
    return BRANCH_COOKIE + os.urandom(8).hex()


def new_tag() -> str:
    return os.urandom(4).hex()


@dataclass
class Leg:
    """One party's side of a registration or dialog: its AOR, its local address, the dialog
    identifiers, and (once a dialog exists) the remote target and route set (§12.1)."""

    user: str
    domain: str
    local: tuple[str, int]
    call_id: str = field(default_factory=lambda: os.urandom(10).hex() + "@flexdiag")
    tag: str = field(default_factory=new_tag)
    cseq: int = 0
    remote_uri: str = ""  # the To URI of requests this leg sends
    remote_tag: str | None = None
    remote_target: str | None = None  # the peer's Contact URI (§12.1.2)
    route_set: tuple[str, ...] = ()  # Route values for requests within the dialog

    @property
    def aor(self) -> str:
        return f"sip:{self.user}@{self.domain}"

    @property
    def contact(self) -> str:
        return f"<sip:{self.user}@{format_addr(self.local)}>"

    def next_cseq(self) -> int:
        self.cseq += 1
        return self.cseq


def request(leg: Leg, method: str, uri: str, *, branch: str, cseq: int | None = None,
            to_tag: str | None = None, routes: tuple[str, ...] = (),
            headers: tuple[str, ...] = (), body: bytes = b"",
            content_type: str | None = None) -> bytes:
    """A request from ``leg`` (§8.1.1): Via with ``rport`` (RFC 3581), From with the leg's
    tag, To (with ``to_tag`` within a dialog), Route headers, then ``headers`` as given."""
    to_uri = leg.remote_uri or leg.aor
    lines = [
        f"{method} {uri} SIP/2.0",
        f"Via: SIP/2.0/UDP {format_addr(leg.local)};branch={branch};rport",
        "Max-Forwards: 70",
        *(f"Route: {route}" for route in routes),
        f"From: <{leg.aor}>;tag={leg.tag}",
        f"To: <{to_uri}>" + (f";tag={to_tag}" if to_tag else ""),
        f"Call-ID: {leg.call_id}",
        f"CSeq: {leg.cseq if cseq is None else cseq} {method}",
        *headers,
        f"User-Agent: {USER_AGENT}",
    ]
    if content_type:
        lines.append(f"Content-Type: {content_type}")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body


def register(leg: Leg, *, branch: str, expires: int, auth: str | None = None,
             auth_header: str = "Authorization") -> bytes:
    """REGISTER for the leg's AOR (§10.2): Request-URI the domain, To = From = the AOR,
    Contact the leg's address; ``expires`` 0 removes the binding (§10.2.2)."""
    extra = [f"Contact: {leg.contact};expires={expires}", f"Expires: {expires}"]
    if auth:
        extra.append(f"{auth_header}: {auth}")
    saved, leg.remote_uri = leg.remote_uri, leg.aor
    try:
        return request(leg, "REGISTER", f"sip:{leg.domain}", branch=branch,
                       headers=(*extra, f"Allow: {ALLOW}"))
    finally:
        leg.remote_uri = saved


def invite(leg: Leg, *, branch: str, sdp: bytes, auth: str | None = None,
           auth_header: str = "Proxy-Authorization") -> bytes:
    """The initial INVITE of a call to ``leg.remote_uri`` with an SDP offer (§13.2.1)."""
    extra = [f"Contact: {leg.contact}", f"Allow: {ALLOW}"]
    if auth:
        extra.append(f"{auth_header}: {auth}")
    return request(leg, "INVITE", leg.remote_uri, branch=branch, headers=tuple(extra),
                   body=sdp, content_type="application/sdp")


def in_dialog(leg: Leg, method: str, *, branch: str, cseq: int | None = None) -> bytes:
    """ACK or BYE within the dialog: to the remote target, along the route set (§12.2.1.1,
    loose routing: every route a Route header)."""
    target = leg.remote_target or leg.remote_uri
    return request(leg, method, target, branch=branch, cseq=cseq, to_tag=leg.remote_tag,
                   routes=leg.route_set)


def ack_failure(leg: Leg, invite_branch: str, invite_cseq: int, to_header: str) -> bytes:
    """The ACK of a non-2xx final response (§17.1.1.3): same branch and Request-URI as the
    INVITE, the response's To (with its tag)."""
    data = request(leg, "ACK", leg.remote_uri, branch=invite_branch, cseq=invite_cseq)
    return re.sub(rb"\r\nTo: [^\r]*", b"\r\nTo: " + to_header.encode("utf-8"), data, count=1)


def cancel(leg: Leg, invite_branch: str, invite_cseq: int) -> bytes:
    """CANCEL of a pending INVITE (§9.1): same branch, Request-URI, Call-ID, CSeq number."""
    return request(leg, "CANCEL", leg.remote_uri, branch=invite_branch, cseq=invite_cseq)


def _dialog_headers(req: SipRequest, code: int, to_tag: str | None) -> list[str]:
    """The headers a response copies from its request (§8.2.6.2), with the To tag added and
    Record-Route copied where the response makes a dialog (§12.1.1)."""
    lines = [f"Via: {v}" for v in req.raw("via")]
    if req.method == "INVITE" and 100 < code < 300:
        lines += [f"Record-Route: {r}" for r in req.raw("record-route")]
    to = req.header("to") or ""
    if to_tag and code != 100 and tag_of(to) is None:
        to += f";tag={to_tag}"
    return [*lines, f"From: {req.header('from') or ''}", f"To: {to}",
            f"Call-ID: {req.header('call-id') or ''}", f"CSeq: {req.header('cseq') or ''}"]


def reply(req: SipRequest, code: int, *, to_tag: str | None = None, contact: str | None = None,
          body: bytes = b"", content_type: str | None = None) -> bytes:
    """A UAS response (§8.2.6): Via, From, Call-ID, CSeq copied, a To tag added where the
    request had none; Record-Route copied into responses that make a dialog (§12.1.1)."""
    lines = [f"SIP/2.0 {code} {RESPONSE_CODES.get(code, 'Unknown')}",
             *_dialog_headers(req, code, to_tag)]
    if contact:
        lines.append(f"Contact: {contact}")
    if req.method == "OPTIONS" or code == 405:
        lines.append(f"Allow: {ALLOW}")
    lines.append(f"User-Agent: {USER_AGENT}")
    if content_type:
        lines.append(f"Content-Type: {content_type}")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body


_TAG = re.compile(r";\s*tag=([^;>\s]+)", re.IGNORECASE)


def tag_of(name_addr: str) -> str | None:
    """The ``tag`` parameter of a From or To value (outside the URI's angle brackets)."""
    rest = name_addr.rpartition(">")[2] if ">" in name_addr else name_addr
    match = _TAG.search(rest)
    return match.group(1) if match else None


def uri_of(name_addr: str) -> str:
    """The URI of a name-addr (``"A" <sip:a@b;lr>;p=1`` -> ``sip:a@b;lr``) or addr-spec."""
    if "<" in name_addr:
        return name_addr.partition("<")[2].partition(">")[0].strip()
    return name_addr.split(";")[0].strip()


def cseq_of(message: SipRequest | SipResponse) -> tuple[int, str] | None:
    """The CSeq number and method (``None`` when missing or malformed)."""
    parts = (message.header("cseq") or "").split()
    if len(parts) != 2 or not parts[0].isascii() or not parts[0].isdigit():
        return None
    return int(parts[0]), parts[1].upper()


def granted_expiry(response: SipResponse, contact_uri: str) -> int | None:
    """The expiry a registrar granted our binding (§10.3 step 8: the Contact's ``expires``
    parameter in the 200, else the Expires header)."""
    for value in response.all("contact"):
        if uri_of(value) != contact_uri:
            continue
        match = re.search(r";\s*expires=([0-9]{1,10})", value.rpartition(">")[2], re.IGNORECASE)
        if match:
            return int(match.group(1))
    expires = (response.header("expires") or "").strip()
    return int(expires) if expires.isascii() and expires.isdigit() else None


def min_expires(response: SipResponse) -> int | None:
    """A 423's Min-Expires (§10.3 step 7, §20.23)."""
    value = (response.header("min-expires") or "").strip()
    return int(value) if value.isascii() and value.isdigit() else None


def dialog_from_2xx(leg: Leg, response: SipResponse) -> Leg:
    """The UAC's dialog (§12.1.2): remote target from Contact, route set from Record-Route
    reversed, remote tag from To."""
    contacts = response.all("contact")
    return replace(leg, remote_target=uri_of(contacts[0]) if contacts else None,
                   route_set=tuple(reversed(response.all("record-route"))),
                   remote_tag=tag_of(response.header("to") or ""))


def dialog_from_invite(leg: Leg, req: SipRequest) -> Leg:
    """The UAS's dialog (§12.1.1): remote target from Contact, route set from Record-Route in
    order, remote tag from From."""
    contacts = req.all("contact")
    return replace(leg, call_id=req.header("call-id") or leg.call_id,
                   remote_target=uri_of(contacts[0]) if contacts else None,
                   route_set=tuple(req.all("record-route")),
                   remote_tag=tag_of(req.header("from") or ""),
                   remote_uri=uri_of(req.header("from") or ""))


def branch_of(message: SipRequest | SipResponse) -> str | None:
    """The top Via's branch (§17.1.3, §17.2.3: what matches a message to its transaction)."""
    try:
        vias = message.vias
    except ValueError:
        return None
    return vias[0].branch if vias else None

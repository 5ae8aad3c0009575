"""SIP over UDP: OPTIONS requests and their responses (RFC 3261), sans-I/O.

Only what a reachability probe needs: build an OPTIONS request (§11) with a Via carrying ``rport``
(RFC 3581 §3) and parse a response far enough to match it to the request (§17.1.3: top Via
branch, plus Call-ID and CSeq) and to read what the server saw (``received``, ``rport``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from flexdiag.addr import format_addr, valid_port

# RFC 3261 §8.1.1.7: a branch starting with the magic cookie marks an RFC 3261 transaction.
BRANCH_COOKIE = "z9hG4bK"

# Every response code in the platform FAQ, section 7 (items 7.1-7.6), with its reason phrase.
# One table serves the report, the explainer and the tests.
RESPONSE_CODES: dict[int, str] = {
    100: "Trying",
    180: "Ringing",
    181: "Call Is Being Forwarded",
    182: "Queued",
    183: "Session Progress",
    200: "OK",
    202: "Accepted",
    300: "Multiple Choices",
    301: "Moved Permanently",
    302: "Moved Temporarily",
    305: "Use Proxy",
    380: "Alternative Service",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    407: "Proxy Authentication Required",
    408: "Request Timeout",
    409: "Conflict",
    410: "Gone",
    412: "Conditional Request Failed",
    413: "Request Entity Too Large",
    414: "Request-URI Too Long",
    415: "Unsupported Media Type",
    416: "Unsupported URI Scheme",
    417: "Unknown Resource-Priority",
    420: "Bad Extension",
    421: "Extension Required",
    422: "Session Interval Too Small",
    423: "Interval Too Brief",
    424: "Bad Location Information",
    428: "Use Identity Header",
    429: "Provide Referrer Identity",
    433: "Anonymity Disallowed",
    436: "Bad Identity-Info",
    437: "Unsupported Certificate",
    438: "Invalid Identity Header",
    480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist",
    482: "Loop Detected",
    483: "Too Many Hops",
    484: "Address Incomplete",
    485: "Ambiguous",
    486: "Busy Here",
    487: "Request Terminated",
    488: "Not Acceptable Here",
    489: "Bad Event",
    491: "Request Pending",
    493: "Undecipherable",
    494: "Security Agreement Required",
    500: "Server Internal Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Server Time-out",
    505: "Version Not Supported",
    513: "Message Too Large",
    580: "Precondition Failure",
    600: "Busy Everywhere",
    603: "Decline",
    604: "Does Not Exist Anywhere",
    606: "Not Acceptable",
}

CLASS_NAMES: dict[int, str] = {
    1: "Informational",
    2: "Successful",
    3: "Redirection",
    4: "Client Failure",
    5: "Server Failure",
    6: "Global Failure",
}


def describe_code(code: int) -> str:
    """``"404 Not Found"``, or the class for a code not in the table (``"499 Client Failure"``)."""
    if code in RESPONSE_CODES:
        return f"{code} {RESPONSE_CODES[code]}"
    return f"{code} (an unknown {code // 100}xx code)"  # no made-up reason phrase


# RFC 3261 §7.3.3: compact header forms.
_COMPACT = {
    "v": "via", "i": "call-id", "f": "from", "t": "to", "m": "contact", "l": "content-length",
    "c": "content-type", "k": "supported",
}


_ASCII_DIGITS = re.compile(r"[0-9]{1,5}", re.ASCII)


def port_number(text: str | None) -> int | None:
    """A port a peer wrote: ASCII digits only (``str.isdigit`` also takes "²"), 1-65535;
    anything else is ``None``, never an exception."""
    if text is None or not _ASCII_DIGITS.fullmatch(text):
        return None
    port = int(text)
    return port if valid_port(port) else None


@dataclass(frozen=True)
class Via:
    """One Via header value (RFC 3261 §20.42) with the parameters a probe reads."""

    transport: str
    sent_by: str
    params: dict[str, str | None]

    @property
    def branch(self) -> str | None:
        return self.params.get("branch")

    @property
    def received(self) -> str | None:
        """RFC 3261 §18.2.1: the source IP the server saw, when it differs from sent-by."""
        return self.params.get("received")

    @property
    def rport(self) -> int | None:
        """RFC 3581 §4: the source port the server saw; ``None`` when absent or without value."""
        return port_number(self.params.get("rport"))


class _Headers:
    """Header access shared by requests and responses."""

    headers: tuple[tuple[str, str], ...]

    def header(self, name: str) -> str | None:
        """The first value of a header, by lower-case full name."""
        for key, value in self.headers:
            if key == name:
                return value
        return None

    def raw(self, name: str) -> list[str]:
        """Every header line's value of ``name``, unsplit (authentication challenges)."""
        return [value for key, value in self.headers if key == name]

    def all(self, name: str) -> list[str]:
        """Every value of a header, a comma-separated header counting as several."""
        return [v for value in self.raw(name) for v in _commas(value)]

    @property
    def vias(self) -> list[Via]:
        """All Via values in order, a comma-separated header counting as several."""
        return [parse_via(v) for v in self.all("via")]


@dataclass(frozen=True)
class SipResponse(_Headers):
    """A SIP response: status line plus headers (names lower-case, compact forms expanded)."""

    status_code: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""


@dataclass(frozen=True)
class OptionsRequest:
    """The identifiers of an OPTIONS transaction, to match its response (RFC 3261 §17.1.3)."""

    branch: str
    call_id: str
    from_tag: str
    cseq: int = 1


def new_options_request() -> OptionsRequest:
    """Fresh random identifiers: branch with the RFC 3261 magic cookie, Call-ID and From tag."""
    return OptionsRequest(
        branch=BRANCH_COOKIE + os.urandom(8).hex(),
        call_id=os.urandom(10).hex() + "@flexdiag",
        from_tag=os.urandom(4).hex(),
    )


def build_options(
    request: OptionsRequest,
    *,
    server: str,
    server_port: int,
    local: tuple[str, int],
    user_agent: str = "flexdiag",
    padding: int = 0,
    size: int = 0,
) -> bytes:
    """An OPTIONS request (RFC 3261 §11.1) with ``rport`` in the Via (RFC 3581 §3).

    ``padding`` adds a body of that many bytes; ``size`` pads the whole message to that many
    bytes (when it is larger than the message without a body), for probing large-message paths.
    """
    if size:
        data = build_options(request, server=server, server_port=server_port, local=local,
                             user_agent=user_agent)
        pad = size - len(data)
        for _ in range(3):  # the Content-Type and Content-Length lines grow with the body
            if pad <= 0:
                return data
            data = build_options(request, server=server, server_port=server_port, local=local,
                                 user_agent=user_agent, padding=pad)
            if len(data) == size:
                return data
            pad += size - len(data)
        return data
    target = format_addr((server, server_port))
    local_hp = format_addr(local)
    body = b"x" * padding
    lines = [
        f"OPTIONS sip:{target} SIP/2.0",
        f"Via: SIP/2.0/UDP {local_hp};branch={request.branch};rport",
        "Max-Forwards: 70",
        f"From: <sip:flexdiag@{local_hp}>;tag={request.from_tag}",
        f"To: <sip:{target}>",
        f"Call-ID: {request.call_id}",
        f"CSeq: {request.cseq} OPTIONS",
        f"Contact: <sip:flexdiag@{local_hp}>",
        "Accept: application/sdp",
        f"User-Agent: {user_agent}",
    ]
    if padding:
        lines.append("Content-Type: text/plain")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + body


# RFC 3261 §7.2: Status-Line = SIP-Version SP Status-Code SP Reason-Phrase; Status-Code is
# 3DIGIT (ASCII), so "SIP/2.0 2000 OK" is not a 200. Some servers omit the reason phrase.
_STATUS_LINE = re.compile(r"SIP/2\.0 ([1-6][0-9]{2})(?: (.*))?", re.ASCII)


def _split_message(data: bytes) -> tuple[list[str], bytes]:
    """A message's start line and header lines (folding undone later), and its body."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = data.partition(b"\n\n")  # §7.5: be lenient with bare LF
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("SIP message is not UTF-8") from None
    return text.replace("\r\n", "\n").split("\n"), body


def _headers(lines: list[str]) -> tuple[tuple[str, str], ...]:
    """Header lines as (lower-case full name, value) pairs (§7.3: folding, compact forms)."""
    headers: list[tuple[str, str]] = []
    for line in lines:
        if line[:1] in (" ", "\t") and headers:  # §7.3.1 header folding
            name, value = headers[-1]
            headers[-1] = (name, f"{value} {line.strip()}".strip())
            continue
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            raise ValueError("SIP header line has no name")
        key = name.strip().lower()
        headers.append((_COMPACT.get(key, key), value.strip()))
    return tuple(headers)


def _body(headers: tuple[tuple[str, str], ...], body: bytes) -> bytes:
    """The body as Content-Length says (§18.3: over UDP the length may be absent: the rest)."""
    length = next((v for k, v in headers if k == "content-length"), None)
    if length is not None and length.isascii() and length.isdigit():
        return body[:int(length)]
    return body


def parse_response(data: bytes) -> SipResponse:
    """Parse a SIP response (RFC 3261 §7.2), with its body."""
    lines, body = _split_message(data)
    match = _STATUS_LINE.fullmatch(lines[0])
    if not match:
        raise ValueError("SIP message is not a response")
    headers = _headers(lines[1:])
    return SipResponse(int(match.group(1)), (match.group(2) or "").strip(), headers,
                       _body(headers, body))


# RFC 3261 §7.1: Request-Line = Method SP Request-URI SP SIP-Version (method: a token).
_REQUEST_LINE = re.compile(r"([A-Za-z]{1,20}) (\S{1,2048}) SIP/2\.0", re.ASCII)


@dataclass(frozen=True)
class SipRequest(_Headers):
    """A SIP request: method, Request-URI, headers (as :class:`SipResponse`) and body."""

    method: str
    uri: str
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""


def parse_request(data: bytes) -> SipRequest:
    """Parse a SIP request (RFC 3261 §7.1), with its body."""
    lines, body = _split_message(data)
    match = _REQUEST_LINE.fullmatch(lines[0])
    if not match:
        raise ValueError("SIP message is not a request")
    headers = _headers(lines[1:])
    return SipRequest(match.group(1).upper(), match.group(2), headers, _body(headers, body))


def _commas(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def parse_via(value: str) -> Via:
    """One Via value: ``SIP/2.0/UDP host:port;branch=...;received=...;rport=...``."""
    proto, _, rest = value.strip().partition(" ")
    parts = proto.split("/")
    if len(parts) != 3 or parts[0].upper() != "SIP":
        raise ValueError("SIP Via has no protocol")
    fields = rest.strip().split(";")
    if not fields[0].strip():
        raise ValueError("SIP Via has no sent-by")
    params: dict[str, str | None] = {}
    for param in fields[1:]:
        name, eq, val = param.strip().partition("=")
        if name:
            params[name.lower()] = val.strip() if eq else None
    return Via(parts[2].upper(), fields[0].strip(), params)


def matches(response: SipResponse, request: OptionsRequest) -> bool:
    """Does the response belong to this request? (RFC 3261 §17.1.3, plus Call-ID and CSeq)."""
    try:
        vias = response.vias
    except ValueError:
        return False
    if not vias or vias[0].branch != request.branch:
        return False
    if response.header("call-id") != request.call_id:
        return False
    cseq = (response.header("cseq") or "").split()
    return cseq == [str(request.cseq), "OPTIONS"]


def build_response(
    request_bytes: bytes,
    status_code: int,
    *,
    source: tuple[str, int],
    reason: str | None = None,
) -> bytes:
    """A response to a request as a UAS would send it (RFC 3261 §8.2.6), adding ``received``
    and ``rport`` to the top Via (RFC 3581 §4). For test servers."""
    head = request_bytes.partition(b"\r\n\r\n")[0].decode("utf-8")
    copied: list[str] = []
    top_done = False
    for line in head.split("\r\n")[1:]:
        name = line.partition(":")[0].strip().lower()
        name = _COMPACT.get(name, name)
        if name == "via" and not top_done:
            value = line.partition(":")[2].strip()
            value = value.replace(";rport", f";received={source[0]};rport={source[1]}", 1)
            copied.append(f"Via: {value}")
            top_done = True
        elif name in ("via", "from", "to", "call-id", "cseq"):
            copied.append(line)
    phrase = reason if reason is not None else RESPONSE_CODES.get(status_code, "Unknown")
    lines = [f"SIP/2.0 {status_code} {phrase}", *copied, "Content-Length: 0"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


def sent_by_host(sent_by: str) -> str:
    """The host of a Via sent-by (RFC 3261 §20.42: host [":" port]; an IPv6 host is written
    in brackets, RFC 3261 §25.1 IPv6reference; a bare IPv6 address is taken whole)."""
    if sent_by.startswith("["):
        return sent_by[1:].partition("]")[0]
    return sent_by.rsplit(":", 1)[0] if sent_by.count(":") == 1 else sent_by

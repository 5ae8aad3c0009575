"""UPnP IGD's external address, sans-I/O: the router's own idea of its internet address as a
UPnP Internet Gateway Device reports it.

Three steps (UPnP Device Architecture 1.1, "UDA"):

1. discovery (UDA §1.3.2): a *unicast* M-SEARCH to the router's port 1900 (no multicast on the
   customer's LAN: only the router the path proved is asked), answered with a LOCATION;
2. description (UDA §2.1): the device description at LOCATION names the WANIPConnection or
   WANPPPConnection service and its control URL;
3. control (UDA §3.2; WANIPConnection:1 §2.4.18): the SOAP action GetExternalIPAddress,
   answered with ``NewExternalIPAddress`` (an empty one when the router has none to give,
   WANIPConnection:2 §2.3.13), or a SOAP fault with a UPnPError.

What a router answers is never trusted as markup beyond what is read here: the description and
the SOAP answer are capped in size and refused with a DOCTYPE (no entities, no DTD).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from flexdiag.addr import format_addr, valid_port

SSDP_PORT = 1900  # UDA §1.3.2
SEARCH_TARGET = "urn:schemas-upnp-org:device:InternetGatewayDevice:1"
WAN_SERVICES = ("urn:schemas-upnp-org:service:WANIPConnection:",
                "urn:schemas-upnp-org:service:WANPPPConnection:")
ACTION = "GetExternalIPAddress"
MAX_BODY = 64 * 1024  # a device description is a few KB; more is refused
USER_AGENT = "flexdiag UPnP/1.1"


class UpnpError(ValueError):
    """A reply that is not what the step asked for (a ValueError: ignored like garbage)."""


class UpnpFault(Exception):
    """The router refused the action (SOAP fault, UDA §3.2.2): its UPnPError code and words."""

    def __init__(self, code: int | None, description: str) -> None:
        super().__init__(f"UPnP error {code}: {description}" if code is not None
                         else f"UPnP fault: {description}")
        self.code = code
        self.description = description


@dataclass(frozen=True)
class Url:
    """An http URL on the router: where the next request goes."""

    host: str
    port: int
    path: str

    def __str__(self) -> str:
        return f"http://{format_addr((self.host, self.port))}{self.path}"


def build_search(host: str) -> bytes:
    """A unicast M-SEARCH for an Internet Gateway Device (UDA §1.3.2). ``MX`` is for multicast
    searches only; it is sent anyway (1 s) because some devices wait for it."""
    return (f"M-SEARCH * HTTP/1.1\r\nHOST: {format_addr((host, SSDP_PORT))}\r\n"
            f'MAN: "ssdp:discover"\r\nMX: 1\r\nST: {SEARCH_TARGET}\r\n'
            f"USER-AGENT: {USER_AGENT}\r\n\r\n").encode("ascii")


def _head(data: bytes) -> tuple[str, dict[str, str], bytes]:
    """The start line, the headers (lower-case names, the first of each) and the rest."""
    head, sep, rest = data.partition(b"\r\n\r\n")
    if not sep:
        raise UpnpError("no end of headers")
    lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon:
            headers.setdefault(name.strip().lower(), value.strip())
    return lines[0], headers, rest


def parse_search_response(data: bytes) -> str:
    """The LOCATION of an M-SEARCH response (UDA §1.3.3): ``HTTP/1.1 200 OK`` with LOCATION
    and an ST of an Internet Gateway Device (or ``ssdp:all`` answers' root device)."""
    start, headers, _ = _head(data)
    if not re.fullmatch(r"HTTP/1\.[01] 200( .*)?", start):
        raise UpnpError("not an M-SEARCH response")
    location = headers.get("location", "")
    if not location:
        raise UpnpError("M-SEARCH response without LOCATION")
    return location


def parse_url(url: str, base: str | None = None) -> Url:
    """An absolute http URL (``url`` resolved against ``base`` when relative, RFC 3986 §5)."""
    full = urljoin(base, url) if base else url
    parts = urlsplit(full)
    try:
        port = 80 if parts.port is None else parts.port
    except ValueError as exc:
        raise UpnpError(f"bad URL {full!r}") from exc
    if parts.scheme != "http" or not parts.hostname or not valid_port(port):
        raise UpnpError(f"not an http URL: {full!r}")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Url(parts.hostname, port, path)


def build_get(url: Url) -> bytes:
    """An HTTP/1.1 GET of the device description (UDA §2.1), the connection closed after it."""
    return (f"GET {url.path} HTTP/1.1\r\nHost: {format_addr((url.host, url.port))}\r\n"
            f"User-Agent: {USER_AGENT}\r\nConnection: close\r\n\r\n").encode("ascii")


def _xml(body: bytes) -> ET.Element:
    if len(body) > MAX_BODY:
        raise UpnpError("too large")
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        raise UpnpError("a DOCTYPE or ENTITY: refused")
    try:
        return ET.fromstring(body)
    except ET.ParseError as exc:
        raise UpnpError(f"not XML: {exc}") from exc


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def control_url(description: bytes, location: str) -> tuple[str, Url]:
    """The first WANIPConnection or WANPPPConnection service of a device description (UDA
    §2.3, nested devices included) and its control URL, resolved against URLBase where the
    description has one (UDA 1.0), else against ``location``."""
    root = _xml(description)
    base = next((e.text.strip() for e in root.iter() if _local(e.tag) == "URLBase" and e.text),
                location)
    for service in (e for e in root.iter() if _local(e.tag) == "service"):
        fields = {_local(child.tag): (child.text or "").strip() for child in service}
        kind = fields.get("serviceType", "")
        if kind.startswith(WAN_SERVICES) and fields.get("controlURL"):
            return kind, parse_url(fields["controlURL"], base)
    raise UpnpError("no WANIPConnection or WANPPPConnection service")


def build_action(service_type: str, url: Url) -> bytes:
    """The SOAP request GetExternalIPAddress (UDA §3.2.1; WANIPConnection:1 §2.4.18)."""
    body = ('<?xml version="1.0"?>\r\n'
            '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
            's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">'
            f'<s:Body><u:{ACTION} xmlns:u="{service_type}"></u:{ACTION}></s:Body>'
            "</s:Envelope>\r\n").encode()
    head = (f"POST {url.path} HTTP/1.1\r\nHost: {format_addr((url.host, url.port))}\r\n"
            f'Content-Type: text/xml; charset="utf-8"\r\n'
            f'SOAPAction: "{service_type}#{ACTION}"\r\nUser-Agent: {USER_AGENT}\r\n'
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode("ascii")
    return head + body


def _dechunk(data: bytes) -> bytes:
    """A chunked body (RFC 9112 §7.1); trailers ignored."""
    out = bytearray()
    while True:
        size_line, sep, data = data.partition(b"\r\n")
        if not sep:
            raise UpnpError("truncated chunked body")
        try:
            size = int(size_line.split(b";")[0].strip(), 16)
        except ValueError as exc:
            raise UpnpError("bad chunk size") from exc
        if size == 0:
            return bytes(out)
        if len(data) < size or len(out) + size > MAX_BODY:
            raise UpnpError("truncated or too large chunked body")
        out += data[:size]
        data = data[size + 2:]


def parse_http_response(data: bytes) -> tuple[int, bytes]:
    """The status code and body of a whole HTTP/1.x response read to the connection's end:
    Content-Length, chunked, or all that came (RFC 9112 §6.3)."""
    start, headers, rest = _head(data)
    match = re.fullmatch(r"HTTP/1\.[01] (\d{3})( .*)?", start)
    if match is None:
        raise UpnpError("not an HTTP response")
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return int(match.group(1)), _dechunk(rest)
    length = headers.get("content-length")
    if length is not None:
        if not length.isdigit() or int(length) > len(rest):
            raise UpnpError("truncated body")
        rest = rest[:int(length)]
    return int(match.group(1)), rest


def parse_action_response(status: int, body: bytes) -> str | None:
    """``NewExternalIPAddress`` of a GetExternalIPAddress response, ``None`` when it is empty
    (the router has no address to give, WANIPConnection:2 §2.3.13); a SOAP fault raises
    :class:`UpnpFault` (UDA §3.2.2: HTTP 500 with a UPnPError)."""
    root = _xml(body)
    elements = {_local(e.tag): (e.text or "").strip() for e in root.iter()}
    if "Fault" in elements:
        code = elements.get("errorCode", "")
        raise UpnpFault(int(code) if code.isdigit() else None,
                        elements.get("errorDescription") or elements.get("faultstring", ""))
    if status != 200 or "NewExternalIPAddress" not in elements:
        raise UpnpError(f"HTTP {status} without NewExternalIPAddress")
    return elements["NewExternalIPAddress"] or None

"""UPnP IGD's external address, sans-I/O: unicast M-SEARCH (UDA 1.1 §1.3.2), the device
description (§2), GetExternalIPAddress over SOAP (§3.2; WANIPConnection:1 §2.4.18)."""

from __future__ import annotations

import pytest

from flexdiag.codec import upnp

# The shape miniupnpd serves (rootDesc.xml): the WAN service two devices deep.
DESCRIPTION = b"""<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0" configId="1337">
<specVersion><major>1</major><minor>1</minor></specVersion>
<device><deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:1</deviceType>
<serviceList><service>
<serviceType>urn:schemas-upnp-org:service:Layer3Forwarding:1</serviceType>
<controlURL>/ctl/L3F</controlURL></service></serviceList>
<deviceList><device><deviceType>urn:schemas-upnp-org:device:WANDevice:1</deviceType>
<serviceList><service>
<serviceType>urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1</serviceType>
<controlURL>/ctl/CmnIfCfg</controlURL></service></serviceList>
<deviceList><device><deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:1</deviceType>
<serviceList><service>
<serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType>
<serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId>
<controlURL>/ctl/IPConn</controlURL><eventSubURL>/evt/IPConn</eventSubURL>
<SCPDURL>/WANIPCn.xml</SCPDURL></service></serviceList>
</device></deviceList></device></deviceList></device></root>"""


def _response(body: bytes, status: str = "200 OK", extra: str = "") -> bytes:
    return (f"HTTP/1.1 {status}\r\nContent-Type: text/xml\r\n{extra}"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def _soap(inner: str) -> bytes:
    return ('<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/'
            f'envelope/"><s:Body>{inner}</s:Body></s:Envelope>').encode()


ANSWER = _soap('<u:GetExternalIPAddressResponse xmlns:u="urn:schemas-upnp-org:service:'
               'WANIPConnection:1"><NewExternalIPAddress>192.168.1.2</NewExternalIPAddress>'
               "</u:GetExternalIPAddressResponse>")
FAULT = _soap('<s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring>'
              '<detail><UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>501'
              "</errorCode><errorDescription>Action Failed</errorDescription></UPnPError>"
              "</detail></s:Fault>")


def test_the_search_is_a_unicast_m_search_for_a_gateway() -> None:
    assert upnp.build_search("192.168.178.1") == (
        b"M-SEARCH * HTTP/1.1\r\nHOST: 192.168.178.1:1900\r\nMAN: \"ssdp:discover\"\r\n"
        b"MX: 1\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n"
        b"USER-AGENT: flexdiag UPnP/1.1\r\n\r\n")
    assert upnp.SSDP_PORT == 1900


def test_the_search_response_gives_the_location() -> None:
    reply = (b"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\nST: urn:schemas-upnp-org:"
             b"device:InternetGatewayDevice:1\r\nUSN: uuid:1::urn:x\r\nEXT:\r\n"
             b"location: http://192.168.178.1:49000/rootDesc.xml\r\n\r\n")
    assert upnp.parse_search_response(reply) == "http://192.168.178.1:49000/rootDesc.xml"
    assert upnp.parse_search_response(b"HTTP/1.0 200\r\nLOCATION: http://a/\r\n\r\n") == "http://a/"


@pytest.mark.parametrize("reply", [
    b"", b"HTTP/1.1 200 OK\r\nLOCATION: http://a/",  # no end of headers
    b"NOTIFY * HTTP/1.1\r\nLOCATION: http://a/\r\n\r\n",  # an announcement, not an answer
    b"HTTP/1.1 404 Not Found\r\nLOCATION: http://a/\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nST: x\r\n\r\n", b"HTTP/1.1 200 OK\r\nLOCATION:\r\n\r\n",
    b"HTTP/2 200 OK\r\nLOCATION: http://a/\r\n\r\n"])
def test_what_is_not_a_search_response_is_refused(reply: bytes) -> None:
    with pytest.raises(upnp.UpnpError):
        upnp.parse_search_response(reply)


def test_urls_resolve_against_their_base() -> None:
    assert upnp.parse_url("http://10.0.0.1:5000/rootDesc.xml") == upnp.Url(
        "10.0.0.1", 5000, "/rootDesc.xml")
    assert upnp.parse_url("/ctl/IPConn", "http://10.0.0.1:5000/rootDesc.xml") == upnp.Url(
        "10.0.0.1", 5000, "/ctl/IPConn")
    assert upnp.parse_url("ctl?a=1", "http://10.0.0.1/dir/desc.xml") == upnp.Url(
        "10.0.0.1", 80, "/dir/ctl?a=1")
    assert upnp.parse_url("http://[fe80::1]:49000") == upnp.Url("fe80::1", 49000, "/")
    assert str(upnp.Url("fe80::1", 49000, "/x")) == "http://[fe80::1]:49000/x"
    assert str(upnp.Url("10.0.0.1", 80, "/")) == "http://10.0.0.1:80/"


@pytest.mark.parametrize("url", ["https://10.0.0.1/x", "ftp://10.0.0.1/", "/relative-only",
                                 "http:///nohost", "http://10.0.0.1:0/", "http://10.0.0.1:99999/",
                                 "http://10.0.0.1:port/"])
def test_what_is_not_an_http_url_is_refused(url: str) -> None:
    with pytest.raises(upnp.UpnpError):
        upnp.parse_url(url)


def test_the_description_names_the_wan_service_and_its_control_url() -> None:
    kind, url = upnp.control_url(DESCRIPTION, "http://10.0.0.1:5000/rootDesc.xml")
    assert kind == "urn:schemas-upnp-org:service:WANIPConnection:1"
    assert url == upnp.Url("10.0.0.1", 5000, "/ctl/IPConn")


def test_a_ppp_service_and_an_url_base_serve_too() -> None:
    description = (b'<root xmlns="urn:schemas-upnp-org:device-1-0"><URLBase>'
                   b"http://10.0.0.1:49000/</URLBase><device><serviceList><service><serviceType>"
                   b"urn:schemas-upnp-org:service:WANPPPConnection:1</serviceType><controlURL>"
                   b"upnp/control/WANPPPConn1</controlURL></service></serviceList></device></root>")
    kind, url = upnp.control_url(description, "http://10.0.0.1:5000/desc.xml")
    assert kind == "urn:schemas-upnp-org:service:WANPPPConnection:1"
    assert url == upnp.Url("10.0.0.1", 49000, "/upnp/control/WANPPPConn1")


@pytest.mark.parametrize("description", [
    b"not xml", b"<root/>", DESCRIPTION.replace(b"<controlURL>/ctl/IPConn</controlURL>", b""),
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><root>&a;</root>',
    b"<root>" + b" " * upnp.MAX_BODY + b"</root>"])
def test_a_description_without_a_wan_service_is_refused(description: bytes) -> None:
    with pytest.raises(upnp.UpnpError):
        upnp.control_url(description, "http://10.0.0.1/")


def test_the_action_is_a_soap_post() -> None:
    request = upnp.build_action("urn:schemas-upnp-org:service:WANIPConnection:1",
                                upnp.Url("10.0.0.1", 5000, "/ctl/IPConn"))
    head, _, body = request.partition(b"\r\n\r\n")
    assert head.split(b"\r\n") == [
        b"POST /ctl/IPConn HTTP/1.1", b"Host: 10.0.0.1:5000",
        b'Content-Type: text/xml; charset="utf-8"',
        b'SOAPAction: "urn:schemas-upnp-org:service:WANIPConnection:1#GetExternalIPAddress"',
        b"User-Agent: flexdiag UPnP/1.1", b"Content-Length: %d" % len(body),
        b"Connection: close"]
    assert (b'<u:GetExternalIPAddress xmlns:u="urn:schemas-upnp-org:service:WANIPConnection:1">'
            b"</u:GetExternalIPAddress>") in body
    assert upnp.build_get(upnp.Url("10.0.0.1", 5000, "/rootDesc.xml")) == (
        b"GET /rootDesc.xml HTTP/1.1\r\nHost: 10.0.0.1:5000\r\nUser-Agent: flexdiag UPnP/1.1"
        b"\r\nConnection: close\r\n\r\n")


def test_http_responses_by_length_by_chunks_and_to_the_end() -> None:
    assert upnp.parse_http_response(_response(b"abc") + b"trailing") == (200, b"abc")
    chunked = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"3;x=y\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
    assert upnp.parse_http_response(chunked) == (200, b"abcde")
    assert upnp.parse_http_response(b"HTTP/1.0 500 Internal\r\n\r\nrest") == (500, b"rest")


@pytest.mark.parametrize("data", [
    b"garbage", b"HTTP/1.1 200 OK\r\n\r", b"SIP/2.0 200 OK\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
    b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabc",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    + b"%x\r\n" % (upnp.MAX_BODY + 1) + b"a" * (upnp.MAX_BODY + 1) + b"\r\n0\r\n\r\n"])
def test_broken_http_is_refused(data: bytes) -> None:
    with pytest.raises(upnp.UpnpError):
        upnp.parse_http_response(data)


def test_the_answer_is_the_external_address() -> None:
    assert upnp.parse_action_response(200, ANSWER) == "192.168.1.2"
    empty = ANSWER.replace(b">192.168.1.2<", b"><")
    assert upnp.parse_action_response(200, empty) is None  # miniupnpd: nothing public to give


def test_a_fault_carries_the_upnp_error() -> None:
    with pytest.raises(upnp.UpnpFault) as fault:
        upnp.parse_action_response(500, FAULT)
    assert (fault.value.code, fault.value.description) == (501, "Action Failed")
    assert str(fault.value) == "UPnP error 501: Action Failed"
    bare = _soap("<s:Fault><faultcode>s:Server</faultcode><faultstring>busy</faultstring>"
                 "</s:Fault>")
    with pytest.raises(upnp.UpnpFault, match="^UPnP fault: busy$"):
        upnp.parse_action_response(500, bare)


@pytest.mark.parametrize(("status", "body"), [(404, ANSWER), (200, _soap("<x/>")),
                                              (200, b"<html>login</html>"), (200, b"")])
def test_an_answer_without_the_address_is_refused(status: int, body: bytes) -> None:
    with pytest.raises(upnp.UpnpError):
        upnp.parse_action_response(status, body)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: upnp.parse_search_response(b"HTTP/1.1 200 OK\r\n"), "no end of headers"),
    (lambda: upnp.parse_search_response(b"NOTIFY * HTTP/1.1\r\n\r\n"),
     "not an M-SEARCH response"),
    (lambda: upnp.parse_search_response(b"HTTP/1.1 200 OK\r\nST: x\r\n\r\n"),
     "M-SEARCH response without LOCATION"),
    (lambda: upnp.parse_url("http://10.0.0.1:port/"), "bad URL 'http://10.0.0.1:port/'"),
    (lambda: upnp.parse_url("https://10.0.0.1/"), "not an http URL: 'https://10.0.0.1/'"),
    (lambda: upnp.control_url(b"<r>" + b" " * upnp.MAX_BODY + b"</r>", "http://a/"),
     "too large"),
    (lambda: upnp.control_url(b"<!DOCTYPE r><r/>", "http://a/"), "a DOCTYPE or ENTITY: refused"),
    (lambda: upnp.control_url(b"<!doctype r><r/>", "http://a/"), "a DOCTYPE or ENTITY: refused"),
    (lambda: upnp.control_url(b'<r><!ENTITY a "b"></r>', "http://a/"),
     "a DOCTYPE or ENTITY: refused"),
    (lambda: upnp.control_url(b"<r/>", "http://a/"),
     "no WANIPConnection or WANPPPConnection service"),
    (lambda: upnp.parse_http_response(b"SIP/2.0 200 OK\r\n\r\n"), "not an HTTP response"),
    (lambda: upnp.parse_http_response(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabc"),
     "truncated body"),
    (lambda: upnp.parse_http_response(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc"),
     "truncated chunked body"),
    (lambda: upnp.parse_http_response(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nx\r\n"), "bad chunk size"),
    (lambda: upnp.parse_http_response(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabc"),
     "truncated or too large chunked body"),
    (lambda: upnp.parse_action_response(404, ANSWER),
     "HTTP 404 without NewExternalIPAddress"),
])
def test_each_refusal_says_why(call: object, message: str) -> None:
    with pytest.raises(upnp.UpnpError) as refused:
        call()  # type: ignore[operator]
    assert str(refused.value) == message


def test_sizes_at_their_caps_are_taken() -> None:
    at_cap = b"<r>" + b" " * (upnp.MAX_BODY - 7) + b"</r>"
    assert len(at_cap) == upnp.MAX_BODY
    with pytest.raises(upnp.UpnpError, match="^no WANIPConnection"):  # read, not refused
        upnp.control_url(at_cap, "http://a/")
    exact = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
    assert upnp.parse_http_response(exact) == (200, b"abc")
    ten = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n0\r\n\r\n"
    assert upnp.parse_http_response(ten) == (200, b"0123456789")  # sizes are hexadecimal
    whole = upnp.MAX_BODY - 1
    chunks = b"%x\r\n" % whole + b"a" * whole + b"\r\n1\r\nb\r\n0\r\n\r\n"
    body = upnp.parse_http_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                    + chunks)[1]
    assert len(body) == upnp.MAX_BODY  # exactly at the cap, in two chunks
    with pytest.raises(upnp.UpnpError, match="^truncated chunked body$"):
        upnp.parse_http_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc")


def test_a_service_without_a_type_or_an_empty_control_url_is_passed_over() -> None:
    untyped = b"<root><service><controlURL>/ctl</controlURL></service></root>"
    empty = (b"<root><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1"
             b"</serviceType><controlURL></controlURL></service></root>")
    for description in (untyped, empty):
        with pytest.raises(upnp.UpnpError, match="^no WANIPConnection"):
            upnp.control_url(description, "http://10.0.0.1/")


def test_the_action_s_body_to_the_byte() -> None:
    request = upnp.build_action("urn:x:1", upnp.Url("10.0.0.1", 80, "/c"))
    assert request.partition(b"\r\n\r\n")[2] == (
        b'<?xml version="1.0"?>\r\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/'
        b'envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>'
        b'<u:GetExternalIPAddress xmlns:u="urn:x:1"></u:GetExternalIPAddress></s:Body>'
        b"</s:Envelope>\r\n")


def test_a_fault_without_words_says_so() -> None:
    with pytest.raises(upnp.UpnpFault) as fault:
        upnp.parse_action_response(500, _soap("<s:Fault><faultcode>s:Server</faultcode>"
                                              "</s:Fault>"))
    assert str(fault.value) == "UPnP fault: " and fault.value.code is None

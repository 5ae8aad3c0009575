"""The SIP messages of a registration and a call (RFC 3261 §10, §12-§17)."""

from __future__ import annotations

import pytest

from flexdiag.codec import sipcall
from flexdiag.codec.sip import parse_request, parse_response

LOCAL = ("192.0.2.10", 5060)


def leg() -> sipcall.Leg:
    return sipcall.Leg("31201110001", "voip.example", LOCAL, call_id="c1@flexdiag", tag="t1")


def test_register_as_rfc3261_10_2() -> None:
    reg = leg()
    reg.next_cseq()
    data = sipcall.register(reg, branch="z9hG4bKb1", expires=3600, auth='Digest x="y"')
    req = parse_request(data)
    assert (req.method, req.uri) == ("REGISTER", "sip:voip.example")
    assert req.header("to") == "<sip:31201110001@voip.example>"
    assert req.header("from") == "<sip:31201110001@voip.example>;tag=t1"
    assert req.header("contact") == "<sip:31201110001@192.0.2.10:5060>;expires=3600"
    assert req.header("cseq") == "1 REGISTER" and req.header("expires") == "3600"
    assert req.header("authorization") == 'Digest x="y"'
    assert req.vias[0].branch == "z9hG4bKb1" and "rport" in req.vias[0].params
    assert reg.remote_uri == ""  # the leg is left as it was


def test_invite_carries_the_offer() -> None:
    caller = leg()
    caller.remote_uri = "sip:31201110002@voip.example"
    data = sipcall.invite(caller, branch="z9hG4bKb2", sdp=b"v=0\r\n", auth="Digest a",
                          auth_header="Proxy-Authorization")
    req = parse_request(data)
    assert req.uri == "sip:31201110002@voip.example" and req.body == b"v=0\r\n"
    assert req.header("content-type") == "application/sdp"
    assert req.header("proxy-authorization") == "Digest a"


INVITE = (b"INVITE sip:31201110001@192.0.2.10:5060 SIP/2.0\r\n"
          b"Record-Route: <sip:198.51.100.20;lr>\r\n"
          b"Record-Route: <sip:198.51.100.30;lr>\r\n"
          b"v: SIP/2.0/UDP 198.51.100.20;branch=z9hG4bKp\r\n"
          b"v: SIP/2.0/UDP 192.0.2.11:40000;branch=z9hG4bKc;rport=1;received=203.0.113.7\r\n"
          b"f: <sip:31201110002@voip.example>;tag=caller\r\n"
          b"t: <sip:31201110001@voip.example>\r\ni: call-9\r\nCSeq: 2 INVITE\r\n"
          b"m: <sip:31201110002@192.0.2.11:40000;alias=203.0.113.7~40000~1>\r\n"
          b"Subject: folded\r\n  line\r\nl: 4\r\n\r\nv=0\r\nextra")


def test_parse_request_with_compact_forms_folding_and_length() -> None:
    req = parse_request(INVITE)
    assert req.method == "INVITE" and req.body == b"v=0\r"[:4]
    assert req.header("subject") == "folded line"
    assert len(req.vias) == 2 and req.all("record-route") == [
        "<sip:198.51.100.20;lr>", "<sip:198.51.100.30;lr>"]


@pytest.mark.parametrize("data", [b"SIP/2.0 200 OK\r\n\r\n", b"INVITE\r\n\r\n",
                                  b"INVITE sip:x SIP/3.0\r\n\r\n", b"\xff\r\n\r\n",
                                  b"INVITE sip:x SIP/2.0\r\nno colon\r\n\r\n"])
def test_parse_request_refuses_what_is_not_a_request(data: bytes) -> None:
    with pytest.raises(ValueError):
        parse_request(data)


def test_uas_replies_copy_what_rfc3261_says() -> None:
    req = parse_request(INVITE)
    ok = parse_response(sipcall.reply(req, 200, to_tag="callee", contact="<sip:a@192.0.2.10>",
                                      body=b"v=0\r\n", content_type="application/sdp"))
    assert ok.status_code == 200 and ok.body == b"v=0\r\n"
    assert ok.header("to") == "<sip:31201110001@voip.example>;tag=callee"
    assert ok.all("record-route") == ["<sip:198.51.100.20;lr>", "<sip:198.51.100.30;lr>"]
    assert [v.branch for v in ok.vias] == ["z9hG4bKp", "z9hG4bKc"]
    trying = parse_response(sipcall.reply(req, 100, to_tag="callee"))
    assert sipcall.tag_of(trying.header("to") or "") is None and not trying.all("record-route")
    options = parse_request(INVITE.replace(b"INVITE sip", b"OPTIONS sip", 1))
    assert "INVITE" in (parse_response(sipcall.reply(options, 200)).header("allow") or "")


def test_dialogs_from_both_sides() -> None:
    req = parse_request(INVITE)
    uas = sipcall.dialog_from_invite(leg(), req)
    assert uas.call_id == "call-9" and uas.remote_tag == "caller"
    assert uas.route_set == ("<sip:198.51.100.20;lr>", "<sip:198.51.100.30;lr>")
    ok = parse_response(sipcall.reply(req, 200, to_tag="callee",
                                      contact="<sip:31201110001@192.0.2.10:5060>"))
    uac = sipcall.dialog_from_2xx(leg(), ok)
    assert uac.remote_target == "sip:31201110001@192.0.2.10:5060"
    assert uac.route_set == ("<sip:198.51.100.30;lr>", "<sip:198.51.100.20;lr>")
    assert uac.remote_tag == "callee"
    bye = parse_request(sipcall.in_dialog(uac, "BYE", branch="z9hG4bKbye", cseq=3))
    assert bye.uri == "sip:31201110001@192.0.2.10:5060"
    assert bye.raw("route") == ["<sip:198.51.100.30;lr>", "<sip:198.51.100.20;lr>"]
    assert sipcall.tag_of(bye.header("to") or "") == "callee"


def test_ack_of_a_failure_and_cancel_keep_the_invite_branch() -> None:
    caller = leg()
    caller.remote_uri = "sip:31201110002@voip.example"
    ack = parse_request(sipcall.ack_failure(caller, "z9hG4bKi", 1,
                                            "<sip:31201110002@voip.example>;tag=x"))
    assert ack.vias[0].branch == "z9hG4bKi" and ack.header("cseq") == "1 ACK"
    assert ack.header("to") == "<sip:31201110002@voip.example>;tag=x"
    cancel = parse_request(sipcall.cancel(caller, "z9hG4bKi", 1))
    assert cancel.vias[0].branch == "z9hG4bKi" and cancel.header("cseq") == "1 CANCEL"


def test_expiry_granted_and_min_expires() -> None:
    contact = "sip:31201110001@192.0.2.10:5060"
    ok = parse_response(b"SIP/2.0 200 OK\r\nContact: <sip:other@192.0.2.99>;expires=10, "
                        b"<sip:31201110001@192.0.2.10:5060>;expires=120\r\nExpires: 60\r\n\r\n")
    assert sipcall.granted_expiry(ok, contact) == 120
    plain = parse_response(b"SIP/2.0 200 OK\r\nExpires: 60\r\n\r\n")
    assert sipcall.granted_expiry(plain, contact) == 60
    too_brief = parse_response(b"SIP/2.0 423 Interval Too Brief\r\nMin-Expires: 600\r\n\r\n")
    assert sipcall.min_expires(too_brief) == 600 and sipcall.min_expires(plain) is None


def test_names_tags_and_cseq() -> None:
    assert sipcall.uri_of('"A, B" <sip:a@b;lr>;tag=1') == "sip:a@b;lr"
    assert sipcall.uri_of("sip:a@b;tag=1") == "sip:a@b"
    assert sipcall.tag_of("<sip:a@b;tag=inside>;tag=outside") == "outside"
    assert sipcall.tag_of("<sip:a@b;tag=inside>") is None
    assert sipcall.cseq_of(parse_request(INVITE)) == (2, "INVITE")
    assert sipcall.cseq_of(parse_response(b"SIP/2.0 200 OK\r\nCSeq: x\r\n\r\n")) is None


# --- every byte of what flexdiag sends (RFC 3261 §7, §8.1.1, §8.2.6) -----------------------------

def _fixed() -> sipcall.Leg:
    caller = sipcall.Leg("bob", "voip.example", ("192.0.2.11", 40000), call_id="c9@flexdiag",
                         tag="tb", cseq=1)
    caller.remote_uri = "sip:alice@voip.example"
    return caller


def test_register_bytes() -> None:
    data = sipcall.register(_fixed(), branch="z9hG4bKr", expires=60, auth="Digest x",
                            auth_header="Authorization")
    assert data == (
        b"REGISTER sip:voip.example SIP/2.0\r\n"
        b"Via: SIP/2.0/UDP 192.0.2.11:40000;branch=z9hG4bKr;rport\r\n"
        b"Max-Forwards: 70\r\n"
        b"From: <sip:bob@voip.example>;tag=tb\r\n"
        b"To: <sip:bob@voip.example>\r\n"
        b"Call-ID: c9@flexdiag\r\n"
        b"CSeq: 1 REGISTER\r\n"
        b"Contact: <sip:bob@192.0.2.11:40000>;expires=60\r\n"
        b"Expires: 60\r\n"
        b"Authorization: Digest x\r\n"
        b"Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, NOTIFY\r\n"
        b"User-Agent: flexdiag\r\n"
        b"Content-Length: 0\r\n\r\n")
    assert b"Authorization" not in sipcall.register(_fixed(), branch="z9hG4bKr", expires=0)


def test_invite_bytes() -> None:
    data = sipcall.invite(_fixed(), branch="z9hG4bKi", sdp=b"v=0\r\n")
    assert data == (
        b"INVITE sip:alice@voip.example SIP/2.0\r\n"
        b"Via: SIP/2.0/UDP 192.0.2.11:40000;branch=z9hG4bKi;rport\r\n"
        b"Max-Forwards: 70\r\n"
        b"From: <sip:bob@voip.example>;tag=tb\r\n"
        b"To: <sip:alice@voip.example>\r\n"
        b"Call-ID: c9@flexdiag\r\n"
        b"CSeq: 1 INVITE\r\n"
        b"Contact: <sip:bob@192.0.2.11:40000>\r\n"
        b"Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, NOTIFY\r\n"
        b"User-Agent: flexdiag\r\n"
        b"Content-Type: application/sdp\r\n"
        b"Content-Length: 5\r\n\r\nv=0\r\n")
    authed = sipcall.invite(_fixed(), branch="z9hG4bKi", sdp=b"", auth="Digest y")
    assert b"\r\nProxy-Authorization: Digest y\r\n" in authed


def test_in_dialog_ack_failure_and_cancel_bytes() -> None:
    dialog = _fixed()
    dialog.remote_tag, dialog.remote_target = "ta", "sip:alice@192.0.2.10:5060"
    dialog.route_set = ("<sip:198.51.100.20;lr>",)
    assert sipcall.in_dialog(dialog, "BYE", branch="z9hG4bKb", cseq=2) == (
        b"BYE sip:alice@192.0.2.10:5060 SIP/2.0\r\n"
        b"Via: SIP/2.0/UDP 192.0.2.11:40000;branch=z9hG4bKb;rport\r\n"
        b"Max-Forwards: 70\r\n"
        b"Route: <sip:198.51.100.20;lr>\r\n"
        b"From: <sip:bob@voip.example>;tag=tb\r\n"
        b"To: <sip:alice@voip.example>;tag=ta\r\n"
        b"Call-ID: c9@flexdiag\r\n"
        b"CSeq: 2 BYE\r\n"
        b"User-Agent: flexdiag\r\n"
        b"Content-Length: 0\r\n\r\n")
    no_target = _fixed()
    assert sipcall.in_dialog(no_target, "ACK", branch="z9hG4bKa").startswith(
        b"ACK sip:alice@voip.example SIP/2.0\r\n")
    ack = sipcall.ack_failure(_fixed(), "z9hG4bKi", 1, "<sip:alice@voip.example>;tag=x")
    assert ack.startswith(b"ACK sip:alice@voip.example SIP/2.0\r\n")
    assert ack.count(b"\r\nTo: ") == 1 and b"\r\nTo: <sip:alice@voip.example>;tag=x\r\n" in ack
    assert sipcall.cancel(_fixed(), "z9hG4bKi", 1).startswith(
        b"CANCEL sip:alice@voip.example SIP/2.0\r\n")


def test_reply_bytes() -> None:
    req = parse_request(INVITE)
    assert sipcall.reply(req, 180, to_tag="callee") == (
        b"SIP/2.0 180 Ringing\r\n"
        b"Via: SIP/2.0/UDP 198.51.100.20;branch=z9hG4bKp\r\n"
        b"Via: SIP/2.0/UDP 192.0.2.11:40000;branch=z9hG4bKc;rport=1;received=203.0.113.7\r\n"
        b"Record-Route: <sip:198.51.100.20;lr>\r\n"
        b"Record-Route: <sip:198.51.100.30;lr>\r\n"
        b"From: <sip:31201110002@voip.example>;tag=caller\r\n"
        b"To: <sip:31201110001@voip.example>;tag=callee\r\n"
        b"Call-ID: call-9\r\n"
        b"CSeq: 2 INVITE\r\n"
        b"User-Agent: flexdiag\r\n"
        b"Content-Length: 0\r\n\r\n")
    refused = sipcall.reply(parse_request(INVITE.replace(b"INVITE sip", b"FOO sip", 1)), 405)
    assert refused.startswith(b"SIP/2.0 405 Method Not Allowed\r\n")
    assert b"\r\nAllow: INVITE" in refused and b"Record-Route" not in refused
    assert sipcall.reply(req, 499).startswith(b"SIP/2.0 499 Unknown\r\n")
    assert b"Allow" not in sipcall.reply(req, 486)
    bare = parse_request(b"BYE sip:x SIP/2.0\r\n\r\n")
    assert b"\r\nFrom: \r\nTo: ;tag=t\r\nCall-ID: \r\nCSeq: \r\n" in sipcall.reply(
        bare, 200, to_tag="t")


def test_edges_of_the_readers() -> None:
    assert sipcall.uri_of("<sip:a@b> <sip:c@d>") == "sip:a@b"
    assert sipcall.uri_of("  sip:a@b  ") == "sip:a@b"
    upper = parse_response(b"SIP/2.0 200 OK\r\nContact: <sip:a@b>;EXPIRES=30\r\n\r\n")
    assert sipcall.granted_expiry(upper, "sip:a@b") == 30
    assert sipcall.granted_expiry(parse_response(b"SIP/2.0 200 OK\r\nExpires: soon\r\n\r\n"),
                                  "sip:a@b") is None
    assert sipcall.min_expires(parse_response(b"SIP/2.0 423 X\r\nMin-Expires: x\r\n\r\n")) is None
    bare = sipcall.dialog_from_invite(leg(), parse_request(b"INVITE sip:x SIP/2.0\r\n\r\n"))
    assert (bare.remote_target, bare.remote_tag, bare.remote_uri, bare.route_set) == (
        None, None, "", ())
    assert bare.call_id == "c1@flexdiag"
    counted = leg()
    assert (counted.next_cseq(), counted.next_cseq()) == (1, 2)
    assert sipcall.new_branch().startswith("z9hG4bK") and len(sipcall.new_branch()) == 23
    assert sipcall.new_branch() != sipcall.new_branch() and len(sipcall.new_tag()) == 8
    assert sipcall.branch_of(parse_response(b"SIP/2.0 200 OK\r\nVia: nonsense\r\n\r\n")) is None
    assert sipcall.branch_of(parse_response(b"SIP/2.0 200 OK\r\n\r\n")) is None


def test_the_uas_dialog_from_an_invite_whole() -> None:
    dialog = sipcall.dialog_from_invite(leg(), parse_request(INVITE))
    assert dialog.call_id == "call-9"
    assert dialog.remote_target == "sip:31201110002@192.0.2.11:40000;alias=203.0.113.7~40000~1"
    assert dialog.route_set == ("<sip:198.51.100.20;lr>", "<sip:198.51.100.30;lr>")
    assert (dialog.remote_tag, dialog.remote_uri) == ("caller", "sip:31201110002@voip.example")
    bare = parse_request(b"INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n"
                         b"Call-ID: c\r\nCSeq: 1 INVITE\r\n\r\n")
    empty = sipcall.dialog_from_invite(leg(), bare)
    assert (empty.remote_target, empty.route_set, empty.remote_tag, empty.remote_uri) == (
        None, (), None, "")


@pytest.mark.parametrize(("code", "routes"), [(100, False), (101, True), (180, True),
                                              (299, True), (300, False), (486, False)])
def test_record_route_is_copied_only_where_the_response_makes_a_dialog(
        code: int, routes: bool) -> None:
    response = parse_response(sipcall.reply(parse_request(INVITE), code, to_tag="uas"))
    assert bool(response.all("record-route")) is routes
    # RFC 3261 §8.2.6.2: a 100 Trying carries no To tag; every other response does.
    assert (sipcall.tag_of(response.header("to") or "") == "uas") is (code != 100)


def test_branches_tags_and_cseqs_read_from_the_right_place() -> None:
    req = parse_request(INVITE)
    assert sipcall.branch_of(req) == "z9hG4bKp"  # the top Via, not the second
    no_via = parse_request(b"OPTIONS sip:a SIP/2.0\r\nCSeq: 1 OPTIONS\r\n\r\n")
    assert sipcall.branch_of(no_via) is None
    assert sipcall.tag_of('"A>B" <sip:a@b;tag=uri>;tag=real') == "real"
    assert sipcall.tag_of("<sip:a@b>;x=1>;tag=last") == "last"
    assert sipcall.tag_of("sip:a@b;tag=plain") == "plain"
    for cseq, expected in (("7 invite", (7, "INVITE")), ("x INVITE", None), ("7", None),
                           ("7 INVITE extra", None), ("٣ INVITE", None), ("", None)):
        message = parse_request(b"OPTIONS sip:a SIP/2.0\r\nCSeq: " + cseq.encode() + b"\r\n\r\n")
        assert sipcall.cseq_of(message) == expected, cseq


def test_ack_for_a_failure_rewrites_only_the_to_header() -> None:
    caller = leg()
    caller.remote_uri = "sip:31201110002@voip.example"
    data = sipcall.ack_failure(caller, "z9hG4bKi", 3, "<sip:b@voip.example>;tag=uas")
    req = parse_request(data)
    assert req.header("to") == "<sip:b@voip.example>;tag=uas"
    assert data.count(b"\r\nTo: ") == 1
    assert (req.method, sipcall.cseq_of(req)) == ("ACK", (3, "ACK"))

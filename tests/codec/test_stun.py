"""STUN codec: RFC 5769 test vector, golden bytes, exact error messages, fuzzing."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flexdiag.codec import stun

DATA = Path(__file__).parent.parent / "data"
TID = bytes(range(12))


def test_rfc5769_ipv4_response() -> None:
    # RFC 5769 §2.2 "Sample IPv4 Response" (FINGERPRINT checked by the parser).
    response = stun.parse_binding_response((DATA / "rfc5769-ipv4-response.bin").read_bytes())
    assert response.mapped == ("192.0.2.1", 32853)
    assert response.xor_mapped is True
    assert response.software == "test vector"
    assert response.transaction_id == bytes.fromhex("b7e7a701bc34d686fa87dfae")
    assert not response.is_error


def test_binding_request_golden() -> None:
    # Header: type 0x0001, length 8, cookie, transaction ID; then FINGERPRINT (RFC 8489 §14.7).
    assert stun.build_binding_request(TID).hex() == (
        "000100082112a442" + TID.hex() + "802800045b0ff6fc"
    )
    assert stun.parse_binding_request(stun.build_binding_request(TID)) == stun.StunRequest(
        TID, 0, None)


def test_change_request_attribute() -> None:
    data = stun.build_binding_request(TID, change_ip=True, change_port=True)
    assert bytes.fromhex("0003000400000006") in data  # RFC 5780 §7.2
    assert stun.parse_binding_request(data).change == stun.CHANGE_IP | stun.CHANGE_PORT


def test_response_port_attribute() -> None:
    # RFC 5780 §7.5: type 0x0027, length 4, port, 2 bytes of padding; FINGERPRINT still last
    # and valid (the parser checks it).
    data = stun.build_binding_request(TID, response_port=40000)
    assert bytes.fromhex("002700049c400000") in data
    assert stun.parse_binding_request(data) == stun.StunRequest(TID, 0, 40000)


def test_response_round_trip() -> None:
    data = stun.build_binding_response(TID, ("198.51.100.7", 40000),
                                       other_address=("203.0.113.2", 3479),
                                       response_origin=("203.0.113.1", 3478))
    response = stun.parse_binding_response(data)
    assert response.mapped == ("198.51.100.7", 40000)
    assert response.other_address == ("203.0.113.2", 3479)
    assert response.response_origin == ("203.0.113.1", 3478)
    assert response.transaction_id == TID


def test_ipv6_mapped_address() -> None:
    response = stun.parse_binding_response(
        stun.build_binding_response(TID, ("2001:db8::1", 5060)))
    assert response.mapped == ("2001:db8::1", 5060)


GOOD = stun.build_binding_response(TID, ("192.0.2.1", 32853))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x01\x01\x00", "STUN message length is less than 20 bytes"),
        (b"\xc1" + GOOD[1:], "STUN message does not start with two zero bits"),
        (GOOD[:4] + b"\x00\x00\x00\x00" + GOOD[8:], "STUN message has a wrong magic cookie"),
        (GOOD[:2] + b"\x00\x0b" + GOOD[4:], "STUN message length is not a multiple of 4"),
        (GOOD + b"\x00\x00\x00\x00", "STUN message length does not match"),
        (GOOD[:-1] + bytes([GOOD[-1] ^ 1]), "STUN message fingerprint does not match"),
        (stun.build_binding_request(TID), "STUN message is not a response"),
        (b"\x01\x01\x00\x08\x21\x12\xa4\x42" + TID + b"\x00\x20\x00\x04\x00\x01\x00\x00",
         "STUN address has invalid length for IPv4"),
        (b"\x01\x01\x00\x04\x21\x12\xa4\x42" + TID + b"\x80\x23\x00\x00",
         "STUN Binding response has no mapped address"),
        (b"\x01\x01\x00\x04\x21\x12\xa4\x42" + TID + b"\x00\x09\x00\x00",
         "STUN error code is less than 4 bytes"),
        (b"\x01\x01\x00\x04\x21\x12\xa4\x42" + TID + b"\x00\x20\x00\x08",
         "STUN address length is less than 4 bytes"),
        (b"\x01\x02\x00\x00\x21\x12\xa4\x42" + TID, "STUN message is not a Binding"),
        (b"\x0f\xef\x00\x00\x21\x12\xa4\x42" + TID, "STUN message has an unknown method"),
    ],
)
def test_malformed_messages_have_fixed_errors(data: bytes, message: str) -> None:
    with pytest.raises(ValueError) as info:
        stun.parse_binding_response(data)
    assert str(info.value) == message


def test_truncated_attribute_is_a_value_error() -> None:
    # aioice raises struct.error here (error code of 2 bytes); the wrapper must not.
    data = b"\x01\x11\x00\x04\x21\x12\xa4\x42" + TID + b"\x00\x0d\x00\x00"
    with pytest.raises(ValueError, match="^STUN attribute is truncated or malformed$"):
        stun.parse_binding_response(data)


@given(st.binary(max_size=120))
def test_fuzz_parse_only_raises_value_error(data: bytes) -> None:
    try:
        stun.parse_binding_response(data)
    except ValueError:
        pass


@given(st.binary(min_size=4, max_size=80))
def test_fuzz_attributes_after_valid_header(body: bytes) -> None:
    body = body[: len(body) - len(body) % 4]
    header = b"\x01\x01" + len(body).to_bytes(2, "big") + b"\x21\x12\xa4\x42" + TID
    try:
        stun.parse_binding_response(header + body)
    except ValueError:
        pass


# --- exact values and both branches (mutation testing: docs/testing.md) ----------------------

def _message(cls: object, **attributes: object) -> bytes:
    from aioice import stun as aio

    message = aio.Message(aio.Method.BINDING, cls, transaction_id=TID)  # type: ignore[arg-type]
    message.attributes.update(attributes)
    return bytes(message)


def test_transaction_ids_are_12_random_bytes() -> None:
    first, second = stun.new_transaction_id(), stun.new_transaction_id()
    assert len(first) == len(second) == 12 and first != second


@pytest.mark.parametrize("tid", [b"", b"x" * 11, b"x" * 13])
def test_a_transaction_id_of_another_length_is_refused(tid: bytes) -> None:
    with pytest.raises(ValueError, match="^STUN transaction ID must be 12 bytes$"):
        stun.build_binding_request(tid)


@pytest.mark.parametrize(("change_ip", "change_port", "value"), [
    (True, False, stun.CHANGE_IP), (False, True, stun.CHANGE_PORT),
    (True, True, stun.CHANGE_IP | stun.CHANGE_PORT), (False, False, 0)])
def test_change_request_flags_each_alone(change_ip: bool, change_port: bool,
                                         value: int) -> None:
    data = stun.build_binding_request(TID, change_ip=change_ip, change_port=change_port)
    assert stun.parse_binding_request(data).change == value
    assert (bytes.fromhex("00030004") in data) is bool(value)  # no attribute without a flag


def test_request_lengths_count_every_attribute() -> None:
    # The header's length covers RESPONSE-PORT (8 bytes) and FINGERPRINT (8 bytes).
    data = stun.build_binding_request(TID, response_port=65535)
    assert data[2:4] == b"\x00\x10" and len(data) == 20 + 16
    assert stun.parse_binding_request(data).response_port == 65535


def test_parse_request_skips_other_attributes_with_padding() -> None:
    # A SOFTWARE attribute of 5 bytes (padded to 8) before RESPONSE-PORT; a short
    # RESPONSE-PORT (1 byte) is not one.
    from aioice import stun as aio

    message = aio.Message(aio.Method.BINDING, aio.Class.REQUEST, transaction_id=TID)
    message.attributes["SOFTWARE"] = "abcde"
    data = bytes(message) + bytes.fromhex("0027000412340000")
    data = data[:2] + (len(data) - 20).to_bytes(2, "big") + data[4:]
    assert stun.parse_binding_request(data).response_port == 0x1234
    short = bytes(message) + bytes.fromhex("0027000112000000")
    short = short[:2] + (len(short) - 20).to_bytes(2, "big") + short[4:]
    assert stun.parse_binding_request(short).response_port is None
    two = bytes(aio.Message(aio.Method.BINDING, aio.Class.REQUEST, transaction_id=TID)) \
        + bytes.fromhex("0027000256780000")
    two = two[:2] + (len(two) - 20).to_bytes(2, "big") + two[4:]
    assert stun.parse_binding_request(two).response_port == 0x5678


def test_a_response_is_not_a_request() -> None:
    with pytest.raises(ValueError, match="^STUN message is not a request$"):
        stun.parse_binding_request(GOOD)


@pytest.mark.parametrize(("addr", "usable"), [
    (("192.0.2.1", 1), True), (("192.0.2.1", 65535), True), (("192.0.2.1", 0), False),
    (("192.0.2.1", 65536), False), (("0.0.0.0", 5), False), (("224.0.0.1", 5), False),
    (("::", 5), False), (("ff02::1", 5), False), (("not-an-ip", 5), False),
    (("2001:db8::1", 2), True),
])
def test_usable_address(addr: tuple[str, int], usable: bool) -> None:
    assert stun.usable_address(addr) is usable


def test_error_responses_are_parsed() -> None:
    from aioice import stun as aio

    for code, reason in ((401, "Unauthorized"), (420, "Unknown Attribute")):
        response = stun.parse_binding_response(_message(aio.Class.ERROR,
                                                        **{"ERROR-CODE": (code, reason)}))
        assert (response.is_error, response.error_code, response.error_reason) == (
            True, code, reason)
        assert response.mapped is None
    ok = stun.parse_binding_response(GOOD)
    assert (ok.is_error, ok.error_code, ok.error_reason) == (False, None, None)


def test_rfc3489_attributes_are_the_fallbacks() -> None:
    from aioice import stun as aio

    response = stun.parse_binding_response(_message(
        aio.Class.RESPONSE, **{"MAPPED-ADDRESS": ("198.51.100.7", 40000),
                               "CHANGED-ADDRESS": ("203.0.113.2", 3479),
                               "SOURCE-ADDRESS": ("203.0.113.1", 3478)}))
    assert response.mapped == ("198.51.100.7", 40000) and response.xor_mapped is False
    assert response.other_address == ("203.0.113.2", 3479)
    assert response.response_origin == ("203.0.113.1", 3478)


def test_an_impossible_mapped_address_is_refused_with_its_reason() -> None:
    from aioice import stun as aio

    with pytest.raises(ValueError, match=r"^STUN mapped address is impossible \(unspecified, "
                                         r"multicast or port 0\)$"):
        stun.parse_binding_response(_message(
            aio.Class.RESPONSE, **{"XOR-MAPPED-ADDRESS": ("224.0.0.1", 5)}))

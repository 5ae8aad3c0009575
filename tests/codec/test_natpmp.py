"""NAT-PMP's external address exchange (RFC 6886 §3.2), and a PCP server's answer to it."""

from __future__ import annotations

import pytest

from flexdiag.codec import natpmp


def test_success_carries_the_gateways_external_address() -> None:
    reply = natpmp.parse(bytes.fromhex("00800000000059450a000001"))
    assert reply == natpmp.ExternalAddress(0, 0x5945, "10.0.0.1")


def test_a_failure_code_without_address() -> None:
    # miniupnpd's answer when its own WAN address is not public: 3, network failure.
    reply = natpmp.parse(bytes.fromhex("008000030000594500000000"))
    assert (reply.result, reply.address, reply.pcp) == (3, None, False)
    assert natpmp.RESULTS[reply.result] == "network failure"


def test_a_pcp_server_answers_with_its_version() -> None:
    reply = natpmp.parse(bytes.fromhex("0280000100000000") + bytes(16))
    assert reply.pcp and reply.result == 1


@pytest.mark.parametrize("data", [b"", b"\x00\x80\x00", bytes.fromhex("0100000000000000"),
                                  bytes.fromhex("0081000000000000"),
                                  bytes.fromhex("0080000000000000")])  # success, no address
def test_what_is_no_answer_is_a_value_error(data: bytes) -> None:
    with pytest.raises(ValueError):
        natpmp.parse(data)


def test_the_request_is_two_bytes_to_port_5351() -> None:
    assert natpmp.REQUEST == b"\x00\x00" and natpmp.PORT == 5351


def test_the_result_codes_are_rfc_6886s() -> None:
    # RFC 6886 §3.5
    assert natpmp.RESULTS == {0: "success", 1: "unsupported version",
                              2: "not authorized/refused", 3: "network failure",
                              4: "out of resources", 5: "unsupported opcode"}
    assert natpmp.PCP_VERSION == 2


def test_lengths_at_their_boundaries() -> None:
    # A failure needs the 8-byte header only; a success the 12 bytes with the address.
    assert natpmp.parse(bytes.fromhex("0080000400000007")) == natpmp.ExternalAddress(4, 7)
    assert natpmp.parse(bytes.fromhex("00800000ffffffffc6336401") + b"extra") == (
        natpmp.ExternalAddress(0, 0xFFFFFFFF, "198.51.100.1"))
    with pytest.raises(ValueError, match="^NAT-PMP success without an address$"):
        natpmp.parse(bytes.fromhex("00800000000000010a0000"))
    with pytest.raises(ValueError, match="^not a NAT-PMP external address response$"):
        natpmp.parse(bytes.fromhex("00800003000000"))  # 7 bytes


def test_a_pcp_answer_at_its_shortest() -> None:
    assert natpmp.parse(bytes.fromhex("02800001")) == natpmp.ExternalAddress(1, 0, None, True)
    with pytest.raises(ValueError):
        natpmp.parse(bytes.fromhex("028000"))  # too short even for PCP's header
    # Version 1 is neither: not a NAT-PMP response, not PCP's.
    with pytest.raises(ValueError):
        natpmp.parse(bytes.fromhex("01800001000000000a000001"))


def test_the_defaults_of_an_answer() -> None:
    answer = natpmp.ExternalAddress(3)
    assert (answer.epoch_s, answer.address, answer.pcp) == (0, None, False)

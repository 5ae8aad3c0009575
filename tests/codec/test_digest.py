"""Digest authentication (RFC 7616 §3.9.1's example, RFC 8760's algorithms for SIP)."""

from __future__ import annotations

import pytest

from flexdiag.codec import digest

# RFC 7616 §3.9.1: the same challenge with MD5 and with SHA-256.
NONCE = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
CNONCE = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
OPAQUE = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"


def challenge(algorithm: str) -> digest.Challenge:
    return digest.parse_challenge(
        f'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm={algorithm}, '
        f'nonce="{NONCE}", opaque="{OPAQUE}"')


@pytest.mark.parametrize(("algorithm", "expected"), [
    ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
    ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
])
def test_rfc7616_example(algorithm: str, expected: str) -> None:
    value = digest.response(challenge(algorithm), username="Mufasa", password="Circle of Life",
                            method="GET", uri="/dir/index.html", cnonce=CNONCE)
    assert f'response="{expected}"' in value
    assert "qop=auth," in value and "nc=00000001" in value and f'opaque="{OPAQUE}"' in value
    assert "Circle of Life" not in value


def test_without_qop_the_rfc2617_form() -> None:
    import hashlib

    c = digest.parse_challenge('Digest realm="voip.example", nonce="abc"')
    value = digest.response(c, username="u", password="p", method="REGISTER",
                            uri="sip:voip.example")
    ha1 = hashlib.md5(b"u:voip.example:p").hexdigest()
    ha2 = hashlib.md5(b"REGISTER:sip:voip.example").hexdigest()
    assert hashlib.md5(f"{ha1}:abc:{ha2}".encode()).hexdigest() in value
    assert "qop" not in value and "cnonce" not in value


def test_parse_and_choose() -> None:
    md5 = digest.parse_challenge('Digest realm="r", nonce="n", stale=TRUE', proxy=True)
    sha = digest.parse_challenge('Digest realm="r", nonce="n", algorithm=SHA-256')
    assert md5.stale and md5.header_name == "Proxy-Authorization"
    assert sha.header_name == "Authorization"
    assert digest.choose([md5, sha]) is sha
    quoted = digest.parse_challenge(r'Digest realm="a \"b\", c", nonce="x,y"')
    assert quoted.realm == 'a "b", c' and quoted.nonce == "x,y"


@pytest.mark.parametrize("value", [
    'Basic realm="r"', 'Digest realm="r"', 'Digest nonce="n"',
    'Digest realm="r", nonce="n", algorithm=SHA-1', "", "Digest",
])
def test_unanswerable_challenges_are_errors(value: str) -> None:
    with pytest.raises(digest.DigestError):
        digest.parse_challenge(value)


def test_auth_int_only_is_refused() -> None:
    c = digest.parse_challenge('Digest realm="r", nonce="n", qop="auth-int"')
    with pytest.raises(digest.DigestError):
        digest.response(c, username="u", password="p", method="INVITE", uri="sip:x")


def test_sess_variant_hashes_the_nonces_into_ha1() -> None:
    c = digest.parse_challenge('Digest realm="r", nonce="n", qop="auth", algorithm=MD5-sess')
    a = digest.response(c, username="u", password="p", method="M", uri="sip:x", cnonce="c1")
    b = digest.response(c, username="u", password="p", method="M", uri="sip:x", cnonce="c2")
    assert a != b and "algorithm=MD5-SESS" in a


def test_params_quoted_escaped_and_bare() -> None:
    c = digest.parse_challenge('Digest realm = "a\\\\b", NONCE=abc,opaque="",algorithm=md5')
    assert (c.realm, c.nonce, c.opaque, c.algorithm) == ("a\\b", "abc", "", "MD5")
    assert c.qop == () and not c.stale and not c.proxy


def test_the_strongest_challenge_is_chosen() -> None:
    def make(algorithm: str) -> digest.Challenge:
        return digest.Challenge("r", "n", algorithm)

    assert digest.choose([make("MD5"), make("SHA-512-256"), make("SHA-256")]).algorithm == (
        "SHA-512-256")
    assert digest.choose([make("MD5-SESS"), make("SHA-256-SESS")]).algorithm == "SHA-256-SESS"
    assert digest.choose([make("MD5"), make("X")]).algorithm == "MD5"
    assert digest.choose([make("X"), make("MD5")]).algorithm == "MD5"
    with pytest.raises(digest.DigestError, match="no digest challenge"):
        digest.choose([])


@pytest.mark.parametrize(("value", "message"), [
    ('Basic realm="r"', "authentication scheme 'Basic' is not Digest"),
    ('Digest realm="r", nonce="n", algorithm=SHA-1', "digest algorithm 'SHA-1' is not supported"),
    ('Digest realm="r"', "digest challenge without realm or nonce"),
    ('Digest nonce="n"', "digest challenge without realm or nonce"),
    ('Digest realm="r", nonce=""', "digest challenge without realm or nonce"),
])
def test_refusals_say_why(value: str, message: str) -> None:
    with pytest.raises(digest.DigestError, match=message):
        digest.parse_challenge(value)


def test_names_are_quoted_and_sha512_256_and_sess_are_computed() -> None:
    import hashlib

    c = digest.parse_challenge('Digest realm="r", nonce="n", algorithm=SHA-512-256, qop="auth"')
    value = digest.response(c, username='a"b\\c', password="p", method="REGISTER",
                            uri="sip:x", cnonce="cn")
    assert 'username="a\\"b\\\\c"' in value and "algorithm=SHA-512-256" in value

    def h(text: str) -> str:
        return hashlib.new("sha512_256", text.encode()).hexdigest()

    ha1 = h('a"b\\c:r:p')
    expected = h(f"{ha1}:n:00000001:cn:auth:{h('REGISTER:sip:x')}")
    assert f'response="{expected}"' in value
    sess = digest.parse_challenge('Digest realm="r", nonce="n", algorithm=MD5-sess, qop=auth')
    md5 = hashlib.md5
    ha1 = md5(f"{md5(b'u:r:p').hexdigest()}:n:c1".encode()).hexdigest()
    ha2 = md5(b"M:sip:x").hexdigest()
    want = md5(f"{ha1}:n:00000002:c1:auth:{ha2}".encode()).hexdigest()
    got = digest.response(sess, username="u", password="p", method="M", uri="sip:x", nc=2,
                          cnonce="c1")
    assert f'response="{want}"' in got and "nc=00000002" in got
    with pytest.raises(digest.DigestError, match="only qop=auth-int"):
        digest.response(digest.Challenge("r", "n", qop=("auth-int",)), username="u",
                        password="p", method="M", uri="sip:x")

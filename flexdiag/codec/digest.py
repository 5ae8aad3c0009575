"""HTTP Digest authentication as SIP uses it (RFC 3261 §22.4, RFC 7616, RFC 8760), sans-I/O.

A registrar or proxy challenges a request with ``401 Unauthorized`` (``WWW-Authenticate``) or
``407 Proxy Authentication Required`` (``Proxy-Authenticate``); the client repeats the request
with an ``Authorization`` / ``Proxy-Authorization`` header carrying the digest response.
RFC 8760 adds SHA-256 (and SHA-512-256) to SIP; MD5 stays the common case. A password never
leaves this module other than as a hash.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass

# RFC 8760 §2.2 / RFC 7616 §3.3: the algorithms and their hash functions. "-sess" variants
# hash the nonces into HA1 (RFC 7616 §3.4.2).
_HASHES = {
    "MD5": hashlib.md5,
    "SHA-256": hashlib.sha256,
    "SHA-512-256": lambda data=b"": hashlib.new("sha512_256", data),
}
ALGORITHMS = tuple(_HASHES)


class DigestError(ValueError):
    """A challenge flexdiag cannot answer (another scheme, an unknown algorithm, no nonce)."""


@dataclass(frozen=True)
class Challenge:
    """One ``Digest`` challenge (RFC 7616 §3.3)."""

    realm: str
    nonce: str
    algorithm: str = "MD5"
    qop: tuple[str, ...] = ()
    opaque: str | None = None
    stale: bool = False
    proxy: bool = False  # from a 407 (Proxy-Authenticate): answered in Proxy-Authorization

    @property
    def header_name(self) -> str:
        return "Proxy-Authorization" if self.proxy else "Authorization"


# RFC 7235 §2.1 auth-param: token "=" ( token / quoted-string ), separated by commas.
_PARAM = re.compile(r'([A-Za-z0-9_.-]+)[ \t]*=[ \t]*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))')


def _params(text: str) -> dict[str, str]:
    """``name=value`` or ``name="quoted, value"`` pairs separated by commas (RFC 7235 §2.1)."""
    params: dict[str, str] = {}
    for match in _PARAM.finditer(text):
        quoted = match.group(2)
        params[match.group(1).lower()] = (re.sub(r"\\(.)", r"\1", quoted) if quoted is not None
                                          else match.group(3))
    return params


def parse_challenge(value: str, *, proxy: bool = False) -> Challenge:
    """A ``WWW-Authenticate`` / ``Proxy-Authenticate`` value (RFC 3261 §22.1, §25.1)."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "digest":
        raise DigestError(f"authentication scheme {scheme[:20]!r} is not Digest")
    params = _params(rest)
    algorithm = params.get("algorithm", "MD5").upper()
    base = algorithm.removesuffix("-SESS")
    if base not in _HASHES:
        raise DigestError(f"digest algorithm {algorithm[:20]!r} is not supported")
    if not params.get("nonce") or "realm" not in params:
        raise DigestError("digest challenge without realm or nonce")
    qop = tuple(q.strip().lower() for q in params.get("qop", "").split(",") if q.strip())
    return Challenge(realm=params["realm"], nonce=params["nonce"], algorithm=algorithm,
                     qop=qop, opaque=params.get("opaque"),
                     stale=params.get("stale", "").lower() == "true", proxy=proxy)


def choose(challenges: list[Challenge]) -> Challenge:
    """The strongest challenge offered (RFC 8760 §2.4: a UAC takes the first it supports,
    servers list the preferred first; SHA-256 before MD5 where both are offered)."""
    if not challenges:
        raise DigestError("no digest challenge")
    order = {"SHA-512-256": 0, "SHA-256": 1, "MD5": 2}
    return min(challenges, key=lambda c: order.get(c.algorithm.removesuffix("-SESS"), 3))


def _h(algorithm: str, text: str) -> str:
    return str(_HASHES[algorithm.removesuffix("-SESS")](text.encode("utf-8")).hexdigest())


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def response(challenge: Challenge, *, username: str, password: str, method: str, uri: str,
             nc: int = 1, cnonce: str | None = None) -> str:
    """The ``Authorization`` value answering ``challenge`` (RFC 7616 §3.4.1; RFC 2617 §3.2.2
    without qop). ``qop=auth`` is used when offered; ``auth-int`` alone is not supported."""
    alg = challenge.algorithm
    if challenge.qop and "auth" not in challenge.qop:
        raise DigestError("the challenge offers only qop=auth-int")
    cnonce = cnonce or os.urandom(8).hex()
    ha1 = _h(alg, f"{username}:{challenge.realm}:{password}")
    if alg.endswith("-SESS"):
        ha1 = _h(alg, f"{ha1}:{challenge.nonce}:{cnonce}")
    ha2 = _h(alg, f"{method}:{uri}")
    fields = [f"username={_quote(username)}", f"realm={_quote(challenge.realm)}",
              f"nonce={_quote(challenge.nonce)}", f"uri={_quote(uri)}"]
    if challenge.qop:
        count = f"{nc:08x}"
        digest = _h(alg, f"{ha1}:{challenge.nonce}:{count}:{cnonce}:auth:{ha2}")
        fields += [f"response={_quote(digest)}", f"algorithm={alg}",
                   f"cnonce={_quote(cnonce)}", "qop=auth", f"nc={count}"]
    else:
        digest = _h(alg, f"{ha1}:{challenge.nonce}:{ha2}")
        fields += [f"response={_quote(digest)}", f"algorithm={alg}"]
    if challenge.opaque is not None:
        fields.append(f"opaque={_quote(challenge.opaque)}")
    return "Digest " + ", ".join(fields)

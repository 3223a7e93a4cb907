"""DPoP proofs (RFC 9449 §4): who holds the key a token is bound to.

``verify_proof`` is the whole check (§4.3), for the token endpoint and for any resource
server alike (UserInfo, the protected-resource decorator): it takes plain values (the
``DPoP`` header's value, the request's method and URL as this service names it, the access
token presented with it, the time, a replay check and a nonce policy) and returns the key's
RFC 7638 thumbprint, or raises ``ProofRefused``. It knows no framework and no storage.

Checked in this order, so that a proof refused for any reason writes nothing: size and
syntax; the header (``typ`` dpop+jwt, an asymmetric ``alg`` of ``ALGORITHMS``, a public
``jwk`` of a kind and size that alg uses, no ``crit``); the signature with that key; ``htm``,
``htu``, ``iat``, ``ath``; the server nonce; only then is the ``jti`` recorded (one
conditional write: the caller's ``first_use``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from chalicelib.opaque import is_numeric_date, json_object

# What we verify, and what discovery lists (dpop_signing_alg_values_supported): asymmetric
# algorithms only (RFC 9449 §4.3 item 5: never none nor a MAC). Ed25519 keys sign as "EdDSA"
# or, in RFC 9864's fully specified name, "Ed25519".
ALGORITHMS = ("ES256", "RS256", "PS256", "EdDSA", "Ed25519")
TYP = "dpop+jwt"
# How far a proof's iat may be from our clock, either way (RFC 9449 §11.1: "a few seconds to
# minutes"). A minute covers clients with a drifting clock; a proof is accepted at most this
# long after it was made, and its jti is remembered exactly as long.
IAT_WINDOW = 60
# A proof with a 4096-bit RSA key is about 2 KB; header and claims are tiny otherwise.
MAX_PROOF = 8192
MAX_HEADER = 4096
MAX_CLAIMS = 4096
MAX_JTI = 256
MAX_NONCE = 256
_SEGMENT = re.compile(r"[A-Za-z0-9_-]*")
# The members RFC 7638 §3.2 hashes, per key type (RFC 8037 §2 for OKP).
THUMBPRINT_MEMBERS = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x")}
KEY_TYPES = {"ES256": "EC", "RS256": "RSA", "PS256": "RSA", "EdDSA": "OKP", "Ed25519": "OKP"}

# (jkt, jti, remember_until) → True the first time, False for a replay (RFC 9449 §11.1).
FirstUse = Callable[[str, str, int], bool]


class ProofRefused(ValueError):
    """A proof that cannot be accepted: ``error`` is RFC 9449's code, ``invalid_dpop_proof``
    or, when a (fresh) server nonce is what is missing, ``use_dpop_nonce`` (§8, §9)."""

    def __init__(self, description: str, error: str = "invalid_dpop_proof") -> None:
        super().__init__(description)
        self.description = description
        self.error = error


@dataclass(frozen=True)
class NoncePolicy:
    """The server's nonces (RFC 9449 §8): whether a proof must carry one, and which are
    current. A nonce the proof carries is checked even when none is required."""

    required: bool
    accepts: Callable[[str], bool]


@dataclass(frozen=True)
class Proof:
    jkt: str  # the RFC 7638 thumbprint of the proof's key: what cnf.jkt binds to
    jti: str
    iat: int


def verify_proof(
    proof: str,
    method: str,
    url: str,
    *,
    access_token: str | None,
    now: int,
    first_use: FirstUse,
    nonce: NoncePolicy | None = None,
    bound_to: str | None = None,
) -> Proof:
    """RFC 9449 §4.3 for a request of ``method`` to ``url`` (the endpoint's URL as this
    service derives it from its issuer, never from a Host header), with ``access_token`` at
    a resource (§7: ``ath``; ``bound_to``, the token's ``cnf.jkt``, is the key the proof
    must be signed with)."""
    header, claims = _verified(proof)
    jkt = thumbprint(header["jwk"])
    if bound_to is not None and jkt != bound_to:
        raise ProofRefused("the DPoP proof is not signed with the access token's key")
    _check_request(claims, method, url)
    iat = _check_iat(claims, now)
    _check_ath(claims, access_token)
    _check_nonce(claims, nonce)
    jti = claims.get("jti")
    if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI:
        raise ProofRefused(f"the DPoP proof needs a jti of at most {MAX_JTI} characters")
    if not first_use(jkt, jti, max(iat, now) + IAT_WINDOW + 1):
        raise ProofRefused("the DPoP proof was used before (jti)")
    return Proof(jkt, jti, iat)


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638: SHA-256 of the required members, sorted, without whitespace; base64url."""
    members = {name: jwk[name] for name in THUMBPRINT_MEMBERS[jwk["kty"]]}
    canonical = json.dumps(members, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


def access_token_hash(access_token: str) -> str:
    """RFC 9449 §4.2 ``ath``: base64url(SHA-256(the token's ASCII octets))."""
    digest = hashlib.sha256(access_token.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def normalized_url(url: str) -> str | None:
    """RFC 9449 §4.3 item 9 with RFC 3986 §6.2.2-6.2.3: scheme and host in lower case, the
    scheme's default port dropped, an empty path as "/", no query and no fragment. None for
    what is no absolute http(s) URL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    if scheme not in ("http", "https") or not host or "@" in parts.netloc:
        return None
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != {"http": 80, "https": 443}[scheme]:
        host += f":{port}"
    return f"{scheme}://{host}{parts.path or '/'}"


def _verified(proof: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and claims of a proof signed by the key its header carries."""
    if not isinstance(proof, str) or len(proof) > MAX_PROOF:
        raise ProofRefused(f"a DPoP proof is a compact JWS of at most {MAX_PROOF} characters")
    parts = proof.split(".")
    if len(parts) != 3 or not all(_SEGMENT.fullmatch(part) for part in parts):
        raise ProofRefused("the DPoP proof is not a compact JWS")
    header = _json_segment(parts[0], MAX_HEADER, "header")
    claims = _json_segment(parts[1], MAX_CLAIMS, "claims")
    alg = header.get("alg")
    if not isinstance(header.get("typ"), str) or header["typ"].lower() != TYP:
        raise ProofRefused(f"a DPoP proof's typ is {TYP}")
    if alg not in ALGORITHMS:
        raise ProofRefused(f"a DPoP proof is signed with one of {', '.join(ALGORITHMS)}")
    if "crit" in header:
        raise ProofRefused("the DPoP proof names critical header parameters this server does not understand")
    key = _public_key(header.get("jwk"), alg)
    _check_signature(proof, key, alg)
    return header, claims


def _json_segment(segment: str, limit: int, name: str) -> dict[str, Any]:
    if not segment or len(segment) % 4 == 1 or len(segment) > limit * 4 // 3 + 4:
        raise ProofRefused(f"the DPoP proof's {name} is malformed")
    value = json_object(segment)
    if value is None:
        raise ProofRefused(f"the DPoP proof's {name} is not base64url JSON of an object")
    return value


def _public_key(jwk: Any, alg: str) -> Any:
    """The header's JWK as a public key that signs ``alg``: of the right type and size, and
    public only (§4.3 item 7; a private member is refused, not stripped)."""
    from chalicelib.keys import client_jwks

    if not isinstance(jwk, dict) or jwk.get("kty") != KEY_TYPES[alg]:
        raise ProofRefused(f"a DPoP proof signed with {alg} carries its public {KEY_TYPES[alg]} key as jwk")
    if client_jwks.PRIVATE_MEMBERS & set(jwk):
        raise ProofRefused("the DPoP proof's jwk holds a private key")
    members = THUMBPRINT_MEMBERS[jwk["kty"]]
    if not all(isinstance(jwk.get(name), str) and len(jwk[name]) <= 1024 for name in members):
        raise ProofRefused("the DPoP proof's jwk is malformed")
    try:
        return _parsed_key(json.dumps({name: jwk[name] for name in members}, sort_keys=True), alg)
    except ValueError as error:
        raise ProofRefused(f"the DPoP proof's jwk: {error}") from None


@lru_cache(maxsize=256)
def _parsed_key(canonical: str, alg: str) -> Any:
    """One parse per key and container: a client signs every proof with the same key."""
    from chalicelib.keys import client_jwks

    (key,) = client_jwks.parse({"keys": [{**json.loads(canonical), "alg": alg}]})
    return key.key


def _check_signature(proof: str, key: Any, alg: str) -> None:
    import jwt

    try:
        _verifier().decode_complete(proof, key, algorithms=[alg])
    except (jwt.PyJWTError, ValueError, TypeError):
        raise ProofRefused("the DPoP proof's signature does not verify with its jwk") from None


@lru_cache(maxsize=1)
def _verifier() -> Any:
    import jwt
    from jwt.algorithms import OKPAlgorithm

    verifier = jwt.PyJWS(algorithms=[alg for alg in ALGORITHMS if alg != "Ed25519"])
    verifier.register_algorithm("Ed25519", OKPAlgorithm())
    return verifier


def _check_request(claims: dict[str, Any], method: str, url: str) -> None:
    """§4.3 items 8 and 9: the proof was made for this method and this URL."""
    if claims.get("htm") != method:
        raise ProofRefused(f"the DPoP proof's htm is not {method}")
    htu = claims.get("htu")
    expected = normalized_url(url)
    if not isinstance(htu, str) or len(htu) > 2048 or expected is None or normalized_url(htu) != expected:
        raise ProofRefused(f"the DPoP proof's htu is not {expected}")


def _check_iat(claims: dict[str, Any], now: int) -> int:
    """§4.3 item 11: made within IAT_WINDOW of now, either way."""
    iat = claims.get("iat")
    if not is_numeric_date(iat):
        raise ProofRefused("the DPoP proof's iat is not a NumericDate")
    if abs(iat - now) > IAT_WINDOW:
        raise ProofRefused(f"the DPoP proof's iat is more than {IAT_WINDOW} seconds from the server's clock")
    return int(iat)


def _check_ath(claims: dict[str, Any], access_token: str | None) -> None:
    """§4.3 item 12 and §7: at a resource, the hash of the access token presented."""
    if access_token is None:
        return
    ath = claims.get("ath")
    if not isinstance(ath, str) or ath != access_token_hash(access_token):
        raise ProofRefused("the DPoP proof's ath is not the hash of the access token")


def _check_nonce(claims: dict[str, Any], policy: NoncePolicy | None) -> None:
    """§4.3 item 10, §8, §9: a nonce the server handed out recently."""
    if policy is None:
        return
    value = claims.get("nonce")
    if value is None:
        if policy.required:
            raise ProofRefused("this server requires a DPoP nonce", "use_dpop_nonce")
        return
    if not isinstance(value, str) or not 0 < len(value) <= MAX_NONCE or not policy.accepts(value):
        raise ProofRefused("the DPoP nonce is not current", "use_dpop_nonce")

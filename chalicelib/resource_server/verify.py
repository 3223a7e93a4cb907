"""Checking a request's access token the way a resource server must: RFC 6750 §2.1 (the
Authorization header), RFC 9068 §4 (a JWT access token: ``typ``, signature, ``iss``, ``exp``,
``aud``), RFC 8707 (the audience is this API's resource indicator), RFC 9449 §7 (a DPoP-bound
token only with a proof of its key) and the scopes the route requires.

Plain values in and out: no framework, no storage. A refusal is a ``Refusal`` carrying only
the RFC 6750 error code, never why: whoever probes with forged tokens learns nothing.
"""

from __future__ import annotations

import hmac
import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

# Asymmetric algorithms only: a verifier that let a token choose HS256 could be handed a token
# "signed" with the issuer's public key as an HMAC secret; "none" is never one.
ALGORITHMS = ("RS256", "PS256", "ES256", "EdDSA")
KEY_TYPES = {"RS256": "RSA", "PS256": "RSA", "ES256": "EC", "EdDSA": "OKP"}
TYPES = frozenset({"at+jwt", "application/at+jwt"})  # RFC 9068 §4, compared case-insensitively
LEEWAY = 30  # seconds of clock skew allowed on exp, nbf and iat
MAX_TOKEN = 8192
# RFC 6750 §2.1's b64token (RFC 9449 §7.1 uses the same for DPoP).
_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_REQUIRED = ("iss", "exp", "aud", "sub", "client_id", "iat", "jti")  # RFC 9068 §2.2

# A kid's public JWK, or None when the issuer has no such key (chalicelib.resource_server.keys).
KeySource = Callable[[str], Mapping[str, Any] | None]
# A DPoP proof's check (RFC 9449 §4.3: htm, htu, iat, jti, ath): (proof, method, url, access
# token) -> the JWK SHA-256 thumbprint of the proof's key; raises ProofRefused.
ProofVerifier = Callable[[str, str, str, str], str]


class Refusal(Exception):
    """What the resource server answers (RFC 6750 §3.1): ``error`` None for a request with no
    credentials at all (a bare challenge), else the error code, its status, and for
    insufficient_scope the scope needed."""

    def __init__(self, error: str | None, status: int = 401, scope: str | None = None) -> None:
        super().__init__(error or "no credentials")
        self.error, self.status, self.scope = error, status, scope
        self.nonce: str | None = None


class ProofRefused(Exception):
    """A DPoP proof that does not hold (RFC 9449 §7.1: ``invalid_dpop_proof``), or one that
    must carry the server's ``nonce`` (§9: ``use_dpop_nonce``)."""

    def __init__(self, nonce: str | None = None) -> None:
        super().__init__("the DPoP proof does not hold")
        self.nonce = nonce


@dataclass(frozen=True)
class VerifiedToken:
    """The verified claims of the request's access token, for the route."""

    claims: Mapping[str, Any]
    scheme: str  # "Bearer" or "DPoP"

    @property
    def sub(self) -> str:
        return self.claims["sub"]

    @property
    def client_id(self) -> str:
        return self.claims["client_id"]

    @property
    def for_user(self) -> bool:
        """Whether a person signed in for this token (it has their ``auth_time``, RFC 9068 §2.2),
        rather than a client getting one for itself (client_credentials), whose ``sub`` is its
        client_id: an API that acts for people checks this before reading ``sub`` as a user."""
        return "auth_time" in self.claims

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(str(self.claims.get("scope", "")).split())


@dataclass(frozen=True)
class AccessTokenVerifier:
    """The tenant's RFC 9068 access tokens for one API: ``audience`` is its resource indicator."""

    issuer: str
    audience: str
    keys: KeySource
    algorithms: tuple[str, ...] = ALGORITHMS
    leeway: int = LEEWAY
    clock: Callable[[], float] = time.time

    def claims(self, token: str) -> dict[str, Any]:
        """The token's claims, or Refusal("invalid_token")."""
        import jwt

        header = _header(token)
        alg, kid = header.get("alg"), header.get("kid")
        typ = header.get("typ")
        if alg not in self.algorithms or not isinstance(kid, str) or not isinstance(typ, str):
            raise Refusal("invalid_token")
        if typ.lower() not in TYPES:
            raise Refusal("invalid_token")
        jwk = self.keys(kid)
        if jwk is None or jwk.get("alg", alg) != alg or jwk.get("use", "sig") != "sig":
            raise Refusal("invalid_token")
        try:
            key = _public_key(json.dumps(dict(jwk), sort_keys=True), alg)
            claims = jwt.decode(token, key, algorithms=[alg], options={"verify_signature": True, **_OURS})
        except (jwt.PyJWTError, ValueError, TypeError, KeyError):
            raise Refusal("invalid_token") from None
        if not self._holds(claims):
            raise Refusal("invalid_token")
        return claims

    def _holds(self, claims: Any) -> bool:
        if not isinstance(claims, dict) or not all(name in claims for name in _REQUIRED):
            return False
        now, leeway = self.clock(), self.leeway
        times = [claims["exp"], claims["iat"], claims.get("nbf", 0)]
        if not all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in times):
            return False
        if not (
            claims["exp"] + leeway > now and claims["iat"] - leeway <= now and claims.get("nbf", 0) - leeway <= now
        ):
            return False
        audience = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        texts = (claims["iss"], claims["sub"], claims["client_id"], claims.get("scope", ""))
        return claims["iss"] == self.issuer and self.audience in audience and all(isinstance(t, str) for t in texts)


# Every time and audience check is ours (the request's clock, RFC 9068's rules), not PyJWT's.
_OURS = {"verify_exp": False, "verify_nbf": False, "verify_iat": False, "verify_aud": False, "verify_iss": False}


def presented(authorization: str | None) -> tuple[str, str]:
    """RFC 6750 §2.1 (and RFC 9449 §7.1): the scheme ("Bearer" or "DPoP") and the token.
    Refusal(None) without the header, invalid_request (400) for a malformed one."""
    if authorization is None:
        raise Refusal(None)
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() not in ("bearer", "dpop") or len(token) > MAX_TOKEN or _TOKEN.fullmatch(token) is None:
        raise Refusal("invalid_request", 400)
    return ("Bearer" if scheme.lower() == "bearer" else "DPoP"), token


def check(
    verifier: AccessTokenVerifier,
    headers: Mapping[str, str],
    method: str,
    url: str,
    scopes: Iterable[str],
    proofs: ProofVerifier | None = None,
) -> VerifiedToken:
    """The request's verified token, or the Refusal to answer with."""
    scheme, token = presented(headers.get("authorization"))
    claims = verifier.claims(token)
    cnf = claims.get("cnf")
    if scheme == "Bearer" and cnf is not None:
        raise Refusal("invalid_token")  # RFC 9449 §7.2: a bound token is never a bearer token
    if scheme == "DPoP":
        _check_proof(claims, headers.get("dpop"), method, url, token, proofs)
    needed = tuple(scopes)
    if not set(needed) <= set(str(claims.get("scope", "")).split()):
        raise Refusal("insufficient_scope", 403, " ".join(needed))
    return VerifiedToken(claims, scheme)


def _check_proof(
    claims: Mapping[str, Any], proof: str | None, method: str, url: str, token: str, proofs: ProofVerifier | None
) -> None:
    """RFC 9449 §7.1: the proof's key is the one the token is bound to (``cnf.jkt``)."""
    cnf = claims.get("cnf")
    jkt = cnf.get("jkt") if isinstance(cnf, Mapping) else None
    if proofs is None or not isinstance(jkt, str):
        raise Refusal("invalid_token")  # no DPoP here, or a token bound to nothing
    if proof is None or "," in proof or len(proof) > MAX_TOKEN:  # one proof header, exactly
        raise Refusal("invalid_dpop_proof")
    try:
        thumbprint = proofs(proof, method, url, token)
    except ProofRefused as refused:
        refusal = Refusal("use_dpop_nonce" if refused.nonce else "invalid_dpop_proof")
        refusal.nonce = refused.nonce
        raise refusal from None
    if not isinstance(thumbprint, str) or not hmac.compare_digest(thumbprint.encode(), jkt.encode()):
        raise Refusal("invalid_dpop_proof")


def _header(token: str) -> dict[str, Any]:
    import jwt

    try:
        header = jwt.get_unverified_header(token)
    except (jwt.PyJWTError, ValueError, TypeError):
        raise Refusal("invalid_token") from None
    return header if isinstance(header, dict) else {}


@lru_cache(maxsize=64)
def _public_key(jwk: str, alg: str) -> Any:
    """A public JWK of the key type ``alg`` needs, as a key object (once per container)."""
    import jwt

    parsed = json.loads(jwk)
    if parsed.get("kty") != KEY_TYPES[alg] or {"d", "p", "q", "k"} & set(parsed):
        raise ValueError("not a public key for this algorithm")
    return jwt.PyJWK(parsed, algorithm=alg).key

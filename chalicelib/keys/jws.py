"""Compact JWS (RFC 7515) for JWTs: assembled here so every signer backend signs the same
bytes; verified with PyJWT against the tenant's own public keys."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from chalicelib.keys.signer import Signer
from chalicelib.opaque import b64url


def encode(claims: Mapping[str, Any], signer: Signer, typ: str = "JWT") -> str:
    header = {"alg": signer.alg, "typ": typ}
    if signer.kid is not None:
        header["kid"] = signer.kid
    signing_input = f"{_segment(header)}.{_segment(claims)}".encode("ascii")
    return f"{signing_input.decode('ascii')}.{b64url(signer.sign(signing_input))}"


def decode(
    token: str,
    jwks: Mapping[str, Mapping[str, Any]],
    *,
    issuer: str,
    typ: str,
    now: int,
    audience: str | None = None,
    allow_expired: bool = False,
    hmac_secret: str | None = None,
) -> dict[str, Any] | None:
    """The claims of a JWT this tenant signed with one of ``jwks`` (by kid), or with a
    client's ``hmac_secret`` (HS256, no kid); None when the token is malformed, of another
    type, signed by another key, expired at ``now`` (unless ``allow_expired``), or not ours.
    Expiry is checked against the request's clock, not PyJWT's."""
    import jwt

    header = _header(token)
    if header is None:
        return None
    try:
        if header.get("typ") != typ:
            return None
        if header.get("alg") == "HS256" and hmac_secret is not None:
            key, alg = hmac_secret.encode(), "HS256"
        else:
            jwk = jwks.get(header.get("kid", ""))
            if jwk is None or header.get("alg") != jwk["alg"]:
                return None
            key, alg = _public_key(json.dumps(jwk, sort_keys=True)), jwk["alg"]
        claims = jwt.decode(
            token,
            key,
            algorithms=[alg],
            issuer=issuer,
            audience=audience,
            options={
                "require": ["exp", "iat", "iss", "sub"],
                "verify_aud": audience is not None,
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except (jwt.PyJWTError, ValueError, TypeError, KeyError):
        return None
    if not isinstance(claims["exp"], int) or (claims["exp"] <= now and not allow_expired):
        return None
    return claims


def unverified_claims(token: str) -> dict[str, Any] | None:
    """A JWT's claims before verification: only to find the key to verify it with."""
    import jwt

    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except (jwt.PyJWTError, ValueError, TypeError, RecursionError):  # JSON nested past the parser's depth
        return None
    return claims if isinstance(claims, dict) else None


def _header(token: str) -> dict[str, Any] | None:
    """The JOSE header, read to pick the key; PyJWT checks the whole token again as it verifies
    it (its own header reader would check every segment's alphabet, character by character,
    twice per token: a third of userinfo's CPU)."""
    segment = token.split(".", 1)[0] if isinstance(token, str) else ""
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, TypeError, RecursionError):  # JSON nested past the parser's depth
        return None
    return header if isinstance(header, dict) else None


@lru_cache(maxsize=256)
def _public_key(jwk: str) -> Any:
    """A JWK (as canonical JSON) as a key object: parsed once per container, not per token."""
    import jwt

    return jwt.PyJWK(json.loads(jwk)).key


def _segment(value: Mapping[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())

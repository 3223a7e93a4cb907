"""Compact JWS (RFC 7515) for JWTs: assembled here so every signer backend signs the same
bytes; verified with PyJWT against the tenant's own public keys."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from chalicelib.keys.signer import Signer
from chalicelib.opaque import b64url


def encode(claims: Mapping[str, Any], signer: Signer, typ: str = "JWT") -> str:
    header = {"alg": signer.alg, "kid": signer.kid, "typ": typ}
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
) -> dict[str, Any] | None:
    """The claims of a JWT this tenant signed with one of ``jwks`` (by kid), or None when the
    token is malformed, of another type, signed by another key, expired at ``now``, or not
    ours. Expiry is checked against the request's clock, not PyJWT's."""
    import jwt

    try:
        header = jwt.get_unverified_header(token)
        jwk = jwks.get(header.get("kid", ""))
        if jwk is None or header.get("alg") != jwk["alg"] or header.get("typ") != typ:
            return None
        claims = jwt.decode(
            token,
            jwt.PyJWK(dict(jwk)).key,
            algorithms=[jwk["alg"]],
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
    if not isinstance(claims["exp"], int) or claims["exp"] <= now:
        return None
    return claims


def _segment(value: Mapping[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())

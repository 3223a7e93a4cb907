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
    audience: str | None = None,
    leeway: int = 0,
) -> dict[str, Any] | None:
    """The claims of a JWT this tenant signed with one of ``jwks`` (by kid), or None when the
    token is malformed, of another type, signed by another key, expired, or not ours."""
    import jwt

    try:
        header = jwt.get_unverified_header(token)
        jwk = jwks.get(header.get("kid", ""))
        if jwk is None or header.get("alg") != jwk["alg"] or header.get("typ") != typ:
            return None
        return jwt.decode(
            token,
            jwt.PyJWK(dict(jwk)).key,
            algorithms=[jwk["alg"]],
            issuer=issuer,
            audience=audience,
            leeway=leeway,
            options={"require": ["exp", "iat", "iss", "sub"], "verify_aud": audience is not None},
        )
    except (jwt.PyJWTError, ValueError, TypeError, KeyError):
        return None


def _segment(value: Mapping[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())

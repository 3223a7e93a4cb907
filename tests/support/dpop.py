"""DPoP proofs (RFC 9449 §4.2) as a client makes them, for the unit tests: one key pair per
algorithm, each part of the proof overridable to make it wrong on purpose."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from typing import Any

import jwt

from tests.support.client_keys import KIND_OF, private_key, public_jwk


def proof(
    method: str,
    url: str,
    *,
    alg: str = "ES256",
    access_token: str | None = None,
    now: int | None = None,
    header: dict[str, Any] | None = None,
    key: Any = None,
    bits: int = 2048,
    **claims: Any,
) -> str:
    """A proof for ``method`` and ``url`` signed with the test key of ``alg`` (or ``key``);
    ``header`` and ``claims`` override the usual members (None removes one)."""
    payload: dict[str, Any] = {
        "htm": method,
        "htu": url,
        "iat": int(time.time()) if now is None else now,
        "jti": secrets.token_urlsafe(16),
    }
    if access_token is not None:
        payload["ath"] = ath(access_token)
    payload.update(claims)
    heading: dict[str, Any] = {"typ": "dpop+jwt", "jwk": jwk(alg, bits)}
    heading.update(header or {})
    payload = {name: value for name, value in payload.items() if value is not None}
    heading = {name: value for name, value in heading.items() if value is not None}
    signing_alg = "EdDSA" if alg == "Ed25519" else alg
    signer = key if key is not None else private_key(KIND_OF[alg], bits)
    token = jwt.encode(payload, signer, algorithm=signing_alg, headers=heading)
    if alg == "Ed25519":  # PyJWT writes EdDSA: sign again under RFC 9864's name
        return _resigned(token, {**heading, "alg": "Ed25519"}, signer)
    return token


def jwk(alg: str, bits: int = 2048) -> dict[str, Any]:
    return {name: value for name, value in public_jwk(KIND_OF[alg], None, bits).items()}


def thumbprint(alg: str, bits: int = 2048) -> str:
    key = jwk(alg, bits)
    members = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x")}[key["kty"]]
    canonical = json.dumps({name: key[name] for name in members}, sort_keys=True, separators=(",", ":"))
    return b64(hashlib.sha256(canonical.encode()).digest())


def ath(access_token: str) -> str:
    return b64(hashlib.sha256(access_token.encode()).digest())


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _resigned(token: str, header: dict[str, Any], signer: Any) -> str:
    payload = token.split(".")[1]
    signing_input = f"{b64(json.dumps(header).encode())}.{payload}"
    return f"{signing_input}.{b64(signer.sign(signing_input.encode()))}"

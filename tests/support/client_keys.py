"""Key pairs and assertions of a client that authenticates with a JWT (RFC 7523), for the
unit and integration tests: the private keys stay here, the public JWKs are registered."""

from __future__ import annotations

import json
import secrets
import time
from functools import cache
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@cache
def private_key(kind: str, bits: int = 2048) -> Any:
    """One key per kind (and size) per process: always call it with the size spelt out."""
    if kind == "RSA":
        return rsa.generate_private_key(public_exponent=65537, key_size=bits)
    if kind == "EC":
        return ec.generate_private_key(ec.SECP256R1())
    return ed25519.Ed25519PrivateKey.generate()


def public_jwk(kind: str, kid: str | None, bits: int = 2048, **members: str) -> dict[str, Any]:
    to_jwk = {"RSA": RSAAlgorithm, "EC": ECAlgorithm, "OKP": OKPAlgorithm}[kind].to_jwk
    jwk = json.loads(to_jwk(private_key(kind, bits).public_key()))
    if kid is not None:
        jwk["kid"] = kid
    return {**jwk, **members}


def private_jwk(kind: str) -> dict[str, Any]:
    to_jwk = {"RSA": RSAAlgorithm, "EC": ECAlgorithm, "OKP": OKPAlgorithm}[kind].to_jwk
    return json.loads(to_jwk(private_key(kind, 2048)))


KIND_OF = {"RS256": "RSA", "RS384": "RSA", "PS256": "RSA", "ES256": "EC", "EdDSA": "OKP", "Ed25519": "OKP"}


def assertion(
    client_id: str,
    audience: Any,
    *,
    alg: str = "RS256",
    kid: str | None = "rsa",
    key: Any = None,
    now: int | None = None,
    **claims: Any,
) -> str:
    """A client assertion signed with the test key of ``alg`` (or ``key``: a secret for HS256);
    ``claims`` override the usual ones (None removes one)."""
    now = int(time.time()) if now is None else now
    payload = {"iss": client_id, "sub": client_id, "aud": audience, "iat": now, "exp": now + 60}
    payload["jti"] = secrets.token_urlsafe(16)
    payload.update(claims)
    payload = {name: value for name, value in payload.items() if value is not None}
    headers = {"kid": kid} if kid is not None else {}
    signing_key = key if key is not None else private_key(KIND_OF[alg], 2048)
    signer = jwt.PyJWS()
    if alg == "Ed25519":  # RFC 9864's name for EdDSA with Ed25519, which PyJWT does not know
        signer.register_algorithm("Ed25519", OKPAlgorithm())
    return signer.encode(json.dumps(payload).encode(), signing_key, algorithm=alg, headers={"typ": "JWT", **headers})

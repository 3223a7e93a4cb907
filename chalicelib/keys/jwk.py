"""Public keys as JWKs (RFC 7517), with the RFC 7638 thumbprint as ``kid``."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from chalicelib.opaque import b64url


def public_jwk(public_key: Any, alg: str) -> dict[str, str]:
    """The public JWK of an RSA, EC or Ed25519 public key (a ``cryptography`` key object)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    if isinstance(public_key, rsa.RSAPublicKey):
        numbers = public_key.public_numbers()
        members = {"e": _uint(numbers.e), "kty": "RSA", "n": _uint(numbers.n)}
    elif isinstance(public_key, ec.EllipticCurvePublicKey):
        numbers = public_key.public_numbers()
        size = (public_key.curve.key_size + 7) // 8
        members = {
            "crv": "P-256",
            "kty": "EC",
            "x": b64url(numbers.x.to_bytes(size, "big")),
            "y": b64url(numbers.y.to_bytes(size, "big")),
        }
    elif isinstance(public_key, ed25519.Ed25519PublicKey):
        # RFC 8037 §2; its thumbprint's required members are crv, kty and x (§A.3).
        raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        members = {"crv": "Ed25519", "kty": "OKP", "x": b64url(raw)}
    else:
        raise ValueError("unsupported public key type")
    return {**members, "kid": thumbprint(members), "alg": alg, "use": "sig"}


def thumbprint(required_members: dict[str, Any]) -> str:
    """RFC 7638: SHA-256 over the required members, sorted, without whitespace."""
    canonical = json.dumps(required_members, sort_keys=True, separators=(",", ":"))
    return b64url(hashlib.sha256(canonical.encode()).digest())


def _uint(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))

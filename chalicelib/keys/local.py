"""Private keys held in this container's memory: generated here, signing here (the
Secrets Manager and envelope backends; KMS keys never leave KMS)."""

from __future__ import annotations

from typing import Any

from chalicelib.keys.algorithms import algorithm


def generate(alg: str) -> Any:
    """A fresh private key for ``alg`` (RSA 2048, P-256 or Ed25519), a ``cryptography`` key object."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    key_type = algorithm(alg).key_type
    if key_type == "RSA":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if key_type == "OKP":
        return ed25519.Ed25519PrivateKey.generate()
    return ec.generate_private_key(ec.SECP256R1())


def sign_locally(private_key: Any, alg: str, data: bytes) -> bytes:
    """The JWS signature of ``data`` (RFC 7518 §3.3, §3.4, §3.5; RFC 8037 §3.1)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding

    if alg == "RS256":
        return private_key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    if alg == "PS256":
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        return private_key.sign(data, pss, hashes.SHA256())
    if alg == "ES256":
        from chalicelib.keys.kms import der_to_jose

        der = private_key.sign(data, ec.ECDSA(hashes.SHA256()))
        return der_to_jose(der, algorithm(alg).coordinate_size)
    if alg == "EdDSA":
        return private_key.sign(data)
    raise ValueError(f"unsupported signing algorithm: {alg}")

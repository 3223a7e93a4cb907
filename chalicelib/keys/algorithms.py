"""The JWS algorithms a tenant key can have (RFC 7518 §3), and how each backend signs them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Algorithm:
    name: str
    key_type: str  # JWK "kty"
    kms_key_spec: str
    kms_signing_algorithm: str
    coordinate_size: int = 0  # ECDSA: bytes per coordinate in the JOSE r||s signature


ALGORITHMS = {
    "RS256": Algorithm("RS256", "RSA", "RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256"),
    "PS256": Algorithm("PS256", "RSA", "RSA_2048", "RSASSA_PSS_SHA_256"),
    "ES256": Algorithm("ES256", "EC", "ECC_NIST_P256", "ECDSA_SHA_256", coordinate_size=32),
    # Ed25519 (RFC 8037): keys held by this provider (envelope, Secrets Manager) only; the
    # KMS backend does not offer it (no KMS key spec here).
    "EdDSA": Algorithm("EdDSA", "OKP", "", ""),
}


def algorithm(name: str) -> Algorithm:
    try:
        return ALGORITHMS[name]
    except KeyError:
        raise ValueError(f"unsupported signing algorithm: {name}") from None

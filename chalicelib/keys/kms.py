"""Keys that live in AWS KMS: the private key never leaves KMS; every signature is a call.

KMS's RSA ``Sign`` quota is shared by the whole account and region (500/s), which is why
this backend is a tenant's choice and not the default.
"""

from __future__ import annotations

import hashlib
from typing import Any

from chalicelib.keys import aws
from chalicelib.keys.algorithms import algorithm
from chalicelib.keys.jwk import public_jwk

RAW_LIMIT = 4096


class KmsSigner:
    def __init__(self, key_id: str, kid: str, alg: str) -> None:
        self.kid = kid
        self.alg = alg
        self._key_id = key_id

    def sign(self, signing_input: bytes) -> bytes:
        spec = algorithm(self.alg)
        # KMS takes at most 4096 bytes of RAW message; a longer JWT goes as its SHA-256 digest.
        # (moto signs a DIGEST as if it were the message, so the emulation covers RAW only.)
        if len(signing_input) <= RAW_LIMIT:
            message, message_type = signing_input, "RAW"
        else:
            message, message_type = hashlib.sha256(signing_input).digest(), "DIGEST"
        response = aws.client("kms").sign(
            KeyId=self._key_id,
            Message=message,
            MessageType=message_type,
            SigningAlgorithm=spec.kms_signing_algorithm,
        )
        signature = response["Signature"]
        if spec.coordinate_size:
            return der_to_jose(signature, spec.coordinate_size)
        return signature


def der_to_jose(der: bytes, coordinate_size: int) -> bytes:
    """ECDSA signatures come DER-encoded; JWS wants r||s, fixed width (RFC 7518 §3.4)."""
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    r, s = decode_dss_signature(der)
    return r.to_bytes(coordinate_size, "big") + s.to_bytes(coordinate_size, "big")


def create_key(tenant_id: str, alg: str, alias_prefix: str, stage: str) -> dict[str, Any]:
    """Create an asymmetric KMS key for signing; return the key metadata.

    The key is tagged with its tenant and its deployment's stage in the call that creates it:
    a stage's functions may sign only with keys whose ``oidc-stage`` tag names that stage
    (``aws:ResourceTag`` in their IAM policy, which KMS evaluates for ``Sign``), so one stage
    cannot sign with another's keys, and no key is ever signable before it is tagged."""
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    spec = algorithm(alg)
    kms = aws.client("kms")
    key_id = kms.create_key(
        KeySpec=spec.kms_key_spec,
        KeyUsage="SIGN_VERIFY",
        Description=f"OIDC signing key of tenant {tenant_id} ({stage})",
        Tags=[{"TagKey": "oidc-tenant", "TagValue": tenant_id}, {"TagKey": "oidc-stage", "TagValue": stage}],
    )["KeyMetadata"]["Arn"]
    der = kms.get_public_key(KeyId=key_id)["PublicKey"]
    jwk = public_jwk(load_der_public_key(der), alg)
    kms.create_alias(AliasName=f"{alias_prefix}{tenant_id}/{jwk['kid']}", TargetKeyId=key_id)
    return {"kid": jwk["kid"], "alg": alg, "backend": "kms", "ref": key_id, "jwk": jwk}

"""Envelope-encrypted keys (the default backend): one KMS key per deployment wraps every
tenant's private keys, and no tenant has an AWS resource of its own.

Each private key is encrypted (AES-256-GCM) under a data key of its own, which KMS
generates and wraps (``GenerateDataKey``); the wrapped data key and the ciphertext live in
the tenant record next to the public key, so the signer a request needs comes with the
tenant record it reads anyway. The encryption context names the stage, the tenant and the
kid, and is also the GCM additional data: a wrapped key copied into another tenant's record,
or under another kid, does not decrypt (KMS refuses the context), and the functions' IAM
allows ``kms:Decrypt`` only with their own stage in the context. A container decrypts each
key once (``kms:Decrypt``), on its first signature, and signs locally from then on.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from typing import Any

from chalicelib.keys import aws
from chalicelib.keys.jwk import public_jwk
from chalicelib.keys.local import generate, sign_locally

NONCE = 12
PURPOSE = "oidc-signing-key"


class EnvelopeSigner:
    def __init__(self, tenant_id: str, key: dict[str, Any], stage: str) -> None:
        self.kid = key["kid"]
        self.alg = key["alg"]
        self._tenant_id = tenant_id
        self._key = key
        self._stage = stage
        self._private_key: Any = None
        self._lock = threading.Lock()

    def sign(self, signing_input: bytes) -> bytes:
        if self._private_key is None:
            with self._lock:  # one Decrypt even when two threads sign the first token at once
                if self._private_key is None:
                    self._private_key = open_key(self._tenant_id, self._key, self._stage)
        return sign_locally(self._private_key, self.alg, signing_input)


def encryption_context(tenant_id: str, kid: str, stage: str) -> dict[str, str]:
    return {"purpose": PURPOSE, "stage": stage, "tenant": tenant_id, "kid": kid}


def create_key(tenant_id: str, alg: str, wrapping_key_id: str, stage: str) -> dict[str, Any]:
    """Generate a private key and seal it under a fresh data key; return the key metadata
    (public JWK, wrapped data key, sealed private key). One ``GenerateDataKey`` call."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    private_key = generate(alg)
    jwk = public_jwk(private_key.public_key(), alg)
    context = encryption_context(tenant_id, jwk["kid"], stage)
    data_key = aws.client("kms").generate_data_key(KeyId=wrapping_key_id, KeySpec="AES_256", EncryptionContext=context)
    der = private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    nonce = secrets.token_bytes(NONCE)
    sealed = AESGCM(data_key["Plaintext"]).encrypt(nonce, der, _aad(context))
    return {
        "kid": jwk["kid"],
        "alg": alg,
        "backend": "envelope",
        "ref": data_key["KeyId"],  # the wrapping key's ARN: the one Decrypt must use
        "jwk": jwk,
        "wrapped_key": _b64(data_key["CiphertextBlob"]),
        "sealed_key": _b64(nonce + sealed),
    }


def open_key(tenant_id: str, key: dict[str, Any], stage: str) -> Any:
    """The private key of an envelope key's metadata: one ``kms:Decrypt``."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.serialization import load_der_private_key

    context = encryption_context(tenant_id, key["kid"], stage)
    data_key = aws.client("kms").decrypt(
        KeyId=key["ref"], CiphertextBlob=base64.b64decode(key["wrapped_key"]), EncryptionContext=context
    )["Plaintext"]
    sealed = base64.b64decode(key["sealed_key"])
    der = AESGCM(data_key).decrypt(sealed[:NONCE], sealed[NONCE:], _aad(context))
    return load_der_private_key(der, password=None)


def create_wrapping_key(alias: str) -> str:
    """Create the deployment's key that wraps tenants' signing keys (operator set-up, dev
    mode; a deployment's comes from infra/resources.json); returns the alias. Idempotent."""
    return aws.ensure_symmetric_key(alias, "Wraps the data keys of OIDC tenants' signing keys")


def _aad(context: dict[str, str]) -> bytes:
    return json.dumps(context, sort_keys=True, separators=(",", ":")).encode()


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")

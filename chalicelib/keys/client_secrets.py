"""Client secrets that must come back: an HS256 client's ID tokens are signed with its own
secret (OIDC Core §10.1), so for those clients the secret is also kept encrypted under the
deployment's KMS key, besides the digest that authenticates the client.

The ciphertext is bound to its tenant and client by KMS's encryption context: copied onto
another client's record, it does not decrypt. A container decrypts each secret once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading

from chalicelib.keys import aws
from chalicelib.settings import settings

_lock = threading.Lock()
_plaintexts: dict[tuple[str, str, str], str] = {}


def available() -> bool:
    """Whether this deployment can keep secrets for HS256 (a KMS key is configured)."""
    return settings.client_secret_key_id is not None


def encrypt(tenant_id: str, client_id: str, secret: str) -> str:
    response = aws.client("kms").encrypt(
        KeyId=settings.client_secret_key_id,
        Plaintext=secret.encode(),
        EncryptionContext=_context(tenant_id, client_id),
    )
    return base64.b64encode(response["CiphertextBlob"]).decode("ascii")


def decrypt(tenant_id: str, client_id: str, ciphertext: str) -> str:
    key = (tenant_id, client_id, hashlib.sha256(ciphertext.encode()).hexdigest())
    cached = _plaintexts.get(key)
    if cached is not None:
        return cached
    response = aws.client("kms").decrypt(
        CiphertextBlob=base64.b64decode(ciphertext), EncryptionContext=_context(tenant_id, client_id)
    )
    plaintext = response["Plaintext"].decode()
    with _lock:
        _plaintexts[key] = plaintext
    return plaintext


class HmacSigner:
    """HS256 with a client's secret (RFC 7518 §3.2). No kid: the key is the client's own."""

    alg = "HS256"
    kid = None

    def __init__(self, secret: str) -> None:
        self._key = secret.encode()

    def sign(self, signing_input: bytes) -> bytes:
        return hmac.new(self._key, signing_input, hashlib.sha256).digest()


def create_key(alias: str) -> str:
    """Create the deployment's symmetric key for client secrets (operator set-up); returns
    the alias. Idempotent."""
    return aws.ensure_symmetric_key(alias, "Encrypts OIDC client secrets that HS256 needs back")


def forget() -> None:
    with _lock:
        _plaintexts.clear()


def _context(tenant_id: str, client_id: str) -> dict[str, str]:
    return {"tenant": tenant_id, "client_id": client_id}

"""Sealed values: data the provider hands out and must get back unchanged and unread (today
authorization codes), encrypted and authenticated with AES-256-GCM under a key derived for
the tenant and the purpose from the deployment's master secret.

A sealed value carries its own content, so taking it back needs no read: the token endpoint
learns what a code stands for by opening it, and spends its one DynamoDB write on making
the code single-use. The tenant and purpose are authenticated data: a value sealed for one
tenant or use does not open as another's.
"""

from __future__ import annotations

import re
import secrets

from chalicelib.keys.master import tenant_key
from chalicelib.opaque import b64url, b64url_decode

NONCE = 12
_SEALED = re.compile(r"[A-Za-z0-9_-]{38,4096}")  # a nonce and a tag at least, base64url


def seal(tenant_id: str, purpose: str, plaintext: bytes) -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = secrets.token_bytes(NONCE)
    sealed = AESGCM(tenant_key(tenant_id, f"sealed/{purpose}")).encrypt(nonce, plaintext, _aad(tenant_id, purpose))
    return b64url(nonce + sealed)


def unseal(tenant_id: str, purpose: str, value: str) -> bytes | None:
    """The plaintext, or None for anything that is not a value this tenant sealed for this
    purpose (malformed, forged, altered, another tenant's or another use's)."""
    if _SEALED.fullmatch(value) is None:
        return None
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        raw = b64url_decode(value)
    except ValueError:
        return None
    try:
        key = AESGCM(tenant_key(tenant_id, f"sealed/{purpose}"))
        return key.decrypt(raw[:NONCE], raw[NONCE:], _aad(tenant_id, purpose))
    except (InvalidTag, ValueError):
        return None


def _aad(tenant_id: str, purpose: str) -> bytes:
    return f"{tenant_id}\x00{purpose}".encode()

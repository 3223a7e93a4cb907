"""Per-tenant HMAC keys (CSRF tokens, login tickets), derived from one master secret.

The master secret lives in Secrets Manager and is read once per container; deriving a key
per tenant and purpose (HMAC-SHA256 as a PRF, as in HKDF-Expand) means no per-tenant
secret fetches and no two tenants or purposes ever share a key.
"""

from __future__ import annotations

import hashlib
import hmac
import threading

from chalicelib.keys import aws
from chalicelib.settings import settings

_lock = threading.Lock()
_master: list[bytes] = []


def tenant_key(tenant_id: str, purpose: str) -> bytes:
    info = f"oidc-op/v1/{purpose}/{tenant_id}".encode()
    return hmac.new(_master_secret(), info, hashlib.sha256).digest()


def _master_secret() -> bytes:
    if not _master:
        with _lock:
            if not _master:
                response = aws.client("secretsmanager").get_secret_value(SecretId=settings.master_secret_id)
                _master.append(response["SecretString"].encode())
    return _master[0]


def forget() -> None:
    with _lock:
        _master.clear()


def create_master_secret(secret_id: str) -> bool:
    """Create the deployment's master secret (operator set-up); False if it exists."""
    import secrets

    client = aws.client("secretsmanager")
    try:
        client.create_secret(Name=secret_id, SecretString=secrets.token_urlsafe(48))
    except client.exceptions.ResourceExistsException:
        return False
    return True

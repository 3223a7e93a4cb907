"""Initial access tokens for dynamic client registration (RFC 7591 §3), stored as digests."""

from __future__ import annotations

from chalicelib.opaque import digest
from chalicelib.store.models import InitialAccessTokenItem, at, epoch, put_if_absent, valid_key_part

PREFIX = "initial-access-token#"


def save_initial_access_token(tenant_id: str, token: str, created_at: int, expires_at: int, note: str | None) -> bool:
    """Store a new token; False (nothing written) if its digest is taken."""
    key = PREFIX + digest(token)
    item = InitialAccessTokenItem(tenant_id, key, created_at=created_at, note=note, ttl=at(expires_at))
    return put_if_absent(item)


def is_initial_access_token(tenant_id: str, token: str, now: int) -> bool:
    if not valid_key_part(token):
        return False
    try:
        item = InitialAccessTokenItem.get(tenant_id, PREFIX + digest(token))
    except InitialAccessTokenItem.DoesNotExist:
        return False
    return epoch(item.ttl) > now

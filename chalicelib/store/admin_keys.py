"""Tenant admin API keys, stored as digests under their tenant: a key opens that tenant's
admin API and no other."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.opaque import digest
from chalicelib.store.models import AdminKeyItem, valid_key_part
from chalicelib.store.versions import delete_if_unchanged, put_new

PREFIX = "admin-key#"
KEY_ID = 12  # characters of the digest that name a key


@dataclass(frozen=True)
class AdminKey:
    key_id: str  # the digest's first characters: names the key without revealing it
    created_at: int
    note: str | None


def save_admin_key(tenant_id: str, key: str, created_at: int, note: str | None) -> AdminKey | None:
    """Store a new key; None (nothing written) if its digest is taken: never silently
    replace a key someone holds."""
    hashed = digest(key)
    if not put_new(AdminKeyItem(tenant_id, PREFIX + hashed, created_at=created_at, note=note)):
        return None
    return AdminKey(hashed[:KEY_ID], created_at, note)


def is_admin_key(tenant_id: str, key: str) -> bool:
    """One read, by the key's digest: the lookup itself compares nothing secret."""
    if not valid_key_part(key):
        return False
    try:
        AdminKeyItem.get(tenant_id, PREFIX + digest(key))
    except AdminKeyItem.DoesNotExist:
        return False
    return True


def list_admin_keys(tenant_id: str) -> list[AdminKey]:
    query = AdminKeyItem.query(tenant_id, AdminKeyItem.sk.startswith(PREFIX))
    return [AdminKey(item.sk[len(PREFIX) :][:KEY_ID], int(item.created_at), item.note) for item in query]


def revoke_admin_key(tenant_id: str, key_id: str) -> bool:
    """Delete the key whose id is ``key_id`` (as it was read: its version); False if there is
    none, or it was revoked meanwhile."""
    if len(key_id) < KEY_ID or not valid_key_part(key_id):
        return False  # a shorter prefix (say "") could name someone else's key
    for item in AdminKeyItem.query(tenant_id, AdminKeyItem.sk.startswith(PREFIX + key_id)):
        return delete_if_unchanged(item)
    return False

"""Tenant records: display name, per-tenant settings, signing key metadata (public parts)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from chalicelib.store.directory import create_with_entry
from chalicelib.store.models import TenantItem, valid_key_part
from chalicelib.store.versions import at_version, replace_if_unchanged, version_of

SK = "tenant"
ACTIVE, DISABLED, DELETING = "active", "disabled", "deleting"


@dataclass(frozen=True)
class Tenant:
    id: str
    name: str
    created_at: int
    settings: Mapping[str, Any] = field(default_factory=dict)
    # Key metadata: kid, alg, backend, ref (KMS key id or secret id), public_jwk, status.
    keys: Sequence[Mapping[str, Any]] = ()
    # The stored item's version when this was read: writing it back requires the same one.
    version: int = 0
    # ACTIVE, DISABLED (every endpoint refuses; reversible) or DELETING (chalicelib.store.lifecycle).
    status: str = ACTIVE
    status_at: int | None = None
    # Page templates the tenant overrides: page name -> template version (store.templates).
    templates: Mapping[str, int] = field(default_factory=dict)


def get_tenant(tenant_id: str, consistent: bool = False) -> Tenant | None:
    """The tenant; ``consistent`` for a read that will be written back (the admin's), so
    that it is not a stale replica's (which would only fail its write, and retry)."""
    if not valid_key_part(tenant_id):
        return None
    try:
        item = TenantItem.get(tenant_id, SK, consistent_read=consistent)
    except TenantItem.DoesNotExist:
        return None
    return _from_item(item)


def create_tenant(tenant: Tenant) -> Tenant | None:
    """Store a new tenant, and its entry in the directory of tenants; None if the id is taken."""
    item = tenant_item(tenant)
    return _from_item(item) if create_with_entry(item) else None


def save_tenant(tenant: Tenant) -> Tenant | None:
    """Write back a tenant read at ``tenant.version`` with changes; the tenant as stored now,
    or None (nothing written) if it changed since it was read, or was deleted."""
    if not replace_if_unchanged(tenant_item(tenant)):
        return None
    return replace(tenant, version=tenant.version + 1)


def tenant_item(tenant: Tenant) -> TenantItem:
    item = TenantItem(
        tenant.id,
        SK,
        name=tenant.name,
        created_at=tenant.created_at,
        settings=dict(tenant.settings),
        keys=[dict(key) for key in tenant.keys],
        status=None if tenant.status == ACTIVE else tenant.status,
        status_at=tenant.status_at,
        templates=dict(tenant.templates) or None,
    )
    return at_version(item, tenant.version)


def _from_item(item: TenantItem) -> Tenant:
    return Tenant(
        id=item.pk,
        name=item.name,
        created_at=int(item.created_at),
        settings=item.settings or {},
        keys=tuple(item.keys or ()),
        version=version_of(item),
        status=item.status or ACTIVE,
        status_at=int(item.status_at) if item.status_at is not None else None,
        templates={name: int(version) for name, version in (item.templates or {}).items()},
    )

"""Tenant records: display name, per-tenant settings, signing key metadata (public parts)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from chalicelib.store.models import TenantItem, put_if_absent, valid_key_part

SK = "tenant"


@dataclass(frozen=True)
class Tenant:
    id: str
    name: str
    created_at: int
    settings: Mapping[str, Any] = field(default_factory=dict)
    # Key metadata: kid, alg, backend, ref (KMS key id or secret id), public_jwk, status.
    keys: Sequence[Mapping[str, Any]] = ()


def get_tenant(tenant_id: str) -> Tenant | None:
    if not valid_key_part(tenant_id):
        return None
    try:
        item = TenantItem.get(tenant_id, SK)
    except TenantItem.DoesNotExist:
        return None
    return _from_item(item)


def create_tenant(tenant: Tenant) -> bool:
    """Store a new tenant; False if the id is taken."""
    return put_if_absent(_to_item(tenant))


def save_tenant(tenant: Tenant) -> None:
    _to_item(tenant).save()


def _to_item(tenant: Tenant) -> TenantItem:
    return TenantItem(
        tenant.id,
        SK,
        name=tenant.name,
        created_at=tenant.created_at,
        settings=dict(tenant.settings),
        keys=[dict(key) for key in tenant.keys],
    )


def _from_item(item: TenantItem) -> Tenant:
    return Tenant(
        id=item.pk,
        name=item.name,
        created_at=int(item.created_at),
        settings=item.settings or {},
        keys=tuple(item.keys or ()),
    )

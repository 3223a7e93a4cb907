"""Resolve a tenant id to its configuration, once per request, cached per container.

A container trusts its copy for ``CACHE_TTL_SECONDS`` (30 s by default): that is how long a
tenant an operator disabled may still be served by a warm container that read it before
(the operator's own process forgets it at once), and how long a re-enabled one may still be
refused. A tenant being deleted resolves to None (404) once its copy expires; by then its
items are being removed, so nothing it served can still be used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from chalicelib.keys.keyring import KeyRing
from chalicelib.settings import settings as deployment
from chalicelib.store import clients as client_store
from chalicelib.store import tenants as tenant_store
from chalicelib.store.clients import Client
from chalicelib.tenancy.ids import is_valid_tenant_id
from chalicelib.tenancy.settings import TenantSettings
from chalicelib.ttlcache import TTLCache


@dataclass(frozen=True)
class TenantConfig:
    id: str
    name: str
    settings: TenantSettings
    keyring: KeyRing
    # Whether every endpoint refuses the tenant (chalicelib.oidc.errors.TenantDisabled).
    disabled: bool = False
    # The pages it has its own template for: page name -> version (chalicelib.store.templates).
    templates: Mapping[str, int] = field(default_factory=dict)


_tenants: TTLCache[str, TenantConfig | None] = TTLCache(deployment.cache_ttl_seconds)
_clients: TTLCache[tuple[str, str], Client | None] = TTLCache(deployment.cache_ttl_seconds)


def resolve_tenant(tenant_id: str) -> TenantConfig | None:
    """The tenant's configuration, or None for a malformed, reserved or unknown id (checked
    before any read, so junk ids cost no DynamoDB call)."""
    if not is_valid_tenant_id(tenant_id):
        return None
    return _tenants.get_or_load(tenant_id, lambda: _load(tenant_id))


def cached_client(tenant_id: str, client_id: str) -> Client | None:
    """A tenant's client, trusted from this container's cache for a few seconds."""
    return _clients.get_or_load((tenant_id, client_id), lambda: client_store.get_client(tenant_id, client_id))


def forget(tenant_id: str | None = None) -> None:
    """Drop cached tenants and clients (after an admin change made in this process)."""
    _tenants.invalidate(tenant_id)
    _clients.invalidate()


def _load(tenant_id: str) -> TenantConfig | None:
    tenant = tenant_store.get_tenant(tenant_id)
    if tenant is None or tenant.status == tenant_store.DELETING:
        return None
    return TenantConfig(
        id=tenant.id,
        name=tenant.name,
        settings=TenantSettings.from_stored(tenant.settings),
        keyring=KeyRing(tenant.id, tenant.keys),
        disabled=tenant.status == tenant_store.DISABLED,
        templates=dict(tenant.templates),
    )

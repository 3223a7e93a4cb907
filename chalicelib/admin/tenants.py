"""Create tenants and change their settings (their signing keys: chalicelib/admin/keys.py)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from chalicelib.admin import AdminError, Missing
from chalicelib.admin import keys as key_admin
from chalicelib.admin.optimistic import check_version, retrying
from chalicelib.opaque import new_token
from chalicelib.settings import settings as deployment
from chalicelib.store import admin_keys
from chalicelib.store import tenants as store
from chalicelib.store.admin_keys import AdminKey
from chalicelib.store.tenants import Tenant
from chalicelib.tenancy.ids import is_valid_tenant_id
from chalicelib.tenancy.resolve import forget
from chalicelib.tenancy.settings import TenantSettings

# Settings that move a tenant's next key change (chalicelib/keys/rotation.py).
ROTATION_SETTINGS = frozenset(
    {"key_rotation_days", "key_prepublish_seconds", "key_algorithm", "token_expire", "idtoken_expire"}
)


def create_tenant(
    tenant_id: str,
    name: str,
    *,
    key_backend: str | None = None,
    settings: Mapping[str, Any] | None = None,
) -> Tenant:
    """A new tenant with a fresh key (of its ``key_algorithm``, RS256 by default) on the
    chosen backend (``key_backend``, else the tenant's settings, else the deployment's
    ``DEFAULT_KEY_BACKEND``), its rotation scheduled."""
    if not is_valid_tenant_id(tenant_id):
        raise AdminError("tenant ids are lowercase slugs ([a-z0-9][a-z0-9-]{1,62}), not a reserved name")
    if not name.strip():
        raise AdminError("a tenant needs a name")
    overrides = dict(settings or {})
    # The backend is recorded with the tenant, so changing the deployment's default later
    # does not move existing tenants.
    overrides["key_backend"] = key_backend or overrides.get("key_backend") or deployment.default_key_backend
    parsed = _parse_settings(overrides)
    if store.get_tenant(tenant_id) is not None:
        raise AdminError(f"tenant {tenant_id} already exists")
    key = key_admin.new_key(tenant_id, parsed.key_algorithm, parsed.key_backend)
    tenant = Tenant(id=tenant_id, name=name.strip(), created_at=int(time.time()), settings=overrides, keys=(key,))
    key_admin.schedule(tenant)  # noted first: a tenant is never stored without its rotation
    created = store.create_tenant(tenant)
    if created is None:
        raise AdminError(f"tenant {tenant_id} already exists; its new key {key_admin.named(key)} is unused: delete it")
    forget(tenant_id)
    return created


def get_tenant(tenant_id: str) -> Tenant:
    tenant = store.get_tenant(tenant_id, consistent=True)
    if tenant is None:
        raise Missing(f"no tenant {tenant_id}")
    if tenant.status == store.DELETING:  # nothing new may be written while its items go
        raise Missing(f"tenant {tenant_id} is being deleted")
    return tenant


def update_settings(tenant_id: str, changes: Mapping[str, Any], *, expected: int | None = None) -> Tenant:
    """Merge ``changes`` into the tenant's settings as they are when written: a concurrent
    change of other settings is kept, not overwritten (retried; 409 if it keeps changing).
    ``expected``: the version the caller read (If-Match), else whatever is current."""

    def attempt() -> Tenant | None:
        tenant = get_tenant(tenant_id)
        check_version(tenant.version, expected, f"tenant {tenant_id}")
        merged = {**tenant.settings, **changes}
        _parse_settings(merged)
        if ROTATION_SETTINGS & set(changes):  # the schedule learns the new due time first
            key_admin.schedule(replace(tenant, settings=merged))
        return store.save_tenant(replace(tenant, settings=merged))

    updated = retrying(attempt, f"tenant {tenant_id}")
    forget(tenant_id)
    return updated


def issue_admin_key(tenant_id: str, note: str | None = None) -> tuple[str, AdminKey]:
    """A new API key for the tenant's admin API (printed once, stored as a digest)."""
    get_tenant(tenant_id)
    key = new_token()
    record = admin_keys.save_admin_key(tenant_id, key, int(time.time()), note)
    if record is None:  # 256 random bits met an existing key's: never replace that one
        raise AdminError("could not issue a fresh admin key; try again")
    return key, record


def revoke_admin_key(tenant_id: str, key_id: str) -> None:
    if not admin_keys.revoke_admin_key(tenant_id, key_id):
        raise Missing(f"tenant {tenant_id} has no admin key {key_id}")


def _parse_settings(values: Mapping[str, Any]) -> TenantSettings:
    try:
        return TenantSettings.from_mapping(values)
    except (TypeError, ValueError) as error:
        raise AdminError(f"invalid settings: {error}") from None

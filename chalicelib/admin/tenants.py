"""Create tenants and manage their signing keys."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from chalicelib.admin import AdminError, Missing
from chalicelib.admin.optimistic import check_version, retrying
from chalicelib.keys import kms, secretsmanager
from chalicelib.keys.algorithms import ALGORITHMS
from chalicelib.keys.keyring import ACTIVE, INACTIVE
from chalicelib.opaque import new_token
from chalicelib.settings import settings as deployment
from chalicelib.store import admin_keys
from chalicelib.store import tenants as store
from chalicelib.store.admin_keys import AdminKey
from chalicelib.store.tenants import Tenant
from chalicelib.tenancy.ids import is_valid_tenant_id
from chalicelib.tenancy.resolve import forget
from chalicelib.tenancy.settings import TenantSettings


def create_tenant(
    tenant_id: str,
    name: str,
    *,
    key_backend: str | None = None,
    settings: Mapping[str, Any] | None = None,
) -> Tenant:
    """A new tenant with a fresh RS256 key on the chosen backend (``key_backend``, else the
    tenant's settings, else the deployment's ``DEFAULT_KEY_BACKEND``)."""
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
    key = new_key(tenant_id, "RS256", parsed.key_backend)
    tenant = Tenant(id=tenant_id, name=name.strip(), created_at=int(time.time()), settings=overrides, keys=(key,))
    created = store.create_tenant(tenant)
    if created is None:
        raise AdminError(f"tenant {tenant_id} already exists; its new key {_named(key)} is unused: delete it")
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


def rotate_key(tenant_id: str, alg: str = "RS256", backend: str | None = None) -> dict[str, Any]:
    """Add a new active key for ``alg``; the previous ones stay published as inactive, so
    tokens they signed still verify (wait at least the ID token lifetime, then retire them).

    The AWS key is created once; only the tenant write is retried when a concurrent change
    wins the race, so a lost race never leaves a second, orphaned key. If the key cannot be
    published at all, the error names it for the operator to delete."""
    tenant = get_tenant(tenant_id)
    if alg not in ALGORITHMS:
        raise AdminError(f"unsupported algorithm {alg}; use one of {', '.join(ALGORITHMS)}")
    key = new_key(tenant_id, alg, backend or _parse_settings(tenant.settings).key_backend)

    def attempt() -> Tenant | None:
        current = get_tenant(tenant_id)
        if any(old["kid"] == key["kid"] for old in current.keys):
            return current  # published by an earlier attempt whose answer was lost
        keys = [
            {**old, "status": INACTIVE} if old["alg"] == alg and old["status"] == ACTIVE else old
            for old in current.keys
        ]
        return store.save_tenant(replace(current, keys=(*keys, key)))

    unpublished = f"the new key {_named(key)} was created but not published: delete it"
    try:
        retrying(attempt, f"tenant {tenant_id}")
    except AdminError as error:
        raise type(error)(f"{error}; {unpublished}") from None
    except Exception as error:
        error.add_note(unpublished)  # an AWS failure: the traceback still names the key
        raise
    forget(tenant_id)
    return key


def retire_key(tenant_id: str, kid: str) -> None:
    """Stop publishing an inactive key. The private key itself is left for the operator to
    delete (KMS ScheduleKeyDeletion, Secrets Manager DeleteSecret) once nothing needs it."""

    def attempt() -> Tenant | None:
        tenant = get_tenant(tenant_id)
        target = next((key for key in tenant.keys if key["kid"] == kid), None)
        if target is None:
            raise AdminError(f"tenant {tenant_id} has no key {kid}")
        if target["status"] == ACTIVE:
            raise AdminError("rotate before retiring: this key is active")
        keys = tuple({**key, "status": "retired"} if key["kid"] == kid else key for key in tenant.keys)
        return store.save_tenant(replace(tenant, keys=keys))

    retrying(attempt, f"tenant {tenant_id}")
    forget(tenant_id)


def new_key(tenant_id: str, alg: str, backend: str) -> dict[str, Any]:
    if backend == "kms":
        if not deployment.stage:  # the tag its stage's functions need to sign with it
            raise AdminError("set DEPLOYMENT_STAGE (dev, prod, ...): KMS keys are tagged with their stage")
        key = kms.create_key(tenant_id, alg, deployment.kms_alias_prefix, deployment.stage)
    elif backend == "secretsmanager":
        key = secretsmanager.create_key(tenant_id, alg, deployment.key_secret_prefix, deployment.stage)
    else:
        raise AdminError("key backend must be 'secretsmanager' or 'kms'")
    return {**key, "status": ACTIVE, "created_at": int(time.time())}


def _named(key: Mapping[str, Any]) -> str:
    """How an operator finds a key in AWS: its kid and its KMS key or secret."""
    return f"{key['kid']} ({key['backend']} {key['ref']})"


def _parse_settings(values: Mapping[str, Any]) -> TenantSettings:
    try:
        return TenantSettings.from_mapping(values)
    except (TypeError, ValueError) as error:
        raise AdminError(f"invalid settings: {error}") from None

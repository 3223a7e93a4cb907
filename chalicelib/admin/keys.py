"""Tenants' signing keys: create, list, rotate (forced; the schedule's is in
chalicelib/admin/rotation.py), retire, and migrate between backends without a gap.

Every change is a conditional write of the tenant record (re-read and re-applied when it
lost a race); an AWS key is created once, outside the retried write, so a lost race never
leaves a second one. Each write first notes when the tenant's keys next need the schedule
(chalicelib/store/rotation.py), so a rotation begun here is finished by the schedule.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from chalicelib import events
from chalicelib.admin import AdminError, Missing
from chalicelib.admin.optimistic import retrying
from chalicelib.keys import rotation
from chalicelib.keys.algorithms import ALGORITHMS
from chalicelib.keys.keyring import ACTIVE, RETIRED
from chalicelib.settings import settings as deployment
from chalicelib.store import rotation as schedule_store
from chalicelib.store import tenants as store
from chalicelib.store.tenants import Tenant
from chalicelib.tenancy.resolve import forget
from chalicelib.tenancy.settings import TenantSettings

BACKENDS = ("envelope", "secretsmanager", "kms")
# The longest a JWT signed by a tenant key lives beyond its tenant's token lifetimes: a
# back-channel logout token (chalicelib/oidc/endpoints/logout.py, 120 s), with margin.
MIN_RETIRE_AFTER = 300
KEY_FIELDS = ("kid", "alg", "backend", "status", "created_at", "activated_at", "activates_at", "retires_at")


def new_key(tenant_id: str, alg: str, backend: str, now: int | None = None) -> dict[str, Any]:
    """A new active key on ``backend`` (its AWS resource, if the backend has one, is made)."""
    from chalicelib.keys import envelope, kms, secretsmanager

    stage = deployment.stage
    if backend not in BACKENDS:
        raise AdminError(f"key backend must be one of {', '.join(BACKENDS)}")
    if backend in ("kms", "envelope") and not stage:  # what its stage's functions are allowed to use
        raise AdminError(f"set DEPLOYMENT_STAGE (dev, prod, ...): {backend} keys are bound to their stage")
    if backend == "kms" and alg in ALGORITHMS and not ALGORITHMS[alg].kms_key_spec:
        raise AdminError(f"the kms key backend does not offer {alg}: use envelope or secretsmanager")
    if backend == "kms":
        key = kms.create_key(tenant_id, alg, deployment.kms_alias_prefix, stage)
    elif backend == "envelope":
        if not deployment.key_wrapping_key_id:
            raise AdminError("set KEY_WRAPPING_KEY_ID (the KMS key that wraps envelope keys; `cli setup` in dev)")
        key = envelope.create_key(tenant_id, alg, deployment.key_wrapping_key_id, stage)
    else:
        key = secretsmanager.create_key(tenant_id, alg, deployment.key_secret_prefix, stage)
    return {**key, "status": ACTIVE, "created_at": int(now if now is not None else time.time())}


def policy(settings: TenantSettings) -> rotation.Policy:
    return rotation.Policy(
        period=settings.key_rotation_days * 86400,
        prepublish=settings.key_prepublish_seconds,
        retire_after=max(settings.token_expire, settings.idtoken_expire, MIN_RETIRE_AFTER),
        algorithm=settings.key_algorithm,
    )


def key_view(key: Mapping[str, Any]) -> dict[str, Any]:
    """What an admin sees of a key: never its sealed material or where that lives."""
    return {name: key[name] for name in KEY_FIELDS if name in key}


def list_keys(tenant_id: str) -> list[dict[str, Any]]:
    return [key_view(key) for key in read_tenant(tenant_id).keys]


def rotate_key(
    tenant_id: str,
    alg: str = "RS256",
    backend: str | None = None,
    *,
    immediately: bool = False,
    now: int | None = None,
    actor: str = "cli",
) -> dict[str, Any]:
    """A new key for ``alg``: published as ``next`` now and signing after the tenant's
    pre-publication time (the schedule activates it), so no RP's cached JWKS misses it; or,
    ``immediately``, signing at once (a compromised key). The key it replaces stays
    published until the tokens it signed have expired. An algorithm the tenant has no key
    for yet gets one that signs at once: no token of it exists, nor any cached copy. A next
    key already published for ``alg`` (it never signed) is retired in the new one's favour."""
    now = int(now if now is not None else time.time())
    if alg not in ALGORITHMS:
        raise AdminError(f"unsupported algorithm {alg}; use one of {', '.join(ALGORITHMS)}")
    tenant = read_tenant(tenant_id)
    _check_room(tenant, 1)  # before an AWS key is made that could not be published
    settings = parse_settings(tenant.settings)
    key = new_key(tenant_id, alg, backend or settings.key_backend, now)

    def change(current: Tenant, settings: TenantSettings) -> Sequence[Mapping[str, Any]]:
        keys = current.keys
        if any(old["kid"] == key["kid"] for old in keys):
            return keys  # published by an earlier attempt whose answer was lost
        return _bring_in(keys, key, settings, now, immediately or rotation.newest_active(keys, alg) is None)

    updated = _publishing([key], lambda: change_keys(tenant_id, change, now))
    events.emit("key_rotated", tenant_id, actor=actor, kid=key["kid"], alg=alg, immediately=immediately)
    return _stored(updated, key)


def retire_key(tenant_id: str, kid: str, now: int | None = None, actor: str = "cli") -> None:
    """Stop publishing a key that does not sign (inactive, or next: a rotation cancelled).
    A Secrets Manager secret or KMS key is left for the operator to delete once nothing
    needs it; an envelope key's sealed material leaves the record with it."""
    now = int(now if now is not None else time.time())

    def change(current: Tenant, settings: TenantSettings) -> Sequence[Mapping[str, Any]]:
        target = next((key for key in current.keys if key["kid"] == kid), None)
        if target is None:
            raise Missing(f"tenant {tenant_id} has no such key")
        if target["status"] == ACTIVE:
            raise AdminError("rotate before retiring: this key is active")
        if target["status"] == RETIRED:
            return current.keys
        return [rotation.retire(key, now) if key["kid"] == kid else key for key in current.keys]

    change_keys(tenant_id, change, now)
    events.emit("key_retired", tenant_id, actor=actor, kid=kid)


def migrate_keys(
    tenant_id: str, backend: str, *, immediately: bool = False, now: int | None = None, actor: str = "cli"
) -> list[dict[str, Any]]:
    """Move a tenant to another key backend without a signature gap: a key on ``backend`` is
    published for each algorithm the tenant signs with, and activated as ``rotate_key``
    activates (the old keys stay published, inactive, until retired); the tenant's
    ``key_backend`` becomes ``backend``, so later rotations stay there."""
    now = int(now if now is not None else time.time())
    tenant = read_tenant(tenant_id)
    # Per algorithm, the key that signs next (a pending one) or now: on another backend, it
    # is replaced by a new key on this one.
    algs = sorted({key["alg"] for key in tenant.keys if key["status"] == ACTIVE})
    algs = [
        alg
        for alg in algs
        if (rotation.pending(tenant.keys, alg) or rotation.newest_active(tenant.keys, alg))["backend"] != backend
    ]
    _check_room(tenant, len(algs))
    created = [new_key(tenant_id, alg, backend, now) for alg in algs]

    def change(current: Tenant, settings: TenantSettings) -> Sequence[Mapping[str, Any]]:
        keys = list(current.keys)
        for key in created:
            if any(old["kid"] == key["kid"] for old in keys):
                continue  # published by an earlier attempt whose answer was lost
            keys = _bring_in(keys, key, settings, now, immediately)
        return keys

    updated = _publishing(created, lambda: change_keys(tenant_id, change, now, {"key_backend": backend}))
    events.emit("keys_migrated", tenant_id, actor=actor, backend=backend, kids=[key["kid"] for key in created])
    return [_stored(updated, key) for key in created]


Change = Callable[[Tenant, TenantSettings], Sequence[Mapping[str, Any]]]


def change_keys(tenant_id: str, change: Change, now: int, settings: Mapping[str, Any] | None = None) -> Tenant:
    """Apply ``change`` to the tenant's keys as they are when written (and ``settings``),
    in one conditional write, after noting when the schedule is next needed."""

    def attempt() -> Tenant | None:
        current = read_tenant(tenant_id)
        merged = {**current.settings, **(settings or {})}
        parsed = parse_settings(merged)
        keys = tuple(dict(key) for key in rotation.prune(change(current, parsed)))
        due = rotation.due(keys, policy(parsed))
        if due is not None:  # what is overdue is done at the next run
            schedule_store.schedule(tenant_id, max(due, now + 1))
        return store.save_tenant(replace(current, keys=keys, settings=merged))

    updated = retrying(attempt, f"tenant {tenant_id}")
    forget(tenant_id)
    return updated


def schedule(tenant: Tenant) -> None:
    """Note when ``tenant``'s keys next need the schedule (after a change of its settings)."""
    due = rotation.due(tenant.keys, policy(TenantSettings.from_stored(tenant.settings)))
    if due is not None:
        schedule_store.schedule(tenant.id, due)


def _check_room(tenant: Tenant, adding: int) -> None:
    """Refuse a change that would take the tenant over ``rotation.MAX_KEYS`` keys (its record
    is read on every request, and DynamoDB refuses an item over 400 KB)."""
    held = len(rotation.prune(tenant.keys))
    if held + adding > rotation.MAX_KEYS:
        raise AdminError(
            f"tenant {tenant.id} holds {held} keys, at most {rotation.MAX_KEYS}: its retired KMS keys and secrets "
            "stay listed until the tenant's deletion disposes of them; on the envelope backend (keys migrate --to "
            "envelope) retired keys leave the record"
        )


def read_tenant(tenant_id: str) -> Tenant:
    """The tenant, to change its keys: not one being deleted, whose keys the deletion has
    already disposed of (a key added now would outlive it)."""
    tenant = store.get_tenant(tenant_id, consistent=True)
    if tenant is None or tenant.status == store.DELETING:
        raise Missing(f"no tenant {tenant_id}")
    return tenant


def parse_settings(values: Mapping[str, Any]) -> TenantSettings:
    try:
        return TenantSettings.from_mapping(values)
    except (TypeError, ValueError) as error:
        raise AdminError(f"invalid settings: {error}") from None


def named(key: Mapping[str, Any]) -> str:
    """How an operator finds a key in AWS: its kid and its KMS key or secret."""
    return f"{key['kid']} ({key['backend']} {key['ref']})"


def _bring_in(
    keys: Sequence[Mapping[str, Any]], key: Mapping[str, Any], settings: TenantSettings, now: int, immediately: bool
) -> list[Mapping[str, Any]]:
    """``keys`` with ``key`` signing now (``immediately``), or published to sign after the
    tenant's pre-publication time."""
    if immediately:
        return rotation.activate(rotation.publish(keys, key, now), key["kid"], now, policy(settings).retire_after)
    return rotation.publish(keys, key, now + settings.key_prepublish_seconds)


def _publishing(created: Sequence[Mapping[str, Any]], write: Callable[[], Tenant]) -> Tenant:
    """``write()``, naming the new keys for the operator to delete if it fails. (An
    envelope key has no AWS resource: an unpublished one is simply gone.)"""
    orphans = [named(key) for key in created if key["backend"] != "envelope"]
    unpublished = f"the new key {', '.join(orphans)} was created but not published: delete it"
    try:
        return write()
    except AdminError as error:
        if orphans:
            raise type(error)(f"{error}; {unpublished}") from None
        raise
    except Exception as error:
        if orphans:
            error.add_note(unpublished)  # an AWS failure: the traceback still names the key
        raise


def _stored(tenant: Tenant, key: Mapping[str, Any]) -> dict[str, Any]:
    """The view of ``key`` as ``tenant`` now holds it (its status and times)."""
    return key_view(next((stored for stored in tenant.keys if stored["kid"] == key["kid"]), key))

"""A tenant's life as the operator sees it: list, disable, enable, export, delete.

Deletion is resumable: the tenant is first marked ``deleting`` (from then on it resolves to
"no such tenant" and its admins can change nothing), its key material is scheduled for
deletion, every other item of its partition is deleted, and only then its record and its
directory entry, together. A run that stops anywhere is finished by running it again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from chalicelib import events
from chalicelib.admin import AdminError, Missing
from chalicelib.admin.optimistic import retrying
from chalicelib.keys import disposal
from chalicelib.opaque import b64url, b64url_decode
from chalicelib.settings import settings as deployment
from chalicelib.store import directory
from chalicelib.store import lifecycle as store
from chalicelib.store import tenants as tenant_store
from chalicelib.store.tenants import ACTIVE, DELETING, DISABLED, Tenant
from chalicelib.tenancy.ids import is_valid_tenant_id
from chalicelib.tenancy.resolve import forget

MAX_PAGE = 1000
EXPORT_FORMAT = "oidc-tenant-export/1"


def list_tenants(limit: int = 100, after: str | None = None) -> dict[str, Any]:
    """A page of tenants in id order; ``next`` is the page token of the following page
    (None on the last)."""
    if not 1 <= limit <= MAX_PAGE:
        raise AdminError(f"the page size is 1 to {MAX_PAGE}")
    entries, last = directory.list_entries(limit, _start(after) if after is not None else None)
    tenants = [{"id": e.id, "name": e.name, "created_at": e.created_at, "status": e.status} for e in entries]
    return {"tenants": tenants, "next": b64url(last.encode()) if last else None}


def _start(token: str) -> str:
    """The tenant id a page token names; refused unless it is one we could have issued."""
    refused = AdminError("the page token is the next value of a previous page")
    if not (0 < len(token) <= 100 and token.isascii() and token.replace("-", "").replace("_", "").isalnum()):
        raise refused
    try:
        tenant_id = b64url_decode(token).decode("ascii")
    except ValueError:
        raise refused from None
    if not is_valid_tenant_id(tenant_id) or b64url(tenant_id.encode()) != token:
        raise refused
    return tenant_id


def disable_tenant(tenant_id: str, actor: str = "cli") -> Tenant:
    """Every endpoint of the tenant refuses (403 ``tenant_disabled``) until it is enabled
    again; its data stays. Warm containers notice within the tenant cache's lifetime."""
    return _set_status(tenant_id, DISABLED, "tenant_disabled", actor)


def enable_tenant(tenant_id: str, actor: str = "cli") -> Tenant:
    return _set_status(tenant_id, ACTIVE, "tenant_enabled", actor)


def _set_status(tenant_id: str, status: str, event: str, actor: str) -> Tenant:
    """The tenant at ``status``; an event only if this call changed it."""
    was = []

    def attempt() -> Tenant | None:
        tenant = _existing(tenant_id)
        if tenant.status == DELETING:
            raise AdminError(f"tenant {tenant_id} is being deleted; run tenants delete again to finish")
        was.append(tenant.status)
        if tenant.status == status:
            return tenant
        return store.set_status(tenant, status, int(time.time()))

    tenant = retrying(attempt, f"tenant {tenant_id}")
    forget(tenant_id)
    if was[-1] != status:
        events.emit(event, tenant_id, actor=actor)
    return tenant


def export_tenant(tenant_id: str) -> Iterator[str]:
    """The tenant as JSON text, in pieces (users are read a page at a time, so a tenant
    with a million users is not held in memory): its settings and public key ids, its
    clients, its page and mail templates and its users, without any secret, hash or ciphertext."""
    from chalicelib.admin.api import client_view, tenant_view
    from chalicelib.store import clients as client_store
    from chalicelib.store import templates as template_store
    from chalicelib.store import users as user_store

    tenant = _existing(tenant_id)
    head = {
        "format": EXPORT_FORMAT,
        "exported_at": int(time.time()),
        "tenant": {**tenant_view(tenant), "status": tenant.status},
        "clients": [client_view(client) for client in client_store.list_clients(tenant_id)],
        "templates": {template.name: template.source for template in template_store.list_templates(tenant_id)},
    }
    yield json.dumps(head)[:-1] + ', "users": ['
    after, first = None, True
    while True:
        users, after = user_store.list_users(tenant_id, after=after)
        for user in users:
            yield ("" if first else ", ") + json.dumps(_user_view(user))
            first = False
        if after is None:
            break
    yield "]}\n"


def _user_view(user: Any) -> dict[str, Any]:
    from chalicelib.admin.api import user_view

    view = user_view(user)
    view.pop("epoch", None)  # an internal counter (chalicelib.store.users.may_act)
    return view


def delete_tenant(
    tenant_id: str, actor: str = "cli", *, days: int = disposal.MAX_DAYS, grace: float | None = None
) -> dict[str, Any]:
    """Delete the tenant with all its data (see the module's docstring). ``days``: the KMS
    pending window and Secrets Manager recovery window of its keys. ``grace``: how long a
    warm container may still serve the tenant from its cache (and write, say, a session)
    after it was marked: the partition is swept again once that has passed, so nothing
    written late survives (default: the deployment's tenant cache lifetime)."""
    if not disposal.MIN_DAYS <= days <= disposal.MAX_DAYS:
        raise AdminError(f"the recovery window is {disposal.MIN_DAYS} to {disposal.MAX_DAYS} days")
    tenant = _mark_deleting(tenant_id)
    keys = {key["kid"]: disposal.schedule_deletion(key, days) for key in tenant.keys}
    removed = _sweep(tenant_id)
    # status_at is in whole seconds: the second after it is surely after the mark.
    wait = (tenant.status_at or 0) + 1 + (deployment.cache_ttl_seconds if grace is None else grace) - time.time()
    if wait > 0:
        time.sleep(wait)
        removed += _sweep(tenant_id)
    # A key published after the mark (by a write that read the tenant before it) would be
    # missing from those disposed of above: the record as it is now names every key.
    final = tenant_store.get_tenant(tenant_id, consistent=True)
    for key in final.keys if final is not None else ():
        if key["kid"] not in keys:
            keys[key["kid"]] = disposal.schedule_deletion(key, days)
    store.remove_tenant(tenant_id)
    forget(tenant_id)
    events.emit("tenant_deleted", tenant_id, actor=actor, items=removed + 2, keys=len(keys))
    return {"tenant": tenant_id, "status": "deleted", "items_deleted": removed + 2, "keys": keys}


def _mark_deleting(tenant_id: str) -> Tenant:
    def attempt() -> Tenant | None:
        tenant = _existing(tenant_id)
        if tenant.status == DELETING:
            return tenant  # a deletion that stopped midway: finish it
        return store.set_status(tenant, DELETING, int(time.time()))

    tenant = retrying(attempt, f"tenant {tenant_id}")
    forget(tenant_id)
    return tenant


def _sweep(tenant_id: str) -> int:
    """Delete every item of the partition but the tenant's record, page by page."""
    return sum(store.delete_keys(keys) for keys in store.tenant_keys(tenant_id))


def _existing(tenant_id: str) -> Tenant:
    tenant = tenant_store.get_tenant(tenant_id, consistent=True)
    if tenant is None:
        raise Missing(f"no tenant {tenant_id}")
    return tenant

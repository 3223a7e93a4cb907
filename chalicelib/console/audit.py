"""Every change made in the console is an audited event: one event line (and EventBridge
entry) through ``chalicelib.events``, and one entry in the table, kept ``RETENTION`` seconds
per tenant, which the console's events page lists newest first."""

from __future__ import annotations

from typing import Any

from chalicelib import events
from chalicelib.console.session import Admin
from chalicelib.context import Context
from chalicelib.opaque import new_id
from chalicelib.store import console as store

RETENTION = 30 * 86400


def audited(ctx: Context, admin: Admin, event: str, /, **fields: Any) -> None:
    """Record ``event`` (say ``admin_client_updated``) done by ``admin``. ``fields`` name what
    changed (ids, names), never a secret or a password."""
    events.emit(event, ctx.tenant.id, actor=admin.actor, **fields)
    entry = store.AuditEntry(event, admin.actor, ctx.now, {name: str(value)[:200] for name, value in fields.items()})
    store.record(ctx.tenant.id, entry, new_id(8), RETENTION)


def recent(ctx: Context) -> list[store.AuditEntry]:
    return store.recent(ctx.tenant.id, ctx.now)

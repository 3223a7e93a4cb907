"""The key-rotation schedule: which tenants have a key change due, and when.

One small item per tenant with something due, under one partition shared by all tenants
(``#key-rotation``, which no tenant id can be), sorted by due time: the scheduled job
reads only what is due (one Query from the oldest), never the whole table, however many
tenants there are. An item is a hint, not the truth: the job reads the tenant and decides
from its keys and settings, so a stale or duplicate hint costs one read and is removed,
and a hint is written before the tenant change it announces, so none is ever missing.
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.store.models import Item, put_if_absent

PK = "#key-rotation"
_LAST = "~"  # sorts after every tenant id ([a-z0-9-])


class RotationDueItem(Item, discriminator="rotation-due"):
    tenant = UnicodeAttribute()
    due = NumberAttribute()


@dataclass(frozen=True)
class Due:
    tenant_id: str
    due: int


def schedule(tenant_id: str, due: int) -> None:
    """Note that ``tenant_id`` has a key change due at ``due`` (kept if already noted)."""
    put_if_absent(RotationDueItem(PK, _sk(due, tenant_id), tenant=tenant_id, due=due))


def due_by(now: int, limit: int) -> list[Due]:
    """At most ``limit`` hints due at ``now`` or earlier, oldest first."""
    items = RotationDueItem.query(PK, RotationDueItem.sk <= f"{now:012d}#{_LAST}", limit=limit)
    return [Due(item.tenant, int(item.due)) for item in items]


def done(hint: Due) -> None:
    """Remove a hint the job has acted on (a hint has no version: it never changes)."""
    RotationDueItem(PK, _sk(hint.due, hint.tenant_id)).delete()


def _sk(due: int, tenant_id: str) -> str:
    return f"{max(due, 0):012d}#{tenant_id}"

"""The scheduled key rotation (chalicelib/web/schedule.py runs it every few minutes).

Each run reads the tenants whose keys have something due (chalicelib/store/rotation.py: a
Query of what is due, never a scan of the table) and, per tenant, in one conditional write:
activates the next keys whose time has come, retires the inactive keys whose tokens have
all expired, and publishes a next key for each algorithm whose rotation is near
(chalicelib/keys/rotation.py says when). Runs may overlap (a schedule may fire twice): the
tenant write is versioned, and a run that lost the race re-reads and finds nothing left.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from chalicelib import events
from chalicelib.admin import keys as key_admin
from chalicelib.keys import rotation
from chalicelib.store import rotation as schedule_store
from chalicelib.store import tenants as store
from chalicelib.store.tenants import DELETING, Tenant
from chalicelib.tenancy.settings import TenantSettings

logger = logging.getLogger("oidc")
# A tenant whose change failed (AWS down, a bad record) is tried again this much later,
# so that it cannot hold the head of the schedule and starve the others.
RETRY_AFTER = 900
BATCH = 100
# Seconds a run works before leaving the rest to the next one (the function's timeout is
# 300 s; a tenant takes a read, a key and a write: well under a second).
BUDGET = 240.0


@dataclass
class Run:
    """What a run did, for its log line and for tests."""

    now: int
    tenants: int = 0
    steps: list[tuple[str, str, str]] = field(default_factory=list)  # (event, tenant, kid)
    failed: list[str] = field(default_factory=list)


def run(now: int | None = None, limit: int = BATCH, budget: float = BUDGET) -> Run:
    """One scheduled run: the due tenants, a page of ``limit`` at a time, until none is
    left or ``budget`` seconds have passed (the rest wait for the next run)."""
    done = Run(now=int(now if now is not None else time.time()))
    deadline = time.monotonic() + budget
    while time.monotonic() < deadline:
        hints = schedule_store.due_by(done.now, limit)
        if not hints:
            break
        for hint in hints:
            if time.monotonic() >= deadline:
                break
            _advance_one(done, hint)
    logger.info("key rotation run: %d tenants, %d steps, %d failed", done.tenants, len(done.steps), len(done.failed))
    return done


def _advance_one(done: Run, hint: schedule_store.Due) -> None:
    done.tenants += 1
    try:
        done.steps += [(event, hint.tenant_id, kid) for event, kid in advance(hint.tenant_id, done.now)]
    except Exception:
        logger.exception("key rotation of tenant %s failed; retried in %d s", hint.tenant_id, RETRY_AFTER)
        done.failed.append(hint.tenant_id)
        schedule_store.schedule(hint.tenant_id, done.now + RETRY_AFTER)
    # Acted on (or moved on): its due time, if any is left, is a new hint written meanwhile.
    schedule_store.done(hint)


def advance(tenant_id: str, now: int) -> list[tuple[str, str]]:
    """Bring one tenant's keys up to ``now``; the steps taken, as (event, kid)."""
    tenant = store.get_tenant(tenant_id, consistent=True)
    if tenant is None or tenant.status == DELETING:
        return []  # deleted (or being deleted) meanwhile: its hint goes, no new key is made
    settings = TenantSettings.from_stored(tenant.settings)
    advanced, _ = rotation.advance(tenant.keys, key_admin.policy(settings), now)
    # New keys are made before the conditional write (their AWS resource, if any, once).
    wanted = rotation.wanted(advanced, key_admin.policy(settings), now)
    created = {alg: key_admin.new_key(tenant_id, alg, settings.key_backend, now) for alg in wanted}
    taken: list[tuple[str, str]] = []

    def change(current: Tenant, settings: TenantSettings) -> Any:
        policy = key_admin.policy(settings)
        keys, steps = rotation.advance(current.keys, policy, now)
        for alg, activates_at in rotation.wanted(keys, policy, now).items():
            if alg in created:
                keys = rotation.publish(keys, created[alg], activates_at)
                steps.append(("key_published", created[alg]["kid"]))
        taken[:] = steps
        return keys

    if wanted or advanced != list(tenant.keys):
        stored = key_admin.change_keys(tenant_id, change, now)
        published = {key["kid"] for key in stored.keys}
        for key in created.values():  # an admin's rotation won the race: this one is not needed
            if key["kid"] not in published and key["backend"] != "envelope":
                logger.warning("key rotation of tenant %s: %s was created but not published: delete it",
                               tenant_id, key_admin.named(key))  # fmt: skip
    else:
        key_admin.schedule(tenant)  # a stale hint: note the real due time
    for event, kid in taken:
        events.emit(event, tenant_id, actor="schedule", kid=kid)
    return taken

"""What the tenant admin console stores and reads: its own sessions, the audit trail of
admin changes, and a user's OP sessions and consents (to list and revoke them).

Console sessions are stored under the digest of their cookie's credential, as OP sessions
are; audit entries under ``audit#<inverted time>#<inverted nanoseconds>#<id>``, so that one
Query in key order reads the newest first, and DynamoDB's TTL removes them after their
retention.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import DeleteError

from chalicelib.store.consents import PREFIX as CONSENT
from chalicelib.store.consents import Consent
from chalicelib.store.consents import from_item as consent_from_item
from chalicelib.store.models import AuditItem, ConsentItem, ConsoleSessionItem, SessionItem, at, epoch, valid_key_part
from chalicelib.store.sessions import PREFIX as SESSION
from chalicelib.store.sessions import Session
from chalicelib.store.sessions import from_item as session_from_item

CONSOLE_SESSION = "console-session#"
AUDIT = "audit#"
# Far enough ahead that ``LAST - now`` stays positive and of one width for centuries.
LAST = 10**10
LAST_NS = 10**19
# A user's OP sessions are found among the tenant's by a filtered Query; these many pages
# of it (1 MB each) at most, so a tenant with a flood of sessions cannot stall a page.
MAX_PAGES = 10


@dataclass(frozen=True)
class ConsoleSession:
    tenant_id: str
    key: str
    sub: str
    username: str
    created_at: int
    expires_at: int
    epoch: int = 0


@dataclass(frozen=True)
class AuditEntry:
    event: str
    actor: str
    at: int
    fields: Mapping[str, Any]


def save_console_session(session: ConsoleSession) -> None:
    ConsoleSessionItem(
        session.tenant_id,
        CONSOLE_SESSION + session.key,
        sub=session.sub,
        username=session.username,
        created_at=session.created_at,
        epoch=session.epoch or None,
        ttl=at(session.expires_at),
    ).save(condition=ConsoleSessionItem.sk.does_not_exist())


def get_console_session(tenant_id: str, key: str, now: int) -> ConsoleSession | None:
    """The session, or None if there is none or it has expired (TTL may lag)."""
    if not valid_key_part(key):
        return None
    try:
        item = ConsoleSessionItem.get(tenant_id, CONSOLE_SESSION + key, consistent_read=True)
    except ConsoleSessionItem.DoesNotExist:
        return None
    expires_at = epoch(item.ttl)
    if expires_at <= now:
        return None
    return ConsoleSession(
        tenant_id, key, item.sub, item.username, int(item.created_at), expires_at, int(item.epoch or 0)
    )


def end_console_session(tenant_id: str, key: str) -> None:
    if valid_key_part(key):
        ConsoleSessionItem(tenant_id, CONSOLE_SESSION + key).delete()


def record(tenant_id: str, entry: AuditEntry, entry_id: str, retention: int) -> None:
    AuditItem(
        tenant_id,
        # Within a second, the clock's nanoseconds order the entries (newest first too).
        f"{AUDIT}{LAST - entry.at:010d}#{LAST_NS - time.time_ns():019d}#{entry_id}",
        event=entry.event,
        actor=entry.actor,
        at=entry.at,
        fields=dict(entry.fields),
        ttl=at(entry.at + retention),
    ).save()


def recent(tenant_id: str, now: int, limit: int = 50) -> list[AuditEntry]:
    """The tenant's newest audit entries (one Query), expired ones left out."""
    query = AuditItem.query(tenant_id, AuditItem.sk.startswith(AUDIT), limit=limit)
    return [
        AuditEntry(item.event, item.actor, int(item.at), item.fields or {}) for item in query if epoch(item.ttl) > now
    ]


def user_sessions(tenant_id: str, sub: str, now: int) -> list[Session]:
    """The user's live OP sessions, oldest first."""
    query = SessionItem.query(
        tenant_id, SessionItem.sk.startswith(SESSION), filter_condition=SessionItem.sub == sub, page_size=500
    )
    found: list[Session] = []
    for number, page in enumerate(query.page_iter):
        items = (SessionItem.from_raw_data(raw) for raw in page.get("Items", ()))
        found += [session for session in (session_from_item(item, now) for item in items) if session is not None]
        if number + 1 >= MAX_PAGES:
            break
    return sorted(found, key=lambda session: session.created_at)


def user_consents(tenant_id: str, sub: str, now: int) -> list[Consent]:
    """The user's remembered consents (their keys begin with the sub: one Query)."""
    if not valid_key_part(sub):
        return []
    query = ConsentItem.query(tenant_id, ConsentItem.sk.startswith(f"{CONSENT}{sub}#"))
    return [consent for consent in (consent_from_item(item, now) for item in query) if consent is not None]


def delete_consent(tenant_id: str, sub: str, client_id: str) -> bool:
    """Forget a consent; False if there was none."""
    if not (valid_key_part(sub) and valid_key_part(client_id)):
        return False
    try:
        ConsentItem(tenant_id, f"{CONSENT}{sub}#{client_id}").delete(condition=ConsentItem.sk.exists())
    except DeleteError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True

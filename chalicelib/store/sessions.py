"""OP browser sessions: who is logged in, since when. The cookie holds the random sid."""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.store.models import SessionItem, at, delete_returning, epoch, valid_key_part

PREFIX = "session#"


@dataclass(frozen=True)
class Session:
    tenant_id: str
    sid: str
    sub: str
    auth_time: int
    created_at: int
    expires_at: int
    clients: frozenset[str] = field(default_factory=frozenset)


def session_item(session: Session) -> SessionItem:
    return SessionItem(
        session.tenant_id,
        PREFIX + session.sid,
        sub=session.sub,
        auth_time=session.auth_time,
        created_at=session.created_at,
        clients=set(session.clients) or None,
        ttl=at(session.expires_at),
    )


def from_item(item: SessionItem, now: int) -> Session | None:
    """The session, or None once it has expired (whether or not TTL has deleted it yet)."""
    expires_at = epoch(item.ttl)
    if expires_at <= now:
        return None
    return Session(
        tenant_id=item.pk,
        sid=item.sk[len(PREFIX) :],
        sub=item.sub,
        auth_time=int(item.auth_time),
        created_at=int(item.created_at),
        expires_at=expires_at,
        clients=frozenset(item.clients or ()),
    )


def get_session(tenant_id: str, sid: str, now: int) -> Session | None:
    if not valid_key_part(sid):
        return None
    try:
        return from_item(SessionItem.get(tenant_id, PREFIX + sid), now)
    except SessionItem.DoesNotExist:
        return None


def end_session(tenant_id: str, sid: str, now: int) -> Session | None:
    """Delete the session and return what it was (None if it was already gone or expired):
    one DeleteItem with ALL_OLD, so two logouts racing cannot both notify the clients."""
    if not valid_key_part(sid):
        return None
    item = SessionItem(tenant_id, PREFIX + sid)
    old = delete_returning(item)
    return from_item(old, now) if old is not None else None

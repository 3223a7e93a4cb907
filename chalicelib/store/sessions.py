"""OP browser sessions: who is logged in, since when.

The browser's cookie holds the session's credential, a random value; the table holds only its
SHA-256 digest (the session's key), as it does for codes and refresh tokens. Whoever reads the
table, a backup or an export learns no credential that a cookie could be rebuilt from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.opaque import digest
from chalicelib.store.models import SessionItem, at, delete_returning, epoch, valid_key_part

PREFIX = "session#"


@dataclass(frozen=True)
class Session:
    tenant_id: str
    key: str  # digest of the credential the browser's cookie holds
    sub: str
    auth_time: int
    created_at: int
    expires_at: int
    clients: frozenset[str] = field(default_factory=frozenset)
    epoch: int = 0  # the user's epoch at the login (chalicelib.store.users.may_act)
    amr: tuple[str, ...] = ("pwd",)  # how the user authenticated (RFC 8176; chalicelib.oidc.acr)


def session_item(session: Session) -> SessionItem:
    return SessionItem(
        session.tenant_id,
        PREFIX + session.key,
        sub=session.sub,
        auth_time=session.auth_time,
        created_at=session.created_at,
        clients=set(session.clients) or None,
        epoch=session.epoch or None,
        amr=list(session.amr),
        ttl=at(session.expires_at),
    )


def from_item(item: SessionItem, now: int) -> Session | None:
    """The session, or None once it has expired (whether or not TTL has deleted it yet)."""
    expires_at = epoch(item.ttl)
    if expires_at <= now:
        return None
    return Session(
        tenant_id=item.pk,
        key=item.sk[len(PREFIX) :],
        sub=item.sub,
        auth_time=int(item.auth_time),
        created_at=int(item.created_at),
        expires_at=expires_at,
        clients=frozenset(item.clients or ()),
        epoch=int(item.epoch or 0),
        amr=tuple(item.amr or ("pwd",)),
    )


def session_key(credential: str) -> str:
    """The key a session is stored under: a one-way function of the cookie's credential."""
    return digest(credential)


def end_session(tenant_id: str, key: str, now: int) -> Session | None:
    """Delete the session and return what it was (None if it was already gone or expired):
    one DeleteItem with ALL_OLD, so two logouts racing cannot both notify the clients."""
    if not valid_key_part(key):
        return None
    old = delete_returning(SessionItem(tenant_id, PREFIX + key))
    return from_item(old, now) if old is not None else None

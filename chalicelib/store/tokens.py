"""Refresh tokens, stored under their digest, rotated on every use."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.opaque import digest
from chalicelib.store.models import RefreshTokenItem, at, consume, epoch, release, valid_key_part

PREFIX = "refresh#"


@dataclass(frozen=True)
class RefreshToken:
    client_id: str
    sub: str
    scopes: tuple[str, ...]
    sid: str
    auth_time: int
    created_at: int
    expires_at: int


def save_refresh_token(tenant_id: str, token: str, record: RefreshToken) -> None:
    RefreshTokenItem(
        tenant_id,
        PREFIX + digest(token),
        client_id=record.client_id,
        sub=record.sub,
        scopes=list(record.scopes),
        sid=record.sid,
        auth_time=record.auth_time,
        created_at=record.created_at,
        ttl=at(record.expires_at),
    ).save()


@dataclass(frozen=True)
class Redeemed:
    marker: str  # for release_refresh_token, should the token response fail after all
    token: RefreshToken


@dataclass(frozen=True)
class Refused:
    # The token is live and the client's, but was not granted every requested scope: the
    # caller answers invalid_scope rather than invalid_grant (RFC 6749 §5.2).
    scope_exceeded: bool = False


def consume_refresh_token(
    tenant_id: str, token: str, client_id: str, scopes: tuple[str, ...], now: int
) -> Redeemed | Refused:
    """Mark the token used and return it, in one conditional write; refused if it is unknown,
    expired, already used, issued to another client, or not covering every one of
    ``scopes`` (RFC 6749 §6, RFC 9700 §4.14.2). A refused request writes nothing."""
    if not valid_key_part(token):
        return Refused()
    item = RefreshTokenItem(tenant_id, PREFIX + digest(token))
    condition = RefreshTokenItem.client_id == client_id
    for scope in scopes:
        condition &= RefreshTokenItem.scopes.contains(scope)
    marker = consume(item, now, condition)
    if marker is not None:
        return Redeemed(marker, _from_item(item))
    # consume() has loaded what is stored (if anything) to tell the refusal apart.
    live = item.sub is not None and item.used_at is None and epoch(item.ttl) > now and item.client_id == client_id
    return Refused(scope_exceeded=bool(scopes) and live)


def release_refresh_token(tenant_id: str, token: str, marker: str) -> None:
    """Undo a redemption that could not be completed: the token works again."""
    release(RefreshTokenItem(tenant_id, PREFIX + digest(token)), marker)


def _from_item(item: RefreshTokenItem) -> RefreshToken:
    return RefreshToken(
        client_id=item.client_id,
        sub=item.sub,
        scopes=tuple(item.scopes or ()),
        sid=item.sid,
        auth_time=int(item.auth_time),
        created_at=int(item.created_at),
        expires_at=epoch(item.ttl),
    )

"""Grants: what one authorization leaves behind, under its grant id.

Every token an authorization produces (access tokens, ID tokens, refresh tokens) names its
grant id (``gid``). The grant's item holds the refresh token that is live now, as a digest,
so rotating it is one conditional write on one item; and revoking the grant is one write
that every access token of the grant is checked against (RFC 7009 §2.1, RFC 6749 §4.1.2,
RFC 9700 §4.14.2). A grant without refresh tokens has no item until it is revoked.

A refresh token is ``<gid>.<secret>``: the gid finds the item, the secret proves possession.
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.opaque import digest
from chalicelib.store.clients import PREFIX as CLIENT
from chalicelib.store.models import ClientItem, GrantItem, Item, UserItem, at, epoch, valid_key_part
from chalicelib.store.users import USER, User
from chalicelib.store.users import from_item as user_from_item

PREFIX = "grant#"


@dataclass(frozen=True)
class RefreshGrant:
    """The grant a refresh token stands for."""

    gid: str
    client_id: str
    sub: str
    scopes: tuple[str, ...]
    # The public id of the OP session behind it (one-way: never the session's credential or
    # key); None for a grant made without one (password).
    sid: str | None
    auth_time: int
    created_at: int
    expires_at: int
    epoch: int = 0  # the user's at the login behind it (chalicelib.store.users.may_act)
    amr: tuple[str, ...] = ()  # how the user authenticated (RFC 8176); () for none recorded
    claims: str = ""  # what the claims parameter asked (chalicelib.oidc.claims_request.dumps)
    resources: tuple[str, ...] = ()  # RFC 8707 resource indicators; () for none named
    jkt: str | None = None  # the DPoP key its refresh tokens are bound to (RFC 9449 §5)


@dataclass(frozen=True)
class Target:
    """The resources a refresh request narrows its access token to (RFC 8707 §2.2), and the
    one a grant that named none stands for."""

    resources: tuple[str, ...] = ()
    default: str = ""


@dataclass(frozen=True)
class Refused:
    # The token is live and the client's, but was not granted every requested scope: the
    # caller answers invalid_scope rather than invalid_grant (RFC 6749 §5.2).
    scope_exceeded: bool = False
    # The client presented a refresh token that was already rotated out: stolen or leaked,
    # so the caller revokes the grant (RFC 9700 §4.14.2).
    replayed_gid: str | None = None
    # The token is live and the client's, but its grant is not for every requested resource:
    # invalid_target (RFC 8707 §2.2).
    target_exceeded: bool = False


def refresh_token(gid: str, secret: str) -> str:
    return f"{gid}.{secret}"


def split_refresh_token(token: str) -> tuple[str, str] | None:
    gid, dot, secret = token.partition(".")
    if not dot or not valid_key_part(gid) or not secret or len(secret) > 256:
        return None
    return gid, secret


def save_refresh_grant(tenant_id: str, grant: RefreshGrant, secret: str) -> None:
    """Store a new grant's first refresh token (one UpdateItem)."""
    item, actions = refresh_grant_update(tenant_id, grant, secret)
    item.update(actions=actions)


def refresh_grant_update(tenant_id: str, grant: RefreshGrant, secret: str) -> tuple[GrantItem, list]:
    """The write that stores a new grant's first refresh token, to make alone or within a
    code's redemption. Unconditional on purpose: if a replay of the grant's code already
    revoked it, ``revoked_at`` stays and this token is born dead."""
    return (
        GrantItem(tenant_id, PREFIX + grant.gid),
        [
            GrantItem.kind.set(GrantItem),
            GrantItem.client_id.set(grant.client_id),
            GrantItem.sub.set(grant.sub),
            GrantItem.scopes.set(list(grant.scopes)),
            *([GrantItem.sid.set(grant.sid)] if grant.sid is not None else []),
            GrantItem.auth_time.set(grant.auth_time),
            GrantItem.created_at.set(grant.created_at),
            GrantItem.epoch.set(grant.epoch),
            *([GrantItem.amr.set(list(grant.amr))] if grant.amr else []),
            *([GrantItem.claims.set(grant.claims)] if grant.claims else []),
            *([GrantItem.resources.set(list(grant.resources))] if grant.resources else []),
            *([GrantItem.jkt.set(grant.jkt)] if grant.jkt else []),
            GrantItem.current.set(digest(secret)),
            GrantItem.ttl.set(at(grant.expires_at)),
        ],
    )


def rotate_refresh_token(
    tenant_id: str,
    token: str,
    new_secret: str,
    client_id: str,
    scopes: tuple[str, ...],
    now: int,
    expires_at: int,
    target: Target = Target(),
    jkt: str | None = None,
) -> RefreshGrant | Refused:
    """Swap the presented refresh token for ``new_secret`` in one conditional write: refused,
    with nothing written, if the token is unknown, expired, revoked, already rotated, issued
    to another client, not covering every one of ``scopes`` (RFC 6749 §6) and of the target's
    resources (RFC 8707 §2.2), or bound to a DPoP key other than ``jkt`` (RFC 9449 §5; None:
    the request had no proof)."""
    parsed = split_refresh_token(token)
    if parsed is None:
        return Refused()
    gid, secret = parsed
    presented, replacement = digest(secret), digest(new_secret)
    item = GrantItem(tenant_id, PREFIX + gid)
    condition = (
        (GrantItem.current == presented)
        & (GrantItem.client_id == client_id)
        & GrantItem.revoked_at.does_not_exist()
        & (GrantItem.ttl > at(now))
    )
    for scope in scopes:
        condition &= GrantItem.scopes.contains(scope)
    for resource in target.resources:
        covered = GrantItem.resources.contains(resource)
        if resource == target.default:
            covered |= GrantItem.resources.does_not_exist()
        condition &= covered
    unbound = GrantItem.jkt.does_not_exist()
    condition &= unbound if jkt is None else (unbound | (GrantItem.jkt == jkt))
    try:
        item.update(
            actions=[
                GrantItem.current.set(replacement),
                GrantItem.previous.set(presented),
                GrantItem.ttl.set(at(expires_at)),
            ],
            condition=condition,
        )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        return _explain_refusal(item, presented, replacement, client_id, scopes, now, target, jkt)
    return _from_item(item)


def _explain_refusal(
    item: GrantItem,
    presented: str,
    replacement: str,
    client_id: str,
    scopes: tuple[str, ...],
    now: int,
    target: Target = Target(),
    jkt: str | None = None,
) -> RefreshGrant | Refused:
    """One consistent read, on the refusal path only, to tell the refusals apart."""
    try:
        item.refresh(consistent_read=True)
    except DoesNotExist:
        return Refused()
    if item.current == replacement:
        # botocore retried a write whose response was lost and met its own first attempt.
        return _from_item(item)
    if item.client_id != client_id or item.revoked_at is not None:
        return Refused()
    if item.previous == presented:
        return Refused(replayed_gid=item.sk[len(PREFIX) :])
    if item.jkt not in (None, jkt):
        return Refused()  # bound to another DPoP key: nothing to tell its holder
    live = item.current == presented and epoch(item.ttl) > now
    if live and not set(scopes) <= set(item.scopes or ()):
        return Refused(scope_exceeded=True)
    return Refused(target_exceeded=bool(target.resources) and live)


def restore_refresh_token(tenant_id: str, gid: str, secret: str, new_secret: str) -> None:
    """Undo a rotation whose response could not be sent: the presented token works again."""
    GrantItem(tenant_id, PREFIX + gid).update(
        actions=[GrantItem.current.set(digest(secret)), GrantItem.previous.remove()],
        condition=GrantItem.current == digest(new_secret),
    )


def revoke_grant(
    tenant_id: str, gid: str, now: int, keep_until: int, live_refresh: tuple[str, str] | None = None
) -> bool:
    """Revoke a grant: its refresh token stops working, and its access tokens fail every
    check from now on. The mark lasts at least until ``keep_until`` (when the grant's last
    access token expires), longer if the grant's item already lives longer.

    With ``live_refresh`` (a client id and the secret part of a refresh token), the grant is
    revoked only if that is its live refresh token and that client's: else False, and
    nothing written (RFC 7009 §2.1: a client revokes its own tokens only)."""
    condition = None
    if live_refresh is not None:
        client_id, secret = live_refresh
        condition = (GrantItem.current == digest(secret)) & (GrantItem.client_id == client_id)
    try:
        GrantItem(tenant_id, PREFIX + gid).update(
            actions=[
                GrantItem.kind.set(GrantItem),
                GrantItem.revoked_at.set(now),
                GrantItem.current.remove(),
                GrantItem.ttl.set(GrantItem.ttl | at(keep_until)),
            ],
            condition=condition,
        )
    except UpdateError as error:
        if condition is not None and error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def get_refresh_grant(tenant_id: str, token: str, now: int) -> RefreshGrant | None:
    """The live grant of a refresh token (for introspection), or None."""
    parsed = split_refresh_token(token)
    if parsed is None:
        return None
    gid, secret = parsed
    try:
        item = GrantItem.get(tenant_id, PREFIX + gid)
    except GrantItem.DoesNotExist:
        return None
    if item.current != digest(secret) or item.revoked_at is not None or epoch(item.ttl) <= now:
        return None
    return _from_item(item)


@dataclass(frozen=True)
class TokenState:
    """What decides whether a token is still live, besides its signature and expiry."""

    user: User | None  # its user, if it has one and the user still exists
    revoked: bool  # its grant was revoked
    client_exists: bool  # its client was not deleted


def load_token_state(tenant_id: str, sub: str, gid: str | None, client_id: str) -> TokenState:
    """A token's user, grant and client, in one BatchGetItem."""
    keys = [(tenant_id, USER + sub)] if valid_key_part(sub) else []
    if gid is not None and valid_key_part(gid):
        keys.append((tenant_id, PREFIX + gid))
    if valid_key_part(client_id):
        keys.append((tenant_id, CLIENT + client_id))
    user, revoked, client_exists = None, False, False
    for item in Item.batch_get(keys) if keys else ():
        if isinstance(item, UserItem):
            user = user_from_item(item)
        elif isinstance(item, GrantItem):
            revoked = item.revoked_at is not None
        elif isinstance(item, ClientItem):
            client_exists = True
    return TokenState(user, revoked, client_exists)


def _from_item(item: GrantItem) -> RefreshGrant:
    return RefreshGrant(
        gid=item.sk[len(PREFIX) :],
        client_id=item.client_id,
        sub=item.sub,
        scopes=tuple(item.scopes or ()),
        sid=item.sid,
        auth_time=int(item.auth_time),
        created_at=int(item.created_at),
        expires_at=epoch(item.ttl),
        epoch=int(item.epoch or 0),
        amr=tuple(item.amr or ()),
        claims=item.claims or "",
        resources=tuple(item.resources or ()),
        jkt=item.jkt,
    )

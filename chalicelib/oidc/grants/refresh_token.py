"""The refresh_token grant (RFC 6749 §6, OIDC Core §12), with rotation (RFC 9700 §4.14.2)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.context import Context
from chalicelib.oidc import claims_request
from chalicelib.oidc.claims import id_token_claims
from chalicelib.oidc.errors import InvalidGrant, InvalidScope, InvalidTarget
from chalicelib.oidc.grants import GrantType, revoke_replayed, undone_on_failure
from chalicelib.oidc.resources import parse_resources
from chalicelib.oidc.scopes import parse_scope
from chalicelib.oidc.tokens import Grant, token_response
from chalicelib.opaque import new_token
from chalicelib.store.clients import Client
from chalicelib.store.grants import (
    RefreshGrant,
    Refused,
    Target,
    refresh_token,
    restore_refresh_token,
    revoke_grant,
    rotate_refresh_token,
    save_refresh_grant,
)
from chalicelib.store.users import get_user


def refresh(ctx: Context, client: Client, params: Mapping[str, str], jkt: str | None = None) -> dict[str, Any]:
    # A narrower scope may be asked for; the condition of the rotating write checks that
    # every requested scope was granted, so a refused request writes nothing.
    presented = params["refresh_token"]
    requested = parse_scope(params.get("scope"))
    # RFC 8707 §2.2: likewise a subset of the grant's resources (the issuer, if it named none).
    audience = Target(parse_resources(params.get("resource")), ctx.issuer)
    new_secret = new_token()
    expires_at = ctx.now + ctx.settings.refresh_token_expire
    # A public client's refresh token is bound to its DPoP key (RFC 9449 §5): the write's
    # condition holds only for a proof from that key, so a thief's refresh writes nothing.
    rotated = rotate_refresh_token(
        ctx.tenant.id, presented, new_secret, client.client_id, requested, ctx.now, expires_at, audience, jkt=jkt
    )
    if isinstance(rotated, Refused):
        if rotated.replayed_gid is not None:
            revoke_replayed(ctx, client, rotated.replayed_gid, "refresh_token")
        if rotated.scope_exceeded:
            raise InvalidScope("the requested scope exceeds the scope originally granted")
        if rotated.target_exceeded:
            raise InvalidTarget("the resource was not part of the authorization")
        raise InvalidGrant("the refresh token is invalid, expired, revoked or already used")
    user = get_user(ctx.tenant.id, rotated.sub)
    if user is None or not user.accepts(rotated.epoch):
        # The user is gone, disabled, or was given a new password since the grant began
        # (chalicelib.store.users.may_act): the grant ends here (RFC 6749 §6 lets the
        # server refuse; nothing it holds should live on).
        revoke_grant(ctx.tenant.id, rotated.gid, ctx.now, ctx.now + ctx.settings.token_expire)
        raise InvalidGrant("the refresh token is invalid, expired, revoked or already used")
    # The grant keeps its original scope; only this access token narrows.
    narrowed = Grant(
        client=client,
        sub=rotated.sub,
        scopes=requested or rotated.scopes,
        auth_time=rotated.auth_time,
        gid=rotated.gid,
        sid=rotated.sid,
        epoch=rotated.epoch,
        amr=rotated.amr,
        claims=claims_request.loads(rotated.claims),
        resources=rotated.resources,
        audience=audience.resources,
        jkt=jkt,
    )

    def undo() -> None:
        restore_refresh_token(ctx.tenant.id, rotated.gid, presented.partition(".")[2], new_secret)

    with undone_on_failure(undo):
        claims = id_token_claims(ctx, narrowed, user=user)
        return token_response(ctx, narrowed, refresh_token(rotated.gid, new_secret), claims)


@dataclass(frozen=True)
class PendingRefreshToken:
    """A grant's first refresh token, minted but not yet stored: it is stored once the
    response is ready."""

    token: str
    grant: RefreshGrant
    secret: str

    def save(self, ctx: Context) -> None:
        save_refresh_grant(ctx.tenant.id, self.grant, self.secret)


def new_refresh_token(ctx: Context, grant: Grant, sid: str | None) -> PendingRefreshToken | None:
    """``sid`` is the OP session's public id (the ID tokens' sid), None when no browser
    session stands behind the grant."""
    if "refresh_token" not in grant.client.grant_types:
        return None
    record = RefreshGrant(
        gid=grant.gid,
        client_id=grant.client.client_id,
        sub=grant.sub,
        scopes=grant.scopes,
        sid=sid,
        auth_time=grant.auth_time,
        created_at=ctx.now,
        expires_at=ctx.now + ctx.settings.refresh_token_expire,
        epoch=grant.epoch,
        amr=grant.amr,
        claims=grant.claims.dumps(),
        resources=grant.resources,
        # RFC 9449 §5: a public client's refresh token is bound to the key; a confidential
        # client's is bound to its credentials already, and may move to a new key.
        jkt=grant.jkt if grant.client.is_public else None,
    )
    secret = new_token()
    return PendingRefreshToken(refresh_token(grant.gid, secret), record, secret)


GRANT = GrantType("refresh_token", ("refresh_token",), refresh)

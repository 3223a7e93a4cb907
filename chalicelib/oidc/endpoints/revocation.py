"""Token revocation (RFC 7009). A client revokes its own refresh or access tokens; either
revokes the whole grant (RFC 7009 §2.1 allows an access token's revocation to take its
refresh token along), so every token of that authorization stops working at once.

Tokens that are invalid, expired, already revoked or another client's get the same empty
200 as a successful revocation (RFC 7009 §2.2): the answer reveals nothing about them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from chalicelib import events
from chalicelib.context import Context
from chalicelib.keys import jws
from chalicelib.oidc.client_auth import authenticated_request
from chalicelib.oidc.errors import InvalidRequest
from chalicelib.oidc.results import Json
from chalicelib.oidc.tokens import ACCESS_TOKEN_TYPE
from chalicelib.store.grants import revoke_grant, revoke_refresh_token


def revoke(ctx: Context, headers: Mapping[str, str], form: Mapping[str, Sequence[str]] | None) -> Json:
    client, params = authenticated_request(ctx, headers, form)
    token = params.get("token")
    if token is None:
        raise InvalidRequest("token is required")
    if token.count(".") == 2:
        _revoke_access_token(ctx, client.client_id, token)
    elif revoke_refresh_token(ctx.tenant.id, token, client.client_id, ctx.now, ctx.settings.token_expire):
        events.emit("token_revoked", ctx.tenant.id, client_id=client.client_id, token_type="refresh_token")
    return Json({}, no_store=True)


def _revoke_access_token(ctx: Context, client_id: str, token: str) -> None:
    keys = ctx.tenant.keyring.by_kid
    claims = jws.decode(token, keys, issuer=ctx.issuer, typ=ACCESS_TOKEN_TYPE, now=ctx.now, audience=ctx.issuer)
    if claims is None or claims.get("client_id") != client_id or not isinstance(claims.get("gid"), str):
        return
    revoke_grant(ctx.tenant.id, claims["gid"], ctx.now, keep_until=claims["exp"])
    events.emit("token_revoked", ctx.tenant.id, client_id=client_id, token_type="access_token")

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
from chalicelib.oidc.client_auth import authenticated_request
from chalicelib.oidc.errors import InvalidRequest
from chalicelib.oidc.results import Json
from chalicelib.oidc.tokens import read_access_token
from chalicelib.store.grants import revoke_grant, split_refresh_token


def revoke(ctx: Context, headers: Mapping[str, str], form: Mapping[str, Sequence[str]] | None) -> Json:
    client, params = authenticated_request(ctx, headers, form)
    token = params.get("token")
    if token is None:
        raise InvalidRequest("token is required")
    claims = read_access_token(ctx, token, any_audience=True)
    if claims is not None:
        revoked = claims.get("client_id") == client.client_id and _revoke(ctx, claims["gid"], None)
        token_type = "access_token"
    else:
        parsed = split_refresh_token(token)
        revoked = parsed is not None and _revoke(ctx, parsed[0], (client.client_id, parsed[1]))
        token_type = "refresh_token"
    if revoked:
        events.emit("token_revoked", ctx.tenant.id, client_id=client.client_id, token_type=token_type)
    return Json({}, no_store=True)


def _revoke(ctx: Context, gid: str, live_refresh: tuple[str, str] | None) -> bool:
    # The grant's access tokens were all issued by now, so they are dead by now + token_expire.
    return revoke_grant(ctx.tenant.id, gid, ctx.now, ctx.now + ctx.settings.token_expire, live_refresh)

"""The refresh_token grant (RFC 6749 §6, OIDC Core §12), with rotation (RFC 9700 §4.14.2)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.context import Context
from chalicelib.oidc.errors import InvalidGrant, InvalidScope
from chalicelib.oidc.grants import GrantType, undone_on_failure
from chalicelib.oidc.scopes import parse_scope
from chalicelib.oidc.tokens import Grant, token_response
from chalicelib.opaque import new_token
from chalicelib.store.clients import Client
from chalicelib.store.tokens import (
    RefreshToken,
    Refused,
    consume_refresh_token,
    release_refresh_token,
    save_refresh_token,
)


def refresh(ctx: Context, client: Client, params: Mapping[str, str]) -> dict[str, Any]:
    # A narrower scope may be asked for; the condition of the consuming write checks that
    # every requested scope was granted, so a refused request consumes nothing.
    presented = params["refresh_token"]
    requested = parse_scope(params.get("scope"))
    redeemed = consume_refresh_token(ctx.tenant.id, presented, client.client_id, requested, ctx.now)
    if isinstance(redeemed, Refused):
        if redeemed.scope_exceeded:
            raise InvalidScope("the requested scope exceeds the scope originally granted")
        raise InvalidGrant("the refresh token is invalid, expired or already used")
    record = redeemed.token
    # The new refresh token keeps the original grant's scope; only the access token narrows.
    original = Grant(client=client, sub=record.sub, scopes=record.scopes, auth_time=record.auth_time)
    narrowed = Grant(client=client, sub=record.sub, scopes=requested or record.scopes, auth_time=record.auth_time)
    with undone_on_failure(lambda: release_refresh_token(ctx.tenant.id, presented, redeemed.marker)):
        rotated = new_refresh_token(ctx, original, record.sid)
        body = token_response(ctx, narrowed, rotated.token if rotated else None)
        if rotated is not None:
            rotated.save(ctx)
    return body


@dataclass(frozen=True)
class PendingRefreshToken:
    """A refresh token minted but not yet stored: it is stored once the response is ready."""

    token: str
    record: RefreshToken

    def save(self, ctx: Context) -> None:
        save_refresh_token(ctx.tenant.id, self.token, self.record)


def new_refresh_token(ctx: Context, grant: Grant, sid: str) -> PendingRefreshToken | None:
    if "refresh_token" not in grant.client.grant_types:
        return None
    record = RefreshToken(
        client_id=grant.client.client_id,
        sub=grant.sub,
        scopes=grant.scopes,
        sid=sid,
        auth_time=grant.auth_time,
        created_at=ctx.now,
        expires_at=ctx.now + ctx.settings.refresh_token_expire,
    )
    return PendingRefreshToken(new_token(), record)


GRANT = GrantType("refresh_token", ("refresh_token",), refresh)

"""The authorization_code grant (RFC 6749 §4.1.3, OIDC Core §3.1.3, RFC 7636 §4.5)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.context import Context
from chalicelib.oidc import pkce
from chalicelib.oidc.claims import id_token_claims
from chalicelib.oidc.errors import InvalidGrant
from chalicelib.oidc.grants import GrantType, revoke_replayed, undone_on_failure
from chalicelib.oidc.grants.refresh_token import new_refresh_token
from chalicelib.oidc.tokens import Grant, token_response
from chalicelib.store.clients import Client
from chalicelib.store.codes import Redemption, Replayed, consume_code, release_code


def exchange(ctx: Context, client: Client, params: Mapping[str, str]) -> dict[str, Any]:
    redemption = Redemption(
        client_id=client.client_id,
        # The code remembers the redirect_uri parameter as sent ("" when the request relied
        # on the single registered URI); the token request must repeat it exactly.
        redirect_uri=params.get("redirect_uri", ""),
        pkce_challenges=pkce.challenges_for(params.get("code_verifier")),
    )
    redeemed = consume_code(ctx.tenant.id, params["code"], redemption, ctx.now)
    if isinstance(redeemed, Replayed):
        revoke_replayed(ctx, client, redeemed.gid, "code")
    if redeemed is None or isinstance(redeemed, Replayed):
        raise InvalidGrant("the code is invalid, expired, already used, or not for this request")
    code = redeemed.code
    grant = Grant(
        client=client,
        sub=code.sub,
        scopes=tuple(code.scope.split()),
        auth_time=code.auth_time,
        gid=code.gid,
        sid=code.sid,
        nonce=code.nonce,
    )
    with undone_on_failure(lambda: release_code(ctx.tenant.id, params["code"], redeemed.marker)):
        refresh = new_refresh_token(ctx, grant, code.sid)
        body = token_response(ctx, grant, refresh.token if refresh else None, id_token_claims(ctx, grant))
        if refresh is not None:  # stored last: only a response that can be sent has one
            refresh.save(ctx)
    return body


GRANT = GrantType("authorization_code", ("code",), exchange)

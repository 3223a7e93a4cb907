"""The authorization_code grant (RFC 6749 §4.1.3, OIDC Core §3.1.3, RFC 7636 §4.5).

The code carries what it stands for (``chalicelib.oidc.codes``), so the request is checked
against it before anything is read or written; the tokens are then minted, and only a
response that can be sent is committed: one write marks the code used and stores the
grant's refresh token. A failure anywhere before that write leaves the code as it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.context import Context
from chalicelib.oidc import claims_request
from chalicelib.oidc.claims import id_token_claims
from chalicelib.oidc.codes import open_code, redeemable
from chalicelib.oidc.errors import InvalidDpopProof, InvalidGrant
from chalicelib.oidc.grants import GrantType, revoke_replayed
from chalicelib.oidc.grants.refresh_token import new_refresh_token
from chalicelib.oidc.resources import narrowed
from chalicelib.oidc.tokens import Grant, token_response
from chalicelib.store.clients import Client
from chalicelib.store.codes import Redemption, redeem_code

REFUSED = "the code is invalid, expired, already used, or not for this request"


def exchange(ctx: Context, client: Client, params: Mapping[str, str], jkt: str | None = None) -> dict[str, Any]:
    code = open_code(ctx.tenant.id, params["code"])
    # The code remembers the redirect_uri parameter as sent ("" when the request relied on
    # the single registered URI); the token request must repeat it exactly.
    redirect_uri, verifier = params.get("redirect_uri", ""), params.get("code_verifier")
    if code is None or not redeemable(code, client.client_id, redirect_uri, verifier, ctx.now):
        raise InvalidGrant(REFUSED)
    # RFC 8707 §2.2: the token may be for fewer of the authorization's resources.
    audience = narrowed(ctx, params.get("resource"), code.resources)
    if code.dpop_jkt is not None and code.dpop_jkt != jkt:
        # RFC 9449 §10: a code bound to a key (dpop_jkt, or a proof at PAR) is that key's.
        raise InvalidDpopProof("the code is bound to another DPoP key: send a proof signed with it")
    grant = Grant(
        client=client,
        sub=code.sub,
        scopes=tuple(code.scope.split()),
        auth_time=code.auth_time,
        gid=code.gid,
        sid=code.sid,
        nonce=code.nonce,
        epoch=code.epoch,
        amr=code.amr,
        claims=claims_request.loads(code.claims),
        resources=code.resources,
        audience=audience,
        jkt=jkt,
    )
    refresh = new_refresh_token(ctx, grant, code.sid)
    body = token_response(ctx, grant, refresh.token if refresh else None, id_token_claims(ctx, grant))
    pending = (refresh.grant, refresh.secret) if refresh else None
    outcome = redeem_code(ctx.tenant.id, params["code"], ctx.now, (code.sub, code.epoch), pending)
    if outcome is Redemption.REPLAYED:
        revoke_replayed(ctx, client, code.gid, "code")
    if outcome is not Redemption.REDEEMED:
        raise InvalidGrant(REFUSED)
    return body


GRANT = GrantType("authorization_code", ("code",), exchange)

"""The UserInfo endpoint (OIDC Core §5.3), GET and POST, bearer token per RFC 6750."""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib import hooks
from chalicelib.context import Context
from chalicelib.keys import jws
from chalicelib.oidc.claims import claims_for_scopes
from chalicelib.oidc.errors import InsufficientScope, InvalidRequest, InvalidToken, MissingToken
from chalicelib.oidc.scopes import tenant_scopes
from chalicelib.oidc.tokens import id_token_signer, live_access_token


def userinfo(ctx: Context, headers: Mapping[str, str], form: Mapping[str, str]) -> dict | str:
    """The user's claims, as JSON, or as a JWT signed with the algorithm the client registered
    (``userinfo_signed_response_alg``, OIDC Core §5.3.2: with ``iss`` and ``aud``)."""
    found = live_access_token(ctx, bearer_token(headers, form))
    if found is None:
        raise InvalidToken("the access token is invalid, expired or revoked")
    claims, user = found
    scopes = tuple(str(claims.get("scope", "")).split())
    if "openid" not in scopes or user is None:
        raise InsufficientScope("the access token was not granted the openid scope")
    # The token's sub is the one its client knows the user by (OIDC Core §8: pairwise or not).
    released = claims_for_scopes(claims["sub"], user.claims, scopes, tenant_scopes(ctx.settings), user.updated_at)
    released = hooks.call("userinfo", released, ctx.tenant.id, released, user.claims)
    client = ctx.client(claims["client_id"])
    if client is None or client.userinfo_signed_response_alg is None:
        return released
    signed = {**released, "iss": ctx.issuer, "aud": client.client_id}
    return jws.encode(signed, id_token_signer(ctx, client, client.userinfo_signed_response_alg))


def bearer_token(headers: Mapping[str, str], form: Mapping[str, str]) -> str:
    """RFC 6750 §2.1 (Authorization header) or §2.2 (form body); exactly one of them."""
    header = headers.get("authorization")
    in_body = form.get("access_token")
    if header is not None and in_body is not None:
        raise InvalidRequest("send the access token one way only")
    if header is not None:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise InvalidToken("use the Bearer scheme")
        return value.strip()
    if in_body is not None:
        return in_body
    raise MissingToken()

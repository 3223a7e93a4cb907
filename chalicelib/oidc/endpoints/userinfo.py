"""The UserInfo endpoint (OIDC Core §5.3), GET and POST, bearer token per RFC 6750."""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib import hooks
from chalicelib.context import Context
from chalicelib.keys import jws
from chalicelib.oidc.claims import claims_for_scopes
from chalicelib.oidc.errors import InsufficientScope, InvalidRequest, InvalidToken, MissingToken
from chalicelib.oidc.scopes import tenant_scopes
from chalicelib.oidc.tokens import ACCESS_TOKEN_TYPE
from chalicelib.store.grants import load_user_and_grant


def userinfo(ctx: Context, headers: Mapping[str, str], form: Mapping[str, str]) -> dict:
    token = bearer_token(headers, form)
    claims = jws.decode(
        token, ctx.tenant.keyring.by_kid, issuer=ctx.issuer, typ=ACCESS_TOKEN_TYPE, now=ctx.now, audience=ctx.issuer
    )
    if claims is None:
        raise InvalidToken("the access token is invalid or expired")
    scopes = tuple(str(claims.get("scope", "")).split())
    if "openid" not in scopes:
        raise InsufficientScope("the access token was not granted the openid scope")
    user, revoked = load_user_and_grant(ctx.tenant.id, claims["sub"], claims.get("gid"))
    if revoked:
        raise InvalidToken("the access token was revoked")
    if user is None or not user.active:
        raise InvalidToken("the access token's user no longer exists")
    released = claims_for_scopes(user.sub, user.claims, scopes, tenant_scopes(ctx.settings), user.updated_at)
    return hooks.call("userinfo", released, ctx.tenant.id, released, user.claims)


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

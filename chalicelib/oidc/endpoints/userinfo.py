"""The UserInfo endpoint (OIDC Core §5.3), GET and POST, bearer token per RFC 6750 or
DPoP-bound token per RFC 9449 §7."""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib import hooks
from chalicelib.context import Context
from chalicelib.keys import jws
from chalicelib.oidc import dpop_binding
from chalicelib.oidc.claims import claims_for_scopes
from chalicelib.oidc.errors import (
    DpopChallenge,
    InsufficientScope,
    InvalidRequest,
    InvalidToken,
    MissingToken,
    OAuthError,
)
from chalicelib.oidc.results import Json, Jwt
from chalicelib.oidc.scopes import tenant_scopes
from chalicelib.oidc.tokens import id_token_signer, live_claims, read_access_token


def userinfo(ctx: Context, headers: Mapping[str, str], form: Mapping[str, str], method: str = "GET") -> Json | Jwt:
    """The user's claims, as JSON, or as a JWT signed with the algorithm the client registered
    (``userinfo_signed_response_alg``, OIDC Core §5.3.2: with ``iss`` and ``aud``). A
    DPoP-bound token is taken only with the DPoP scheme and a proof (RFC 9449 §7)."""
    nonce = dpop_binding.nonce_headers(ctx, headers)
    try:
        return _userinfo(ctx, headers, form, method, nonce)
    except OAuthError as error:
        error.extra_headers = {**nonce, **error.extra_headers}
        raise


def _userinfo(
    ctx: Context, headers: Mapping[str, str], form: Mapping[str, str], method: str, nonce: dict[str, str]
) -> Json | Jwt:
    scheme, token = dpop_binding.presented_token(headers, form)
    claims = read_access_token(ctx, token)
    found = live_claims(ctx, claims) if claims is not None else None
    if found is None:
        if scheme == "dpop":
            raise DpopChallenge("invalid_token", "the access token is invalid, expired or revoked", dpop_binding.ALGS)
        raise InvalidToken("the access token is invalid, expired or revoked")
    claims, user = found
    dpop_binding.check_resource_request(ctx, headers, method, "userinfo_endpoint", scheme, token, claims)
    scopes = tuple(str(claims.get("scope", "")).split())
    if "openid" not in scopes or user is None:
        raise InsufficientScope("the access token was not granted the openid scope")
    # The token's sub is the one its client knows the user by (OIDC Core §8: pairwise or not).
    released = claims_for_scopes(claims["sub"], user.claims, scopes, tenant_scopes(ctx.settings), user.updated_at)
    released = hooks.call("userinfo", released, ctx.tenant.id, released, user.claims)
    client = ctx.client(claims["client_id"])
    if client is None or client.userinfo_signed_response_alg is None:
        return Json(released, no_store=True, headers=nonce)
    signed = {**released, "iss": ctx.issuer, "aud": client.client_id}
    return Jwt(jws.encode(signed, id_token_signer(ctx, client, client.userinfo_signed_response_alg)), headers=nonce)


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

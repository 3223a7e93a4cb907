"""Minting tokens: JWT access tokens (RFC 9068), ID tokens (OIDC Core §2), token responses."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.context import Context
from chalicelib.keys import jws
from chalicelib.keys.signer import Signer
from chalicelib.oidc.errors import ServerError
from chalicelib.opaque import b64url, new_id
from chalicelib.store.clients import Client

ACCESS_TOKEN_TYPE = "at+jwt"


@dataclass(frozen=True)
class Grant:
    """What a grant established: who, for which client and scopes, since when."""

    client: Client
    sub: str
    scopes: tuple[str, ...]
    auth_time: int
    nonce: str | None = None


def signer(ctx: Context, alg: str) -> Signer:
    found = ctx.tenant.keyring.signer(alg)
    if found is None:
        raise ServerError(f"the provider has no active {alg} key")
    return found


def mint_access_token(ctx: Context, grant: Grant) -> str:
    expires = ctx.now + ctx.settings.token_expire
    claims = {
        "iss": ctx.issuer,
        "sub": grant.sub,
        "aud": ctx.issuer,
        "client_id": grant.client.client_id,
        "scope": " ".join(grant.scopes),
        "iat": ctx.now,
        "exp": expires,
        "auth_time": grant.auth_time,
        "jti": new_id(),
    }
    return jws.encode(claims, signer(ctx, access_token_alg(ctx)), typ=ACCESS_TOKEN_TYPE)


def access_token_alg(ctx: Context) -> str:
    algs = ctx.tenant.keyring.signing_algorithms
    return algs[0] if algs else "RS256"


def mint_id_token(
    ctx: Context,
    grant: Grant,
    access_token: str | None,
    claims: Mapping[str, Any] | None = None,
) -> str:
    """OIDC Core §2 and §3.1.3.6: ``at_hash`` binds the ID token to the access token."""
    token_signer = signer(ctx, grant.client.id_token_signed_response_alg)
    payload: dict[str, Any] = dict(claims or {})
    payload.update(
        iss=ctx.issuer,
        sub=grant.sub,
        aud=grant.client.client_id,
        exp=ctx.now + ctx.settings.idtoken_expire,
        iat=ctx.now,
        auth_time=grant.auth_time,
    )
    if grant.nonce is not None:
        payload["nonce"] = grant.nonce
    if access_token is not None:
        payload["at_hash"] = half_hash(access_token)
    return jws.encode(payload, token_signer)


def half_hash(value: str) -> str:
    """The left half of SHA-256 (every algorithm we sign with is a *256 one), base64url."""
    digest = hashlib.sha256(value.encode("ascii")).digest()
    return b64url(digest[: len(digest) // 2])


def token_response(
    ctx: Context,
    grant: Grant,
    refresh_token: str | None,
    id_token_claims: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """RFC 6749 §5.1 (and OIDC Core §3.1.3.3 when ``openid`` was granted)."""
    access_token = mint_access_token(ctx, grant)
    body: dict[str, Any] = {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": ctx.settings.token_expire,
        "scope": " ".join(grant.scopes),
    }
    if refresh_token is not None:
        body["refresh_token"] = refresh_token
    if "openid" in grant.scopes:
        body["id_token"] = mint_id_token(ctx, grant, access_token, id_token_claims)
    return body

"""Minting tokens: JWT access tokens (RFC 9068), ID tokens (OIDC Core §2), token responses."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib import hooks, observability
from chalicelib.context import Context
from chalicelib.keys import client_secrets, jws
from chalicelib.keys.signer import Signer
from chalicelib.oidc import resources
from chalicelib.oidc.acr import acr_for
from chalicelib.oidc.claims import id_token_claims
from chalicelib.oidc.claims_request import NONE, ClaimsRequest
from chalicelib.oidc.errors import ServerError
from chalicelib.oidc.subjects import SEALED_SUB_CLAIM, own_subject, sealed_subject, sid_for, subject_for
from chalicelib.opaque import b64url, new_id
from chalicelib.store.clients import Client
from chalicelib.store.grants import load_token_state
from chalicelib.store.users import User

ACCESS_TOKEN_TYPE = "at+jwt"


@dataclass(frozen=True)
class Grant:
    """What a grant established: who, for which client and scopes, since when. ``gid``
    names the grant in every token it yields, so revoking the grant revokes them all."""

    client: Client
    sub: str
    scopes: tuple[str, ...]
    auth_time: int | None  # None when no end user authenticated (client_credentials)
    gid: str
    # The OP session behind it (its public id: the ID token's ``sid`` claim).
    sid: str | None = None
    nonce: str | None = None
    # The user's epoch at the login behind it (chalicelib.store.users.may_act).
    epoch: int = 0
    # How the user authenticated (RFC 8176): the ID token's amr, and its acr (chalicelib.oidc.acr).
    amr: tuple[str, ...] = ()
    # What the authorization request's claims parameter asked (OIDC Core §5.5).
    claims: ClaimsRequest = NONE
    # Resource indicators (RFC 8707, chalicelib.oidc.resources): the grant's resources (what
    # its refresh token keeps), and this access token's when the token request narrowed them.
    resources: tuple[str, ...] = ()
    audience: tuple[str, ...] = ()
    # The RFC 7638 thumbprint of the DPoP key its access tokens are bound to (RFC 9449 §6).
    jkt: str | None = None


# The access token's private claim for the grant's user epoch: the token dies with it.
EPOCH_CLAIM = "uep"


def id_token_signer(ctx: Context, client: Client, alg: str | None = None) -> Signer:
    """The tenant's key for the client's ID token algorithm (or ``alg``: its UserInfo's), or
    for HS256 the client's own secret."""
    alg = alg or client.id_token_signed_response_alg
    if alg != "HS256":
        return signer(ctx, alg)
    if client.secret_ciphertext is None:
        raise ServerError("this client has no secret to sign HS256 ID tokens with")
    return client_secrets.HmacSigner(client_secrets.decrypt(ctx.tenant.id, client.client_id, client.secret_ciphertext))


def signer(ctx: Context, alg: str) -> Signer:
    found = ctx.tenant.keyring.signer(alg)
    if found is None:
        raise ServerError(f"the provider has no active {alg} key")
    return found


def mint_access_token(ctx: Context, grant: Grant) -> str:
    expires = ctx.now + ctx.settings.token_expire
    claims = {
        "iss": ctx.issuer,
        "sub": grant.sub if grant.auth_time is None else subject_for(grant.client, grant.sub),
        "aud": resources.audience(ctx, resources.still_known(ctx, grant.audience or grant.resources)),
        "client_id": grant.client.client_id,
        "scope": " ".join(grant.scopes),
        "iat": ctx.now,
        "exp": expires,
        "jti": new_id(),
        "gid": grant.gid,
    }
    if grant.jkt is not None:
        claims["cnf"] = {"jkt": grant.jkt}  # RFC 9449 §6.1: bound to the DPoP proof's key
    if grant.auth_time is not None:
        claims["auth_time"] = grant.auth_time
        claims[EPOCH_CLAIM] = grant.epoch
        if claims["sub"] != grant.sub:
            claims[SEALED_SUB_CLAIM] = sealed_subject(ctx.tenant.id, grant.sub)
    return jws.encode(claims, signer(ctx, access_token_alg(ctx)), typ=ACCESS_TOKEN_TYPE)


def read_access_token(ctx: Context, token: str, any_audience: bool = False) -> dict[str, Any] | None:
    """The claims of an unexpired access token this tenant issued; None for anything else.
    Unless ``any_audience`` (introspection, revocation: a token for any resource), its aud
    must name the issuer: the provider's own UserInfo (RFC 8707)."""
    if token.count(".") != 2:
        return None
    audience = None if any_audience else ctx.issuer
    claims = jws.decode(
        token, ctx.tenant.keyring.by_kid, issuer=ctx.issuer, typ=ACCESS_TOKEN_TYPE, now=ctx.now, audience=audience
    )
    return claims if claims is not None and isinstance(claims.get("gid"), str) else None


def live_access_token(
    ctx: Context, token: str, any_audience: bool = False
) -> tuple[dict[str, Any], User | None] | None:
    """An access token's claims and user, if it is also still live: its grant not revoked,
    its client not deleted, and its user (a client's own token, from client_credentials, has
    none) still there and active. One BatchGetItem, which reads the client afresh: a deleted
    client's tokens die at once, whatever a container's cache still holds."""
    claims = read_access_token(ctx, token, any_audience)
    return live_claims(ctx, claims) if claims is not None else None


def live_claims(ctx: Context, claims: dict[str, Any]) -> tuple[dict[str, Any], User | None] | None:
    """``live_access_token`` for claims already read (``read_access_token``)."""
    if not isinstance(claims.get("client_id"), str) or not isinstance(claims.get("sub"), str):
        return None
    sub = own_subject(ctx.tenant.id, claims)
    if sub is None:
        return None
    state = load_token_state(ctx.tenant.id, sub, claims["gid"], claims["client_id"])
    if state.revoked or not state.client_exists:
        return None
    user = state.user
    if "auth_time" in claims and (user is None or not user.accepts(claims.get(EPOCH_CLAIM, 0))):
        return None
    return claims, user


def access_token_alg(ctx: Context) -> str:
    algs = ctx.tenant.keyring.signing_algorithms
    return algs[0] if algs else "RS256"


def mint_id_token(
    ctx: Context,
    grant: Grant,
    access_token: str | None,
    claims: Mapping[str, Any] | None = None,
    code: str | None = None,
) -> str:
    """OIDC Core §2, §3.1.3.6 and §3.3.2.11: ``at_hash`` and ``c_hash`` bind the ID token to
    the access token and the code it travels with."""
    token_signer = id_token_signer(ctx, grant.client)
    payload: dict[str, Any] = dict(claims or {})
    payload.update(
        iss=ctx.issuer,
        sub=subject_for(grant.client, grant.sub),
        aud=grant.client.client_id,
        exp=ctx.now + ctx.settings.idtoken_expire,
        iat=ctx.now,
        auth_time=grant.auth_time,
    )
    if grant.sid is not None:
        payload["sid"] = sid_for(grant.client, grant.sid)
    if grant.amr:
        payload.update(acr=acr_for(grant.amr, grant.claims.acr_values), amr=list(grant.amr))
    if grant.nonce is not None:
        payload["nonce"] = grant.nonce
    if access_token is not None:
        payload["at_hash"] = half_hash(access_token)
    if code is not None:
        payload["c_hash"] = half_hash(code)
    payload = hooks.call("process_id_token", payload, ctx.tenant.id, payload, grant.client.client_id)
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
        "token_type": "DPoP" if grant.jkt is not None else "Bearer",  # RFC 9449 §5
        "expires_in": ctx.settings.token_expire,
        "scope": " ".join(grant.scopes),
    }
    if refresh_token is not None:
        body["refresh_token"] = refresh_token
    if "openid" in grant.scopes:
        body["id_token"] = mint_id_token(ctx, grant, access_token, id_token_claims)
    return body


def front_channel_tokens(ctx: Context, grant: Grant, response_type: str, code: str | None) -> dict[str, str]:
    """What the authorization response carries (OIDC Core §3.2.2.5, §3.3.2.5): the code,
    an access token, an ID token bound to both by ``at_hash`` and ``c_hash``. With no access
    token to read UserInfo with (``id_token`` alone), the scopes' claims go in the ID token
    (OIDC Core §5.4)."""
    returned = response_type.split()
    values: dict[str, str] = {"code": code} if code is not None else {}
    access_token = None
    if "token" in returned:
        access_token = mint_access_token(ctx, grant)
        values.update(access_token=access_token, token_type="Bearer", expires_in=str(ctx.settings.token_expire))
    if "id_token" in returned:
        claims = id_token_claims(ctx, grant, always=returned == ["id_token"])
        values["id_token"] = mint_id_token(ctx, grant, access_token, claims, code=code)
    if access_token is not None or "id_token" in values:
        observability.count("TokensIssued", "implicit")  # the implicit and hybrid flows' tokens
    return values

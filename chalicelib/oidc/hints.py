"""Which user an authorization request is for: ``id_token_hint`` (OIDC Core §3.1.2.1) and a
``sub`` asked for with a value in the claims parameter (§5.5.1, §3.1.2.2).

A hint is an ID token this tenant issued to the requesting client (signature, issuer and an
audience that includes the client must hold). Its expiry does not matter: a hint names a
user, it grants nothing. ``login_hint`` is a different thing (a name to prefill on the login
page, chalicelib.oidc.endpoints.login) and is never checked against the accounts.

When a request names a user, only that user's session answers it (``chalicelib.oidc.flow``):
another user's session is ``login_required`` with ``prompt=none``; otherwise the login page
asks to sign in again, and a sign-in as anyone else is refused with ``login_required``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.context import Context
from chalicelib.keys import client_secrets, jws
from chalicelib.oidc.claims_request import ClaimsRequest
from chalicelib.oidc.errors import InvalidRequest
from chalicelib.store.clients import Client


def requested_subject(ctx: Context, client: Client, params: Mapping[str, str], claims: ClaimsRequest) -> str | None:
    """The ``sub`` (as this client knows the user) the request insists on, if any."""
    hinted = _hinted_subject(ctx, client, params["id_token_hint"]) if "id_token_hint" in params else None
    if hinted is not None and claims.sub is not None and hinted != claims.sub:
        raise InvalidRequest("id_token_hint and the claims parameter name different users")
    return hinted or claims.sub


def _hinted_subject(ctx: Context, client: Client, hint: str) -> str:
    claims = verified_id_token(ctx, client, hint)
    if claims is None or not isinstance(claims.get("sub"), str):
        raise InvalidRequest("id_token_hint is not an ID token this provider issued to this client")
    return claims["sub"]


def verified_id_token(ctx: Context, client: Client, token: str) -> dict[str, Any] | None:
    """The claims of an ID token this tenant issued to ``client``, signed with one of its keys
    (or, for an HS256 client, with the client's secret); expired or not, since a hint may be
    old (OIDC Core §3.1.2.1, RP-Initiated Logout §2). None for anything else."""
    secret = None
    if client.id_token_signed_response_alg == "HS256" and client.secret_ciphertext:
        secret = client_secrets.decrypt(ctx.tenant.id, client.client_id, client.secret_ciphertext)
    return jws.decode(
        token,
        ctx.tenant.keyring.by_kid,
        issuer=ctx.issuer,
        typ="JWT",
        now=ctx.now,
        audience=client.client_id,
        allow_expired=True,
        hmac_secret=secret,
    )

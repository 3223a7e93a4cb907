"""Token introspection (RFC 7662): a resource server asks whether a token is active.

Who may ask follows the seed: a confidential client whose allowed scopes include
``token_introspection``. With ``introspection_validate_audience_scope`` on (the default), it
learns only about tokens issued to itself or to the clients its scopes name; any other token
reads as inactive, exactly like an invalid one (RFC 7662 §2.2: no hint why).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib import hooks
from chalicelib.context import Context
from chalicelib.oidc.client_auth import authenticated_request
from chalicelib.oidc.errors import InvalidRequest, UnauthorizedClient
from chalicelib.oidc.results import Json
from chalicelib.oidc.scopes import INTROSPECTION
from chalicelib.oidc.subjects import SEALED_SUB_CLAIM, subject_for
from chalicelib.oidc.tokens import live_access_token
from chalicelib.store.clients import Client
from chalicelib.store.grants import get_refresh_grant, load_token_state

INACTIVE = {"active": False}


def introspect(ctx: Context, headers: Mapping[str, str], form: Mapping[str, Sequence[str]] | None) -> Json:
    client, params = authenticated_request(ctx, headers, form)
    if client.is_public or INTROSPECTION not in client.scopes:
        raise UnauthorizedClient("this client may not introspect tokens")
    token = params.get("token")
    if token is None:
        raise InvalidRequest("token is required")
    # The hint only orders the lookups (RFC 7662 §2.1): both kinds are tried.
    lookups = [_access_token, _refresh_token]
    if params.get("token_type_hint") == "refresh_token":
        lookups.reverse()
    for lookup in lookups:
        found = lookup(ctx, token)
        if found is not None:
            if not _may_see(ctx, client, found["client_id"]):
                break
            answer = hooks.call("process_introspection", found, ctx.tenant.id, found, client.client_id)
            return Json(answer, no_store=True)
    return Json(INACTIVE, no_store=True)


def _access_token(ctx: Context, token: str) -> dict[str, Any] | None:
    found = live_access_token(ctx, token, any_audience=True)
    if found is None:
        return None
    claims, user = found
    # RFC 9449 §6.2: a bound token is of type DPoP, and its cnf (from its claims) names the key.
    answer = {"active": True, "token_type": "DPoP" if "cnf" in claims else "Bearer", **claims}
    # A pairwise client's user (OIDC Core §8) is not named by what every client could match.
    if answer.pop(SEALED_SUB_CLAIM, None) is None and user is not None:
        answer["username"] = user.username
    return answer


def _refresh_token(ctx: Context, token: str) -> dict[str, Any] | None:
    grant = get_refresh_grant(ctx.tenant.id, token, ctx.now)
    if grant is None:
        return None
    state = load_token_state(ctx.tenant.id, grant.sub, None, grant.client_id)
    if not state.client_exists or state.user is None or not state.user.accepts(grant.epoch):
        return None  # the token dies with its client and its user
    return {
        "active": True,
        "token_type": "refresh_token",
        "scope": " ".join(grant.scopes),
        "client_id": grant.client_id,
        "sub": _subject(ctx, grant.client_id, grant.sub),
        "iss": ctx.issuer,
        "iat": grant.created_at,
        "exp": grant.expires_at,
        **({"cnf": {"jkt": grant.jkt}} if grant.jkt else {}),  # RFC 9449 §5: bound to a key
    }


def _subject(ctx: Context, client_id: str, sub: str) -> str:
    client = ctx.client(client_id)
    return subject_for(client, sub) if client is not None else sub


def _may_see(ctx: Context, client: Client, token_client_id: str) -> bool:
    if not ctx.settings.introspection_validate_audience_scope:
        return True
    return token_client_id == client.client_id or token_client_id in client.scopes

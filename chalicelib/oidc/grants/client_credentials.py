"""The client_credentials grant (RFC 6749 §4.4): a confidential client acting on its own
behalf gets an access token for the scopes arranged for it, and nothing else (no refresh
token, no ID token: there is no end user). No DynamoDB call: the client is cached."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.context import Context
from chalicelib.oidc.errors import InvalidScope, UnauthorizedClient
from chalicelib.oidc.grants import GrantType
from chalicelib.oidc.resources import requested_resources
from chalicelib.oidc.scopes import parse_scope, tenant_scopes
from chalicelib.oidc.tokens import Grant, token_response
from chalicelib.opaque import new_id
from chalicelib.store.clients import Client

# Scopes about an end user mean nothing without one.
USER_SCOPES = frozenset({"openid", "offline_access"})


def issue(ctx: Context, client: Client, params: Mapping[str, str], jkt: str | None = None) -> dict[str, Any]:
    if client.is_public:
        raise UnauthorizedClient("public clients cannot use client_credentials")
    known = tenant_scopes(ctx.settings)
    arranged = tuple(scope for scope in client.scopes if scope in known and scope not in USER_SCOPES)
    requested = parse_scope(params.get("scope"))
    if requested and not set(requested) <= set(arranged):
        raise InvalidScope("the requested scope exceeds what this client may have")
    resources = requested_resources(ctx, params.get("resource"))  # RFC 8707
    grant = Grant(
        client=client,
        sub=client.client_id,
        scopes=requested or arranged,
        auth_time=None,
        gid=new_id(),
        resources=resources,
        jkt=jkt,
    )
    return token_response(ctx, grant, None)


GRANT = GrantType("client_credentials", (), issue)

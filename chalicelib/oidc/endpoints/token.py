"""The token endpoint (RFC 6749 §3.2, OIDC Core §3.1.3)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib import observability
from chalicelib.context import Context
from chalicelib.oidc import dpop_binding
from chalicelib.oidc.client_auth import authenticated_request
from chalicelib.oidc.errors import InvalidRequest, OAuthError, UnauthorizedClient, UnsupportedGrantType
from chalicelib.oidc.grants import registry
from chalicelib.oidc.results import Json


def token(
    ctx: Context,
    headers: Mapping[str, str],
    form: Mapping[str, Sequence[str]] | None,
) -> Json:
    """``form`` is None when the body is not form-encoded (RFC 6749 §4.1.3 requires it)."""
    # RFC 9449 §8.2: whatever the answer to a request with a DPoP proof, it carries a fresh
    # nonce, so the client's next proof has one at hand.
    nonce = dpop_binding.nonce_headers(ctx, headers)
    try:
        body = _token(ctx, headers, form)
    except OAuthError as error:
        error.extra_headers = {**nonce, **error.extra_headers}
        raise
    return Json(body, no_store=True, headers=nonce)


def _token(ctx: Context, headers: Mapping[str, str], form: Mapping[str, Sequence[str]] | None) -> dict[str, Any]:
    client, params = authenticated_request(ctx, headers, form)
    grant_type = params.get("grant_type")
    if grant_type is None:
        raise InvalidRequest("grant_type is required")
    grant = registry().get(grant_type)
    if grant is None or not grant.enabled(ctx):
        raise UnsupportedGrantType(f"grant_type {grant_type[:64]} is not supported")
    if grant_type not in client.grant_types:
        raise UnauthorizedClient(f"this client may not use the {grant_type} grant")
    missing = [name for name in grant.required if name not in params]
    if missing:
        raise InvalidRequest(f"missing parameter: {missing[0]}")
    body = grant.handle(ctx, client, params, dpop_binding.token_request_key(ctx, headers, client))
    observability.count("TokensIssued", grant_type)
    return body

"""Client authentication at the token, introspection and revocation endpoints (RFC 6749 §2.3,
OIDC Core §9): client_secret_basic, client_secret_post, client_secret_jwt and private_key_jwt
(RFC 7523, ``chalicelib.oidc.client_assertion``), and none (public clients, which must use
PKCE). A client authenticates the way it registered: a JWT client only with an assertion,
any other confidential client only with its secret (Basic or in the form)."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping, Sequence
from urllib.parse import unquote_plus

from chalicelib.context import Context
from chalicelib.oidc.client_assertion import ASSERTION_TYPE, METHOD_ALGS, assertion_client_id, verify_assertion
from chalicelib.oidc.errors import InvalidClient, InvalidRequest
from chalicelib.oidc.params import single_values
from chalicelib.opaque import digest
from chalicelib.store.clients import Client

SECRET_METHODS = ("client_secret_basic", "client_secret_post")
METHODS = (*SECRET_METHODS, *METHOD_ALGS, "none")
# A client_id (at most 128) and a secret (43 when generated), form-encoded, then base64.
MAX_BASIC = 2048


FORM = "application/x-www-form-urlencoded"


def authenticated_request(
    ctx: Context,
    headers: Mapping[str, str],
    form: Mapping[str, Sequence[str]] | None,
) -> tuple[Client, dict[str, str]]:
    """The client and the parameters of a form-encoded request to the token, introspection
    revocation or pushed authorization request endpoint. ``form`` is None when
    the body is not form-encoded, which those endpoints require (RFC 6749 §3.2, RFC 7662
    §2.1, RFC 7009 §2.1)."""
    if form is None:
        raise InvalidRequest(f"the request body must be {FORM}")
    params = single_values(form)
    return authenticate_client(ctx, headers, params), params


def authenticate_client(ctx: Context, headers: Mapping[str, str], params: Mapping[str, str]) -> Client:
    """The authenticated client, or InvalidClient (401). Presenting credentials in more than
    one way is an invalid_request (RFC 6749 §2.3)."""
    basic = _basic_credentials(headers.get("authorization"))
    assertion = params.get("client_assertion")
    if sum((basic is not None, "client_secret" in params, assertion is not None)) > 1:
        raise InvalidRequest("use only one client authentication method")
    if assertion is not None or "client_assertion_type" in params:
        return _by_assertion(ctx, params)
    if basic is not None:
        client_id, secret = basic
        if params.get("client_id", client_id) != client_id:
            raise InvalidRequest("client_id does not match the Authorization header")
    else:
        client_id = params.get("client_id")
        secret = params.get("client_secret")
    if client_id is None:
        raise InvalidClient("client authentication is required")
    client = _client(ctx, client_id)
    if client.is_public:
        if secret is not None:
            raise InvalidClient("public clients do not authenticate with a secret")
        return client
    if secret is None or client.secret_hash is None:
        raise InvalidClient("client authentication is required")
    if client.token_endpoint_auth_method not in SECRET_METHODS:
        raise InvalidClient("unknown client or wrong credentials")  # not which method it uses
    if not hmac.compare_digest(digest(secret), client.secret_hash):
        raise InvalidClient("unknown client or wrong credentials")
    return client


def _by_assertion(ctx: Context, params: Mapping[str, str]) -> Client:
    """RFC 7521 §4.2: client_assertion_type names the JWT profile; client_id, if sent, is the
    assertion's subject (checked with it)."""
    assertion = params.get("client_assertion")
    if params.get("client_assertion_type") != ASSERTION_TYPE or assertion is None:
        raise InvalidRequest(f"client_assertion and a client_assertion_type of {ASSERTION_TYPE} go together")
    client_id = params.get("client_id") or assertion_client_id(assertion)
    if client_id is None:
        raise InvalidClient("unknown client or wrong credentials")
    client = _client(ctx, client_id)
    if client.token_endpoint_auth_method not in METHOD_ALGS:
        raise InvalidClient("unknown client or wrong credentials")  # not which method it uses
    verify_assertion(ctx, client, assertion)
    return client


def _client(ctx: Context, client_id: str) -> Client:
    client = ctx.client(client_id)
    if client is None:
        raise InvalidClient("unknown client or wrong credentials")
    return client


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        raise InvalidClient("unsupported authorization scheme")
    value = value.strip()
    # RFC 7617 §2: token68, which is ASCII. A header may carry any byte, and base64 raises
    # ValueError (not binascii.Error) on a str with anything else: encode it first.
    if len(value) > MAX_BASIC or not value.isascii():
        raise InvalidClient("malformed Basic credentials")
    try:
        decoded = base64.b64decode(value.encode("ascii"), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidClient("malformed Basic credentials") from None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise InvalidClient("malformed Basic credentials")
    # RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
    return unquote_plus(client_id), unquote_plus(secret)

"""Provider metadata (OpenID Connect Discovery 1.0 §3, RFC 8414 §2, Session Management
§3.3, RP-Initiated Logout §3, Front- and Back-Channel Logout) and the JWKS.

Lists only what works: every value here is exercised by a test over HTTP.
"""

from __future__ import annotations

from typing import Any

from chalicelib.context import Context
from chalicelib.i18n import LANGUAGES
from chalicelib.keys import client_secrets
from chalicelib.oidc import acr, dpop, pkce, request_object, response_modes, session_management
from chalicelib.oidc.authorize import PROMPTS, RESPONSE_TYPES
from chalicelib.oidc.claims import supported_claims
from chalicelib.oidc.client_assertion import METHOD_ALGS
from chalicelib.oidc.client_auth import METHODS
from chalicelib.oidc.grants import offered
from chalicelib.oidc.scopes import tenant_scopes

ENDPOINTS = (
    "authorization_endpoint",
    "token_endpoint",
    "userinfo_endpoint",
    "jwks_uri",
    "introspection_endpoint",
    "revocation_endpoint",
    "end_session_endpoint",
)


def metadata(ctx: Context) -> dict[str, Any]:
    known = tenant_scopes(ctx.settings)
    methods = [m for m in pkce.METHODS if m == "S256" or ctx.settings.allow_plain_pkce]
    id_token_algs = list(ctx.tenant.keyring.signing_algorithms)
    if client_secrets.available():
        id_token_algs.append("HS256")
    document = {
        "issuer": ctx.issuer,
        **{name: ctx.url(name) for name in ENDPOINTS},
        "scopes_supported": list(known),
        "response_types_supported": list(RESPONSE_TYPES),
        "response_modes_supported": list(response_modes.MODES),
        "grant_types_supported": offered(ctx),
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": id_token_algs,
        # OIDC Core §5.3.2: UserInfo signed as a client registered (userinfo_signed_response_alg).
        "userinfo_signing_alg_values_supported": id_token_algs,
        **_client_authentication(),
        # RFC 9126 §5: pushed authorization requests, required of every client or not.
        "pushed_authorization_request_endpoint": ctx.url("pushed_authorization_request_endpoint"),
        "require_pushed_authorization_requests": ctx.settings.require_pushed_authorization_requests,
        # RFC 9449 §5.1: the algorithms of the DPoP proofs chalicelib.oidc.dpop verifies.
        "dpop_signing_alg_values_supported": list(dpop.ALGORITHMS),
        # RFC 8628 §4: the device authorization grant (its grant type is in grant_types_supported).
        "device_authorization_endpoint": ctx.url("device_authorization_endpoint"),
        "claims_supported": supported_claims(known),
        "code_challenge_methods_supported": methods,
        "prompt_values_supported": sorted(PROMPTS),
        # The multi-factor level only where the tenant has second factors to reach it with.
        "acr_values_supported": list(acr.SUPPORTED) if ctx.settings.mfa_policy != "off" else [acr.SINGLE_FACTOR],
        # OIDC Core §3.1.2.1: the pages' languages (chalicelib/i18n). No claim has language
        # variants, so claims_locales is accepted and claims_locales_supported not claimed.
        "ui_locales_supported": list(LANGUAGES),
        "claims_parameter_supported": True,
        **_request_objects(ctx),
        "authorization_response_iss_parameter_supported": True,
        "frontchannel_logout_supported": True,
        "frontchannel_logout_session_supported": True,
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
    }
    if session_management.enabled(ctx):
        document["check_session_iframe"] = ctx.url("check_session_iframe")
    if ctx.settings.client_registration != "off":
        document["registration_endpoint"] = ctx.url("registration_endpoint")
    return document


def _request_objects(ctx: Context) -> dict[str, Any]:
    """RFC 9101 §10.1, OIDC Discovery §3: request objects by value always; by reference
    (registered request_uris only) where the tenant enables it; unsigned where it allows them."""
    algs = list(request_object.ALGORITHMS)
    if ctx.settings.allow_unsigned_request_objects:
        algs.append("none")
    document: dict[str, Any] = {
        "request_parameter_supported": True,
        "request_uri_parameter_supported": ctx.settings.request_uri_enable,
        "request_object_signing_alg_values_supported": algs,
        "require_signed_request_object": ctx.settings.require_signed_request_object,
    }
    if ctx.settings.request_uri_enable:
        document["require_request_uri_registration"] = True
    return document


def _client_authentication() -> dict[str, list[str]]:
    """How clients authenticate at the token, introspection and revocation endpoints, and
    with which algorithms their assertions are signed (RFC 8414 §2). client_secret_jwt needs
    the secret readable, so it is offered where secrets can be kept (as for HS256)."""
    methods = [m for m in METHODS if m != "client_secret_jwt" or client_secrets.available()]
    algs = [alg for m in methods for alg in METHOD_ALGS.get(m, ())]
    document = {}
    for endpoint in ("token_endpoint", "introspection_endpoint", "revocation_endpoint"):
        # Introspection is for confidential clients only (chalicelib.oidc.endpoints.introspection).
        document[f"{endpoint}_auth_methods_supported"] = [
            m for m in methods if m != "none" or endpoint != "introspection_endpoint"
        ]
        document[f"{endpoint}_auth_signing_alg_values_supported"] = algs
    return document


def jwks(ctx: Context) -> dict[str, Any]:
    return ctx.tenant.keyring.jwks()

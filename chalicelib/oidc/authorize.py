"""Validate an authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1).

Two stages, because the spec treats errors differently before and after the client and its
redirect_uri are trusted: ``resolve_target`` raises errors that are shown at the OP;
``validate_request`` raises errors that are sent back to the now-trusted redirect_uri.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from chalicelib.context import Context
from chalicelib.i18n import N_
from chalicelib.i18n.negotiate import parse_locales
from chalicelib.oidc import pkce, response_modes
from chalicelib.oidc.acr import parse_acr_values
from chalicelib.oidc.claims_request import NONE, ClaimsRequest, checked_claims
from chalicelib.oidc.dpop_binding import checked_dpop_jkt
from chalicelib.oidc.errors import (
    InvalidRequest,
    InvalidScope,
    RegistrationNotSupported,
    RequestNotSupported,
    RequestUriNotSupported,
    UnauthorizedClient,
    UnknownClient,
    UnsupportedResponseType,
)
from chalicelib.oidc.hints import requested_subject
from chalicelib.oidc.redirect_uris import match_redirect_uri
from chalicelib.oidc.resources import requested_resources
from chalicelib.oidc.scopes import grantable, parse_scope, tenant_scopes
from chalicelib.store.clients import Client

# Normalized (sorted) response types: the code flow, the implicit flow (OIDC Core §3.2 and
# RFC 6749 §4.2's plain OAuth ``token``) and the hybrid flow (OIDC Core §3.3).
RESPONSE_TYPES = ("code", "id_token", "id_token token", "token", "code id_token", "code token", "code id_token token")
_DIGITS = re.compile(r"[0-9]{1,10}")
PROMPTS = frozenset({"none", "login", "consent", "select_account"})


@dataclass(frozen=True)
class Target:
    """Where the authorization response goes, trusted: client and redirect_uri are checked."""

    client: Client
    redirect_uri: str
    response_mode: str
    state: str | None


@dataclass(frozen=True)
class AuthorizationRequest:
    target: Target
    response_type: str
    scopes: tuple[str, ...]
    prompt: frozenset[str]
    params: Mapping[str, str]  # as received: carried through the login and consent pages
    nonce: str | None = None
    max_age: int | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    login_hint: str | None = None
    acr_values: tuple[str, ...] = ()  # OIDC Core §3.1.2.1, in order of preference (chalicelib.oidc.acr)
    # OIDC Core §3.1.2.1: the end user's preferred languages for the pages (ui_locales) and
    # for claims (claims_locales; accepted, though no claim here has language variants).
    ui_locales: tuple[str, ...] = ()
    claims_locales: tuple[str, ...] = ()
    claims: ClaimsRequest = NONE  # OIDC Core §5.5 (chalicelib.oidc.claims_request)
    subject: str | None = None  # the user the request is for, as the client knows them (chalicelib.oidc.hints)
    resources: tuple[str, ...] = ()  # RFC 8707 resource indicators (chalicelib.oidc.resources)
    dpop_jkt: str | None = None  # RFC 9449 §10: the DPoP key the code is bound to (chalicelib.oidc.dpop_binding)

    @property
    def client(self) -> Client:
        return self.target.client

    def returns(self, artifact: str) -> bool:
        """Whether the authorization response carries ``artifact`` (code, token, id_token)."""
        return artifact in self.response_type.split()


def normalize_response_type(value: str) -> str:
    return " ".join(sorted(value.split()))


def resolve_target(ctx: Context, params: Mapping[str, str]) -> Target:
    client_id = params.get("client_id")
    if client_id is None:
        raise UnknownClient(N_("client_id is required"))
    client = ctx.client(client_id)
    if client is None:
        raise UnknownClient(N_("unknown client_id"))
    response_type = normalize_response_type(params.get("response_type", ""))
    # RFC 8252 §7.3's port variance is for the code flow (with PKCE, required of public clients).
    redirect_uri = match_redirect_uri(client, params.get("redirect_uri"), any_loopback_port=response_type == "code")
    return Target(
        client=client,
        redirect_uri=redirect_uri,
        response_mode=_error_free_mode(response_type, params.get("response_mode")),
        state=params.get("state"),
    )


def _error_free_mode(response_type: str, requested: str | None) -> str:
    """RFC 6749 §3.1.1: a missing response_type, or one the OP does not understand, gets its
    error in the query component (§4.1.2.1), whatever response_mode asks for: the modes are
    defined for response types the OP knows."""
    if response_type not in RESPONSE_TYPES:
        return "query"
    return response_modes.choose(response_type, requested)


def validate_request(ctx: Context, target: Target, params: Mapping[str, str]) -> AuthorizationRequest:
    _refuse_unsupported_features(params)
    client = target.client
    response_type = _check_response_type(client, params.get("response_type"))
    response_modes.check(response_type, params.get("response_mode"))
    scopes = grantable(parse_scope(params.get("scope")), client.scopes, tenant_scopes(ctx.settings))
    if "id_token" in response_type.split():
        if "openid" not in scopes:
            raise InvalidScope("an id_token is only issued for the openid scope")
        if not params.get("nonce"):
            # OIDC Core §3.2.2.1, §3.3.2.11: an ID token sent through the browser carries
            # the nonce that lets the client detect a replayed one.
            raise InvalidRequest("nonce is required when an id_token is returned from the authorization endpoint")
    required = "code" in response_type.split() and (client.is_public or ctx.settings.require_pkce == "all")
    challenge, method = pkce.check_challenge(
        params.get("code_challenge"),
        params.get("code_challenge_method"),
        required=required,
        allow_plain=ctx.settings.allow_plain_pkce,
    )
    # OIDC Core §5.5.1.1: an essential acr request steps up like acr_values, and wins over it.
    claims, acr_values = checked_claims(ctx, params.get("claims")), _check_acr_values(params.get("acr_values"))
    return AuthorizationRequest(
        target=target,
        response_type=response_type,
        scopes=scopes,
        prompt=_check_prompt(params.get("prompt")),
        params=dict(params),
        nonce=params.get("nonce"),
        max_age=_check_max_age(params.get("max_age")),
        code_challenge=challenge,
        code_challenge_method=method,
        login_hint=params.get("login_hint"),
        acr_values=claims.acr_values or acr_values,
        ui_locales=parse_locales(params.get("ui_locales")),
        claims_locales=parse_locales(params.get("claims_locales")),
        claims=claims,
        subject=requested_subject(ctx, client, params, claims),
        resources=requested_resources(ctx, params.get("resource")),
        dpop_jkt=checked_dpop_jkt(params.get("dpop_jkt")),
    )


def _refuse_unsupported_features(params: Mapping[str, str]) -> None:
    """OIDC Core §3.1.2.6: say so, rather than silently ignore a request object."""
    if "request" in params:
        raise RequestNotSupported("request objects are not supported")
    if "request_uri" in params:
        raise RequestUriNotSupported("request_uri is not supported")
    if "registration" in params:
        raise RegistrationNotSupported("the registration parameter is not supported")


def _check_response_type(client: Client, value: str | None) -> str:
    if value is None:
        raise InvalidRequest("response_type is required")
    response_type = normalize_response_type(value)
    if response_type not in RESPONSE_TYPES:
        raise UnsupportedResponseType(f"response_type {response_type} is not supported")
    if response_type not in {normalize_response_type(t) for t in client.response_types}:
        raise UnauthorizedClient(f"client may not use response_type {response_type}")
    return response_type


def _check_prompt(value: str | None) -> frozenset[str]:
    prompt = frozenset(value.split()) if value else frozenset()
    if not prompt <= PROMPTS:
        raise InvalidRequest("unsupported prompt value")
    if "none" in prompt and len(prompt) > 1:
        raise InvalidRequest("prompt=none cannot be combined with other values")
    return prompt


def _check_acr_values(value: str | None) -> tuple[str, ...]:
    try:
        return parse_acr_values(value)
    except ValueError as error:
        raise InvalidRequest(str(error)) from None


def _check_max_age(value: str | None) -> int | None:
    if value is None:
        return None
    if _DIGITS.fullmatch(value) is None:
        raise InvalidRequest("max_age must be a non-negative integer")
    return int(value)

"""What a client may be: every field an admin, the CLI or a registrant sets, checked and
normalized in one place (``validated``), so whatever is stored is safe for the protocol code
to trust: types and sizes, response and grant types consistent (RFC 7591 §2.1), URIs in the
strict grammar (``chalicelib.uris``) and, for back-channel logout, the outbound guard's
registration checks, the signing algorithm the tenant has a key for.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib import outbound, uris
from chalicelib.admin import AdminError, InvalidRedirectUris, sectors
from chalicelib.admin.client_auth_fields import JWT_METHODS, jwt_authentication
from chalicelib.admin.request_object_fields import request_objects
from chalicelib.keys import client_secrets
from chalicelib.keys.keyring import ACTIVE
from chalicelib.oidc.authorize import RESPONSE_TYPES, normalize_response_type
from chalicelib.oidc.redirect_uris import check_registrable
from chalicelib.oidc.scopes import INTROSPECTION, tenant_scopes
from chalicelib.store import clients as store
from chalicelib.store.clients import Client
from chalicelib.store.tenants import Tenant
from chalicelib.tenancy.settings import GRANT_TYPES, TenantSettings

CLIENT_TYPES = ("confidential", "public")
# Grants that authenticate only the client, or take a user's password: never for public clients.
CONFIDENTIAL_GRANTS = ("client_credentials", "password")
AUTH_METHODS = {
    "confidential": ("client_secret_basic", "client_secret_post", *JWT_METHODS),
    "public": ("none",),
}
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
CLIENT_ID = re.compile(r"[A-Za-z0-9._~-]{1,128}")
LISTS = ("redirect_uris", "post_logout_redirect_uris", "response_types", "grant_types", "scopes", "request_uris")
# Sizes no real client needs more of (an item of DynamoDB holds 400 KB).
MAX_ITEMS = 32
MAX_TEXT = 2048
MAX_NAME = 128

# What an admin may set on a client, with its default.
FIELDS: dict[str, Any] = {
    "redirect_uris": (),
    "post_logout_redirect_uris": (),
    "response_types": ("code",),
    "grant_types": None,  # derived from the response types
    "scopes": (),
    "id_token_signed_response_alg": "RS256",
    "userinfo_signed_response_alg": None,  # plain JSON
    "token_endpoint_auth_method": None,  # client_secret_basic, or none for public clients
    "require_consent": True,
    "reuse_consent": True,
    "website_url": None,
    "terms_url": None,
    "contact_email": None,
    "logo_uri": None,
    "frontchannel_logout_uri": None,
    "frontchannel_logout_session_required": False,
    "backchannel_logout_uri": None,
    "backchannel_logout_session_required": False,
    # Whether the tenant vouches for the client: every client an admin creates, and a
    # self-registered one once an admin has reviewed it. Users are asked for consent to an
    # unverified client every time, with a warning, and its error responses are never
    # redirected without the user's say (chalicelib.oidc.interstitial).
    "verified": True,
    # Client authentication by JWT (chalicelib.admin.client_auth_fields).
    "jwks": None,
    "jwks_uri": None,
    "token_endpoint_auth_signing_alg": None,
    # RFC 9126 §6: the client's authorization requests must be pushed (PAR).
    "require_pushed_authorization_requests": False,
    # RFC 9449 §5.2: token requests without a DPoP proof are refused.
    "dpop_bound_access_tokens": False,
    # OIDC Core §8.1: pairwise subject identifiers, per sector (chalicelib.admin.sectors).
    "subject_type": "public",
    "sector_identifier_uri": None,
    # Request objects (RFC 9101; chalicelib.admin.request_object_fields).
    "request_object_signing_alg": None,
    "request_uris": (),
    "require_signed_request_object": False,
}
# Fields whose value is a JSON object, not text.
OBJECTS = ("jwks",)


def validated(tenant: Tenant, draft: Client, values: Mapping[str, Any], secret: str | None) -> Client:
    """``draft`` with ``values`` checked and normalized; AdminError says what is wrong."""
    _check_types(values)
    client_type = draft.client_type
    response_types = _response_types(values["response_types"])
    grant_types = _grant_types(values["grant_types"], response_types, client_type)
    uses_browser = bool(response_types)
    alg = values["id_token_signed_response_alg"]
    _check_alg(tenant, alg, client_type)
    userinfo_alg = values["userinfo_signed_response_alg"]
    if userinfo_alg is not None:
        _check_alg(tenant, userinfo_alg, client_type)
    if values["dpop_bound_access_tokens"] and any("token" in value.split() for value in response_types):
        # RFC 9449 binds tokens at the token endpoint: one from the authorization endpoint
        # would be a bearer token, which this client promised never to take.
        raise AdminError("a client with dpop_bound_access_tokens gets no access token from the authorization endpoint")
    auth_method = values["token_endpoint_auth_method"] or AUTH_METHODS[client_type][0]
    if auth_method not in AUTH_METHODS[client_type]:
        raise AdminError(f"a {client_type} client authenticates with {' or '.join(AUTH_METHODS[client_type])}")
    authentication = jwt_authentication(tenant, values, auth_method)
    client = dataclasses.replace(
        draft,
        name=_name(draft.name),
        redirect_uris=_redirect_uris(values["redirect_uris"], client_type, required=uses_browser),
        post_logout_redirect_uris=_redirect_uris(values["post_logout_redirect_uris"], client_type, required=False),
        response_types=response_types,
        grant_types=grant_types,
        scopes=_scopes(tenant, values["scopes"]),
        id_token_signed_response_alg=alg,
        userinfo_signed_response_alg=userinfo_alg,
        token_endpoint_auth_method=auth_method,
        require_consent=bool(values["require_consent"]),
        reuse_consent=bool(values["reuse_consent"]),
        website_url=_http_url(values["website_url"], "website_url"),
        terms_url=_http_url(values["terms_url"], "terms_url"),
        contact_email=_email(values["contact_email"]),
        logo_uri=_http_url(values["logo_uri"], "logo_uri"),
        frontchannel_logout_uri=_logout_uri(values["frontchannel_logout_uri"], "frontchannel_logout_uri"),
        frontchannel_logout_session_required=bool(values["frontchannel_logout_session_required"]),
        backchannel_logout_uri=_logout_uri(values["backchannel_logout_uri"], "backchannel_logout_uri", tenant),
        backchannel_logout_session_required=bool(values["backchannel_logout_session_required"]),
        verified=bool(values["verified"]),
        secret_ciphertext=_secret_ciphertext(tenant, draft, _reads_secret(alg, auth_method, userinfo_alg), secret),
        **authentication,
        **request_objects(tenant, values, has_keys=bool(authentication["jwks"] or authentication["jwks_uri"])),
        require_pushed_authorization_requests=bool(values["require_pushed_authorization_requests"]),
        dpop_bound_access_tokens=bool(values["dpop_bound_access_tokens"]),
    )
    return sectors.checked(tenant, draft, client, values["subject_type"], values["sector_identifier_uri"])


def _secret_ciphertext(tenant: Tenant, draft: Client, readable: bool, secret: str | None) -> str | None:
    """What a client whose secret must be ``readable`` (HS256 ID tokens, client_secret_jwt)
    keeps of it: a new secret encrypted, or the ciphertext it has (one KMS call at creation
    and rotation, none at other updates)."""
    if not readable:
        return None
    if secret is not None:
        return client_secrets.encrypt(tenant.id, draft.client_id, secret)
    if draft.secret_ciphertext is None:
        raise AdminError(
            "rotate the secret to switch this client to HS256 or client_secret_jwt: its secret was kept as a digest"
        )
    return draft.secret_ciphertext


def _reads_secret(alg: str, auth_method: str, userinfo_alg: str | None = None) -> bool:
    """Whether the provider needs the client's secret itself, not only its digest: to sign
    HS256 ID tokens (OIDC Core §10.1) or UserInfo responses, to check client_secret_jwt
    assertions (§9)."""
    return "HS256" in (alg, userinfo_alg) or auth_method == "client_secret_jwt"


def _check_types(values: Mapping[str, Any]) -> None:
    """Values from JSON (the admin API, registration) have the types the CLI's have, and
    sane sizes. None is only for what has no value by default (grant types are then
    derived, URIs absent)."""
    for name, default in FIELDS.items():
        value = values[name]
        if value is None and default is None:
            continue
        if name in LISTS:
            if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) for item in value):
                raise AdminError(f"{name} is a list of strings")
            if len(value) > MAX_ITEMS or any(len(item) > MAX_TEXT for item in value):
                raise AdminError(f"{name} has at most {MAX_ITEMS} strings of {MAX_TEXT} characters")
        elif name in OBJECTS:
            if not isinstance(value, dict):
                raise AdminError(f"{name} is a JSON object")
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise AdminError(f"{name} is true or false")
        elif not isinstance(value, str) or len(value) > MAX_TEXT:
            raise AdminError(f"{name} is a string of at most {MAX_TEXT} characters")


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME:
        raise AdminError(f"a client needs a name, of at most {MAX_NAME} characters")
    return value.strip()


def _check_alg(tenant: Tenant, alg: str, client_type: str) -> None:
    if alg == "HS256":
        # OIDC Core §10.1: the client's secret is the key, so a public client cannot verify.
        if client_type == "public":
            raise AdminError("HS256 needs a client secret: public clients use the tenant's keys (RS256, ...)")
        if not client_secrets.available():
            raise AdminError("HS256 is off in this deployment: it has no CLIENT_SECRET_KEY_ID to keep secrets with")
        return
    algs = {key["alg"] for key in tenant.keys if key["status"] == ACTIVE}
    if alg not in algs:
        raise AdminError(f"the tenant has no active {alg} key ({', '.join(sorted(algs))})")


def _redirect_uris(uris: Sequence[str], client_type: str, required: bool = True) -> tuple[str, ...]:
    """The validated URIs (strict syntax, check_registrable), without repeats."""
    if required and not uris:
        raise InvalidRedirectUris("register at least one redirect URI")
    try:
        return tuple(dict.fromkeys(check_registrable(uri, client_type) for uri in uris))
    except ValueError as error:
        raise InvalidRedirectUris(str(error)) from None


def _response_types(values: Sequence[str]) -> tuple[str, ...]:
    normalized = tuple(dict.fromkeys(normalize_response_type(value) for value in values))
    unsupported = [value for value in normalized if value not in RESPONSE_TYPES]
    if unsupported:
        raise AdminError(f"response types must be among: {', '.join(RESPONSE_TYPES)}")
    return normalized


def needed_grant_types(response_types: Sequence[str]) -> set[str]:
    """RFC 7591 §2.1: the grant types that the response types imply."""
    needs = set()
    if any("code" in value.split() for value in response_types):
        needs.add("authorization_code")
    if any({"token", "id_token"} & set(value.split()) for value in response_types):
        needs.add("implicit")
    return needs


def default_grant_types(response_types: Sequence[str]) -> list[str]:
    """What the response types need, plus refresh tokens for clients of the code flow."""
    needs = needed_grant_types(response_types)
    values = [grant for grant in GRANT_TYPES if grant in needs]
    if "authorization_code" in needs:
        values.append("refresh_token")
    return values


def _grant_types(values: Sequence[str] | None, response_types: tuple[str, ...], client_type: str) -> tuple[str, ...]:
    """RFC 7591 §2.1: grant types consistent with the response types; by default, those of
    ``default_grant_types``."""
    needs = needed_grant_types(response_types)
    if values is None:
        values = default_grant_types(response_types)
    unknown = [value for value in values if value not in GRANT_TYPES]
    if unknown:
        raise AdminError(f"grant types must be among: {', '.join(GRANT_TYPES)}")
    if not needs <= set(values):
        raise AdminError(f"the response types need the grant types {', '.join(sorted(needs))}")
    if client_type == "public" and set(CONFIDENTIAL_GRANTS) & set(values):
        raise AdminError("client_credentials and password are for confidential clients")
    if not values:
        raise AdminError("a client needs at least one grant type or response type")
    return tuple(dict.fromkeys(values))


def _scopes(tenant: Tenant, values: Sequence[str]) -> tuple[str, ...]:
    """The scopes the client may be granted; ``token_introspection`` lets it introspect, and
    other clients' ids name whose tokens it may introspect (the seed's conventions)."""
    known = tenant_scopes(TenantSettings.from_stored(tenant.settings))
    for value in values:
        if value in known or value == INTROSPECTION:
            continue
        if CLIENT_ID.fullmatch(value) is None or store.get_client(tenant.id, value) is None:
            raise AdminError(f"unknown scope (or client id) {value}")
    return tuple(dict.fromkeys(values))


def _http_url(value: str | None, field: str) -> str | None:
    """Shown as links and images on the consent page: only http(s), never javascript:, and
    strict URI syntax (``chalicelib.uris``); the validated value is what is stored."""
    if not value:
        return None
    try:
        parsed = uris.parse(value)
    except ValueError as error:
        raise AdminError(f"{field}: {error}") from None
    if parsed.scheme not in ("https", "http") or parsed.host is None:
        raise AdminError(f"{field} must be an http(s) URL")
    return parsed.text


def _logout_uri(value: str | None, field: str, tenant: Tenant | None = None) -> str | None:
    """Front- and back-channel logout URIs: absolute, no fragment, no userinfo, https (or
    http to this machine), like redirect URIs of confidential clients. The provider itself
    posts to back-channel URIs (``tenant`` given), so those also pass the outbound guard's
    registration checks: https (http only to a host the tenant lists, in local development)
    and no IP literal it would refuse to reach. Host names are resolved at delivery, where
    what they point to is checked again."""
    if not value:
        return None
    try:
        value = check_registrable(value, "confidential")  # refuses userinfo too (chalicelib.uris)
        if tenant is not None:
            allowed = TenantSettings.from_mapping(tenant.settings).outbound_allowed_hosts
            outbound.check_registrable(value, outbound.policy_for(allowed))
    except ValueError as error:  # outbound.Refused is one
        raise AdminError(f"{field}: {error}") from None
    return value


def _email(value: str | None) -> str | None:
    if not value:
        return None
    if len(value) > 254 or _EMAIL.fullmatch(value) is None:
        raise AdminError("contact_email is not an email address")
    return value

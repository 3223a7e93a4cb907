"""Dynamic client registration (RFC 7591, OpenID Connect Dynamic Client Registration 1.0)
and its management protocol (RFC 7592), per tenant.

A tenant chooses who may register: nobody (the default), holders of an initial access token
that a tenant admin handed out, or anyone. A registered client manages itself with the
registration access token it received (stored as a digest). Registration goes through the
same validation as the CLI, so a self-registered client is as safe to store as any other,
and then through the tenant's registration policy (``registration_policy``: grant types,
redirect hosts, names) and abuse limits (``chalicelib.limits.registration``: attempts per
source address, a quota of self-registered clients). A refused registration writes nothing
but those counters.

A self-registered client is unverified until a tenant admin verifies it, whether it came
through open registration or with an initial access token: the token vouches for who may
register, not for the name, logo and redirect hosts chosen afterwards (nor for whoever it
was forwarded to in its up to 365 days). Users are asked for consent to an unverified client
every time, with a warning that names where they will be sent, and its error responses are
shown on this provider's page before the user is sent anywhere (``chalicelib.oidc.interstitial``).
"""

from __future__ import annotations

import dataclasses
import hmac
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from chalicelib.admin import (
    AdminError,
    InvalidRedirectUris,
    Missing,
    PreconditionFailed,
    registration_policy,
)
from chalicelib.admin import Conflict as AdminConflict
from chalicelib.admin import clients as client_admin
from chalicelib.admin.client_fields import validated
from chalicelib.admin.tenants import get_tenant
from chalicelib.context import Context
from chalicelib.limits import registration as limits
from chalicelib.oidc.endpoints.userinfo import bearer_token
from chalicelib.oidc.errors import (
    Conflict,
    InvalidClientMetadata,
    InvalidRegistrationRedirectUri,
    InvalidToken,
    RegistrationClosed,
    RegistrationLimited,
)
from chalicelib.oidc.params import json_object
from chalicelib.oidc.results import Json
from chalicelib.oidc.scopes import tenant_scopes
from chalicelib.opaque import digest, new_token
from chalicelib.store import registration as store
from chalicelib.store.clients import Client

# RFC 7591 §2 (and OIDC Registration §2) metadata → the client's fields.
RENAMED = {
    "client_name": "name",
    "client_uri": "website_url",
    "policy_uri": "terms_url",
}
LISTS = ("redirect_uris", "response_types", "grant_types", "post_logout_redirect_uris", "request_uris")
TEXTS = (
    "logo_uri",
    "frontchannel_logout_uri",
    "backchannel_logout_uri",
    "id_token_signed_response_alg",
    "userinfo_signed_response_alg",
    "token_endpoint_auth_method",
    "jwks_uri",
    "token_endpoint_auth_signing_alg",
    "subject_type",
    "sector_identifier_uri",
    "request_object_signing_alg",
)
FLAGS = (
    "frontchannel_logout_session_required",
    "backchannel_logout_session_required",
    "require_pushed_authorization_requests",
    "dpop_bound_access_tokens",
    "require_signed_request_object",
)
# What the provider cannot do, and says so rather than silently ignore (RFC 7591 §3.2.2).
UNSUPPORTED = {
    "request_object_encryption_alg": "encrypted request objects are not supported",
    "request_object_encryption_enc": "encrypted request objects are not supported",
}


def register(ctx: Context, headers: Mapping[str, str], body: bytes | None) -> Json:
    """RFC 7591 §3: create a client from its metadata; 201 with its credentials. Every
    attempt counts against its source address first (RFC 7591 §5), refused or not."""
    policy = ctx.settings.client_registration
    if policy == "off":
        raise RegistrationClosed("dynamic client registration is off for this provider")
    wait = limits.admit(ctx.tenant.id, ctx.source, ctx.settings, ctx.now)
    if wait is not None:
        raise RegistrationLimited(wait)
    if policy == "token" and not store.is_initial_access_token(ctx.tenant.id, bearer_token(headers, {}), ctx.now):
        raise InvalidToken("the initial access token is invalid or expired")
    metadata = _parse(body)
    registration_token = new_token()
    fields = client_fields(ctx, metadata)
    fields["grant_types"] = registration_policy.grant_types(fields, ctx.settings)
    client, secret = _create(ctx, _name(metadata, fields), registration_token, fields)
    body_out = describe(ctx, client)
    body_out["registration_access_token"] = registration_token
    if secret is not None:
        body_out.update(client_secret=secret, client_secret_expires_at=0)
    return Json(body_out, status=201, no_store=True)


def _create(ctx: Context, name: str, registration_token: str, fields: dict[str, Any]) -> tuple[Client, str | None]:
    """The new client, unverified, once the policy passed and a place in the tenant's quota
    was taken (last, so an invalid registration takes none; given back if the write fails)."""
    taken = []

    def before_store(client: Client) -> None:
        registration_policy.check(ctx, client)
        if not limits.take_place(ctx.tenant.id, ctx.settings):
            raise RegistrationClosed("this provider accepts no more self-registered clients")
        taken.append(client)

    client_type = "public" if fields.get("token_endpoint_auth_method") == "none" else "confidential"
    try:
        with _as_registration_errors():
            return client_admin.create_client(
                ctx.tenant.id,
                name=name,
                client_type=client_type,
                registration_token=registration_token,
                require_consent=True,
                reuse_consent=True,
                verified=False,
                before_store=before_store,
                **fields,
            )
    except Exception:
        if taken:
            limits.give_back(ctx.tenant.id)
        raise


def read(ctx: Context, headers: Mapping[str, str], client_id: str) -> Json:
    """RFC 7592 §2.1."""
    return Json(describe(ctx, _managed(ctx, headers, client_id)), no_store=True)


def update(ctx: Context, headers: Mapping[str, str], client_id: str, body: bytes | None) -> Json:
    """RFC 7592 §2.2: the request carries the client's whole metadata; what it leaves out
    returns to its default. The client's id and secret stay. The write is conditional on the
    client as read now, still registered under this token: a client deleted meanwhile stays
    deleted, and this request is answered as for an unknown client (§3)."""
    client = _managed(ctx, headers, client_id)
    metadata = _parse(body)
    if metadata.get("client_id") != client_id:
        raise InvalidClientMetadata("client_id must be the client's own")
    if "client_secret" in metadata and digest(str(metadata["client_secret"])) != client.secret_hash:
        raise InvalidClientMetadata("client_secret does not match")
    fields = client_fields(ctx, metadata)
    fields["grant_types"] = registration_policy.grant_types(fields, ctx.settings)
    method = fields.get("token_endpoint_auth_method")
    if method is not None and (method == "none") != client.is_public:
        raise InvalidClientMetadata("a client cannot change between public and confidential")
    name = _name(metadata, fields)
    changes = {**client_admin.FIELDS, "require_consent": True, "reuse_consent": True, **fields, "name": name}
    del changes["verified"]  # a client cannot verify itself
    with _as_registration_errors():
        current = client_admin.get_client(ctx.tenant.id, client_id)
        _registered_as(client)(current)
        if _changes_metadata(ctx.tenant.id, current, changes):
            changes["verified"] = False
        # Written only over the client as compared: a change meanwhile (an admin's verification,
        # say) is a 409, not a verification carried over to metadata it did not see.
        updated = client_admin.update_client(
            ctx.tenant.id,
            client_id,
            expected=current.version,
            guard=_registered_as(client),
            before_store=lambda draft: registration_policy.check(ctx, draft),
            **changes,
        )
    return Json(describe(ctx, updated), no_store=True)


# A client's metadata, all that RFC 7592 can change (not the consent settings an admin may
# have set, which an update returns to their defaults, nor the verification itself).
NOT_METADATA = ("require_consent", "reuse_consent", "verified")
METADATA = ("name", *(name for name in client_admin.FIELDS if name not in NOT_METADATA))


def _changes_metadata(tenant_id: str, current: Client, changes: Mapping[str, Any]) -> bool:
    """Whether ``changes`` make ``current`` another client than the one an admin verified:
    any field of its metadata, as it would be stored (normalized: a client that sends back
    what a read returned changes nothing). A verification covers the client as it was seen,
    its URIs (redirect, post-logout, front- and back-channel), grant and response types,
    scopes and contacts alike, so any change but a no-op asks for a new one."""
    values = {name: getattr(current, name) for name in client_admin.FIELDS} | dict(changes)
    draft = dataclasses.replace(current, name=changes["name"])
    after = validated(get_tenant(tenant_id), draft, values, None)
    return any(getattr(after, name) != getattr(current, name) for name in METADATA)


def delete(ctx: Context, headers: Mapping[str, str], client_id: str) -> Json:
    """RFC 7592 §2.3: the client, its credentials and its registration token are gone."""
    client = _managed(ctx, headers, client_id)
    with _as_registration_errors():
        client_admin.delete_client(ctx.tenant.id, client_id, guard=_registered_as(client))
    return Json({}, status=204, no_store=True)


def issue_initial_access_token(tenant_id: str, days: int, note: str | None = None) -> str:
    """An initial access token for tenants whose client_registration is "token" (the CLI)."""
    if not 1 <= days <= 365:
        raise AdminError("an initial access token lives 1 to 365 days")
    get_tenant(tenant_id)
    token = new_token()
    now = int(time.time())
    if not store.save_initial_access_token(tenant_id, token, now, now + days * 86400, note):
        raise AdminError("could not issue a fresh initial access token; try again")
    return token


def client_fields(ctx: Context, metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The admin fields a registration's metadata sets; InvalidClientMetadata if malformed."""
    for name, reason in UNSUPPORTED.items():
        if name in metadata:
            raise InvalidClientMetadata(f"{name}: {reason}")
    fields: dict[str, Any] = {}
    for name in LISTS:
        if name in metadata:
            fields[name] = _strings(metadata[name], name)
    for name in (*TEXTS, *RENAMED):
        if name in metadata:
            fields[RENAMED.get(name, name)] = _text(metadata[name], name)
    for name in FLAGS:
        if name in metadata:
            if not isinstance(metadata[name], bool):
                raise InvalidClientMetadata(f"{name} must be true or false")
            fields[name] = metadata[name]
    if "jwks" in metadata:  # a JWK Set, checked with the client (chalicelib.keys.client_jwks)
        if not isinstance(metadata["jwks"], dict):
            raise InvalidClientMetadata("jwks must be a JWK Set (a JSON object)")
        fields["jwks"] = metadata["jwks"]
    if "contacts" in metadata:
        contacts = _strings(metadata["contacts"], "contacts")
        fields["contact_email"] = contacts[0] if contacts else None
    if "scope" in metadata:
        scopes = _text(metadata["scope"], "scope").split()
        known = tenant_scopes(ctx.settings)
        if any(scope not in known for scope in scopes):
            raise InvalidClientMetadata("scope names a scope this provider does not have")
        fields["scopes"] = scopes
    fields.pop("name", None)  # client_name names the client; handled by _name
    return fields


def describe(ctx: Context, client: Client) -> dict[str, Any]:
    """The client's registered metadata, as RFC 7591 §3.2.1 returns it."""
    body: dict[str, Any] = {
        "client_id": client.client_id,
        "client_id_issued_at": client.created_at,
        "client_name": client.name,
        "redirect_uris": list(client.redirect_uris),
        "response_types": list(client.response_types),
        "grant_types": list(client.grant_types),
        "token_endpoint_auth_method": client.token_endpoint_auth_method,
        "id_token_signed_response_alg": client.id_token_signed_response_alg,
        "post_logout_redirect_uris": list(client.post_logout_redirect_uris),
        "frontchannel_logout_session_required": client.frontchannel_logout_session_required,
        "backchannel_logout_session_required": client.backchannel_logout_session_required,
        "require_pushed_authorization_requests": client.require_pushed_authorization_requests,
        "dpop_bound_access_tokens": client.dpop_bound_access_tokens,
        "subject_type": client.subject_type,
        "require_signed_request_object": client.require_signed_request_object,
        "registration_client_uri": f"{ctx.url('registration_endpoint')}/{client.client_id}",
    }
    optional = {
        "client_uri": client.website_url,
        "policy_uri": client.terms_url,
        "logo_uri": client.logo_uri,
        "contacts": [client.contact_email] if client.contact_email else None,
        "scope": " ".join(client.scopes) or None,
        "frontchannel_logout_uri": client.frontchannel_logout_uri,
        "backchannel_logout_uri": client.backchannel_logout_uri,
        "userinfo_signed_response_alg": client.userinfo_signed_response_alg,
        "jwks": client.jwks,
        "jwks_uri": client.jwks_uri,
        "token_endpoint_auth_signing_alg": client.token_endpoint_auth_signing_alg,
        "sector_identifier_uri": client.sector_identifier_uri,
        "request_object_signing_alg": client.request_object_signing_alg,
        "request_uris": list(client.request_uris) or None,
    }
    body.update({name: value for name, value in optional.items() if value is not None})
    return body


def _managed(ctx: Context, headers: Mapping[str, str], client_id: str) -> Client:
    """The client, if the request carries its registration access token. An unknown client
    and a wrong token get the same 401 (RFC 7592 §3)."""
    token = bearer_token(headers, {})
    client = ctx.client(client_id)
    if client is None or client.registration_token_hash is None:
        raise InvalidToken("the registration access token is invalid")
    if not hmac.compare_digest(digest(token), client.registration_token_hash):
        raise InvalidToken("the registration access token is invalid")
    return client


def _registered_as(client: Client) -> client_admin.Guard:
    """A check of each fresh read of the client: still the one whose registration token the
    request carried (the token was checked against a cached copy; a client deleted, or
    deleted and registered again under the same id, is unknown to this request)."""

    def guard(current: Client) -> None:
        if current.registration_token_hash != client.registration_token_hash:
            raise InvalidToken("the registration access token is invalid")

    return guard


def _parse(body: bytes | None) -> dict[str, Any]:
    if body is None:
        raise InvalidClientMetadata("the request body must be application/json")
    try:
        return json_object(body)
    except ValueError as error:
        raise InvalidClientMetadata(str(error)) from None


def _name(metadata: Mapping[str, Any], fields: Mapping[str, Any]) -> str:
    """client_name (runs of spaces made one), else the host of the first redirect URI: the
    consent page names it. Either must pass ``registration_policy`` (no impersonation)."""
    name = metadata.get("client_name")
    if name is not None and not isinstance(name, str):
        raise InvalidClientMetadata("client_name must be a string")
    if name and name.strip():
        return " ".join(name.split()) if name.isprintable() else name
    uris = fields.get("redirect_uris") or ()
    return (urlsplit(uris[0]).hostname if uris else None) or "Unnamed application"


def _strings(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value) or len(value) > 32:
        raise InvalidClientMetadata(f"{name} must be a list of strings")
    return value


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or len(value) > 2048:
        raise InvalidClientMetadata(f"{name} must be a string")
    return value


@contextmanager
def _as_registration_errors() -> Iterator[None]:
    """AdminError → the RFC 7591 error a client can act on. A client gone meanwhile is an
    unknown client (RFC 7592 §3: 401, like a wrong token)."""
    try:
        yield
    except Missing:
        raise InvalidToken("the registration access token is invalid") from None
    except (AdminConflict, PreconditionFailed) as error:
        raise Conflict(str(error)) from None
    except InvalidRedirectUris as error:
        raise InvalidRegistrationRedirectUri(str(error)) from None
    except AdminError as error:
        raise InvalidClientMetadata(str(error)) from None

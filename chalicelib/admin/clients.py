"""Register and manage clients (relying parties). The secret is shown once, stored hashed."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from urllib.parse import urlsplit

from chalicelib.admin import AdminError
from chalicelib.admin.tenants import get_tenant
from chalicelib.keys.keyring import ACTIVE
from chalicelib.oidc.authorize import RESPONSE_TYPES, normalize_response_type
from chalicelib.oidc.redirect_uris import check_registrable
from chalicelib.oidc.scopes import STANDARD_SCOPES
from chalicelib.opaque import digest, new_id, new_token
from chalicelib.store import clients as store
from chalicelib.store.clients import Client
from chalicelib.tenancy.resolve import forget

CLIENT_TYPES = ("confidential", "public")
GRANT_TYPES = ("authorization_code", "refresh_token")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_CLIENT_ID = re.compile(r"[A-Za-z0-9._~-]{1,128}")


def create_client(
    tenant_id: str,
    *,
    name: str,
    client_type: str,
    redirect_uris: Sequence[str],
    response_types: Sequence[str] = ("code",),
    grant_types: Sequence[str] | None = None,
    scopes: Sequence[str] = (),
    id_token_signed_response_alg: str = "RS256",
    require_consent: bool = True,
    reuse_consent: bool = True,
    website_url: str | None = None,
    terms_url: str | None = None,
    contact_email: str | None = None,
    logo_uri: str | None = None,
    post_logout_redirect_uris: Sequence[str] = (),
    client_id: str | None = None,
    client_secret: str | None = None,
) -> tuple[Client, str | None]:
    """A new client and its secret (None for public clients): the only time the secret is
    available in clear. ``client_id``/``client_secret`` are generated unless given."""
    tenant = get_tenant(tenant_id)
    if client_type not in CLIENT_TYPES:
        raise AdminError("client type must be 'confidential' or 'public'")
    if not name.strip():
        raise AdminError("a client needs a name")
    client_id = client_id or new_id()
    if _CLIENT_ID.fullmatch(client_id) is None:
        raise AdminError("client_id may use letters, digits and . _ ~ - (at most 128)")
    secret = None
    if client_type == "confidential":
        secret = client_secret or new_token()
        if len(secret) < 32:
            raise AdminError("a client secret must have at least 32 characters (256 bits when random)")
    elif client_secret:
        raise AdminError("public clients have no secret")
    algs = {key["alg"] for key in tenant.keys if key["status"] == ACTIVE}
    if id_token_signed_response_alg not in algs:
        raise AdminError(f"the tenant has no active {id_token_signed_response_alg} key ({', '.join(sorted(algs))})")
    client = Client(
        tenant_id=tenant_id,
        client_id=client_id,
        name=name.strip(),
        client_type=client_type,
        secret_hash=digest(secret) if secret else None,
        redirect_uris=_redirect_uris(redirect_uris, client_type),
        post_logout_redirect_uris=_redirect_uris(post_logout_redirect_uris, client_type, required=False),
        response_types=_response_types(response_types),
        grant_types=_grant_types(grant_types),
        scopes=_scopes(scopes),
        id_token_signed_response_alg=id_token_signed_response_alg,
        token_endpoint_auth_method="none" if client_type == "public" else "client_secret_basic",
        require_consent=require_consent,
        reuse_consent=reuse_consent,
        website_url=_http_url(website_url, "website_url"),
        terms_url=_http_url(terms_url, "terms_url"),
        contact_email=_email(contact_email),
        logo_uri=_http_url(logo_uri, "logo_uri"),
        created_at=int(time.time()),
    )
    if not store.create_client(client):
        raise AdminError(f"client {client_id} already exists in tenant {tenant_id}")
    forget(tenant_id)
    return client, secret


def get_client(tenant_id: str, client_id: str) -> Client:
    client = store.get_client(tenant_id, client_id)
    if client is None:
        raise AdminError(f"no client {client_id} in tenant {tenant_id}")
    return client


def list_clients(tenant_id: str) -> list[Client]:
    return store.list_clients(tenant_id)


def delete_client(tenant_id: str, client_id: str) -> None:
    get_client(tenant_id, client_id)
    store.delete_client(tenant_id, client_id)
    forget(tenant_id)


def _redirect_uris(uris: Sequence[str], client_type: str, required: bool = True) -> tuple[str, ...]:
    if required and not uris:
        raise AdminError("register at least one redirect URI")
    for uri in uris:
        try:
            check_registrable(uri, client_type)
        except ValueError as error:
            raise AdminError(str(error)) from None
    return tuple(dict.fromkeys(uris))


def _response_types(values: Sequence[str]) -> tuple[str, ...]:
    normalized = tuple(dict.fromkeys(normalize_response_type(value) for value in values))
    unsupported = [value for value in normalized if value not in RESPONSE_TYPES]
    if not normalized or unsupported:
        raise AdminError(f"response types must be among: {', '.join(RESPONSE_TYPES)}")
    return normalized


def _grant_types(values: Sequence[str] | None) -> tuple[str, ...]:
    if values is None:
        return GRANT_TYPES
    unknown = [value for value in values if value not in GRANT_TYPES]
    if unknown or "authorization_code" not in values:
        raise AdminError(f"grant types must include authorization_code, among: {', '.join(GRANT_TYPES)}")
    return tuple(dict.fromkeys(values))


def _scopes(values: Sequence[str]) -> tuple[str, ...]:
    unknown = [value for value in values if value not in STANDARD_SCOPES]
    if unknown:
        raise AdminError(f"unknown scopes: {', '.join(unknown)}")
    return tuple(dict.fromkeys(values))


def _http_url(value: str | None, field: str) -> str | None:
    """Shown as links and images on the consent page: only http(s), never javascript:."""
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise AdminError(f"{field} must be an http(s) URL")
    return value


def _email(value: str | None) -> str | None:
    if not value:
        return None
    if _EMAIL.fullmatch(value) is None:
        raise AdminError("contact_email is not an email address")
    return value

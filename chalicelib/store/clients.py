"""Client (relying party) records, one item per client under its tenant."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from chalicelib.store.models import ClientItem, valid_key_part
from chalicelib.store.versions import at_version, delete_if_unchanged, put_new, replace_if_unchanged, version_of

PREFIX = "client#"


@dataclass(frozen=True)
class Client:
    tenant_id: str
    client_id: str
    name: str
    client_type: str  # "confidential" | "public"
    secret_hash: str | None
    redirect_uris: tuple[str, ...]
    response_types: tuple[str, ...]
    grant_types: tuple[str, ...]
    token_endpoint_auth_method: str
    created_at: int
    post_logout_redirect_uris: tuple[str, ...] = ()
    # Scopes this client may be granted; empty means any scope the tenant knows.
    scopes: tuple[str, ...] = ()
    id_token_signed_response_alg: str = "RS256"
    # Signed UserInfo responses (OIDC Core §5.3.2): None answers plain JSON.
    userinfo_signed_response_alg: str | None = None
    require_consent: bool = True
    reuse_consent: bool = True
    website_url: str | None = None
    terms_url: str | None = None
    contact_email: str | None = None
    logo_uri: str | None = None
    # HS256 clients only: the secret, KMS-encrypted, because their ID tokens are signed with it.
    secret_ciphertext: str | None = None
    # OpenID Connect Front-Channel and Back-Channel Logout 1.0.
    frontchannel_logout_uri: str | None = None
    frontchannel_logout_session_required: bool = False
    backchannel_logout_uri: str | None = None
    backchannel_logout_session_required: bool = False
    # RFC 7592: clients registered dynamically manage themselves with this token (digest).
    registration_token_hash: str | None = None
    # Vouched for by the tenant (created or reviewed by an admin); false for clients that
    # registered themselves until an admin verifies them (chalicelib.admin.clients.FIELDS).
    verified: bool = True
    # Client authentication by JWT (RFC 7523, OIDC Core §9): the public keys of a
    # private_key_jwt client (a JWK Set, or where it is published), and the one algorithm its
    # assertions must use (None: any its method allows).
    jwks: dict[str, Any] | None = None
    jwks_uri: str | None = None
    token_endpoint_auth_signing_alg: str | None = None
    # RFC 9126 §6: this client's authorization requests must be pushed (PAR).
    require_pushed_authorization_requests: bool = False
    # RFC 9449 §5.2: every token request of this client must carry a DPoP proof.
    dpop_bound_access_tokens: bool = False
    # OIDC Core §8: "public" or "pairwise" subject identifiers (chalicelib.oidc.subjects).
    subject_type: str = "public"
    sector_identifier_uri: str | None = None
    # Request objects (RFC 9101, OIDC Core §6; chalicelib.oidc.request_object): the one
    # algorithm its request objects must use (None: any asymmetric one; unsigned only where the
    # tenant allows it), the request_uri values it may send (OIDC Registration §2), and
    # whether every request must come as a signed request object (RFC 9101 §10.5).
    request_object_signing_alg: str | None = None
    request_uris: tuple[str, ...] = ()
    require_signed_request_object: bool = False
    # The stored item's version when this was read: writing it back requires the same one.
    version: int = 0

    @property
    def is_public(self) -> bool:
        return self.client_type == "public"


def get_client(tenant_id: str, client_id: str, consistent: bool = False) -> Client | None:
    """The client; ``consistent`` for a read that will be written back (the admin's)."""
    if not valid_key_part(client_id):
        return None
    try:
        item = ClientItem.get(tenant_id, PREFIX + client_id, consistent_read=consistent)
    except ClientItem.DoesNotExist:
        return None
    return _from_item(item)


def create_client(client: Client) -> Client | None:
    """Store a new client; None if its client_id is taken in the tenant."""
    item = _to_item(client)
    return _from_item(item) if put_new(item) else None


def save_client(client: Client) -> Client | None:
    """Write back a client read at ``client.version`` with changes; the client as stored
    now, or None (nothing written) if it changed since it was read, or was deleted."""
    if not replace_if_unchanged(_to_item(client)):
        return None
    return replace(client, version=client.version + 1)


def delete_client(client: Client) -> bool:
    """Delete the client read as ``client``; False (nothing deleted) if it changed since, or
    is gone already."""
    return delete_if_unchanged(at_version(ClientItem(client.tenant_id, PREFIX + client.client_id), client.version))


def list_clients(tenant_id: str) -> list[Client]:
    query = ClientItem.query(tenant_id, ClientItem.sk.startswith(PREFIX))
    return [_from_item(item) for item in query]


def _to_item(client: Client) -> ClientItem:
    item = ClientItem(
        client.tenant_id,
        PREFIX + client.client_id,
        name=client.name,
        client_type=client.client_type,
        secret_hash=client.secret_hash,
        redirect_uris=list(client.redirect_uris),
        post_logout_redirect_uris=list(client.post_logout_redirect_uris),
        response_types=list(client.response_types),
        grant_types=list(client.grant_types),
        scopes=list(client.scopes),
        id_token_signed_response_alg=client.id_token_signed_response_alg,
        userinfo_signed_response_alg=client.userinfo_signed_response_alg,
        token_endpoint_auth_method=client.token_endpoint_auth_method,
        require_consent=client.require_consent,
        reuse_consent=client.reuse_consent,
        website_url=client.website_url,
        terms_url=client.terms_url,
        contact_email=client.contact_email,
        logo_uri=client.logo_uri,
        created_at=client.created_at,
        secret_ciphertext=client.secret_ciphertext,
        frontchannel_logout_uri=client.frontchannel_logout_uri,
        frontchannel_logout_session_required=client.frontchannel_logout_session_required,
        backchannel_logout_uri=client.backchannel_logout_uri,
        backchannel_logout_session_required=client.backchannel_logout_session_required,
        registration_token_hash=client.registration_token_hash,
        verified=client.verified,
        jwks=client.jwks,
        jwks_uri=client.jwks_uri,
        token_endpoint_auth_signing_alg=client.token_endpoint_auth_signing_alg,
        require_pushed_authorization_requests=client.require_pushed_authorization_requests,
        dpop_bound_access_tokens=client.dpop_bound_access_tokens,
        subject_type=client.subject_type,
        sector_identifier_uri=client.sector_identifier_uri,
        request_object_signing_alg=client.request_object_signing_alg,
        request_uris=list(client.request_uris),
        require_signed_request_object=client.require_signed_request_object,
    )
    return at_version(item, client.version)


def _from_item(item: ClientItem) -> Client:
    return Client(
        tenant_id=item.pk,
        client_id=item.sk[len(PREFIX) :],
        name=item.name,
        client_type=item.client_type,
        secret_hash=item.secret_hash,
        redirect_uris=tuple(item.redirect_uris or ()),
        post_logout_redirect_uris=tuple(item.post_logout_redirect_uris or ()),
        response_types=tuple(item.response_types or ()),
        grant_types=tuple(item.grant_types or ()),
        scopes=tuple(item.scopes or ()),
        id_token_signed_response_alg=item.id_token_signed_response_alg,
        userinfo_signed_response_alg=item.userinfo_signed_response_alg,
        token_endpoint_auth_method=item.token_endpoint_auth_method,
        require_consent=bool(item.require_consent),
        reuse_consent=bool(item.reuse_consent),
        website_url=item.website_url,
        terms_url=item.terms_url,
        contact_email=item.contact_email,
        logo_uri=item.logo_uri,
        created_at=int(item.created_at),
        secret_ciphertext=item.secret_ciphertext,
        frontchannel_logout_uri=item.frontchannel_logout_uri,
        frontchannel_logout_session_required=bool(item.frontchannel_logout_session_required),
        backchannel_logout_uri=item.backchannel_logout_uri,
        backchannel_logout_session_required=bool(item.backchannel_logout_session_required),
        registration_token_hash=item.registration_token_hash,
        verified=_verified(item),
        jwks=item.jwks,
        jwks_uri=item.jwks_uri,
        token_endpoint_auth_signing_alg=item.token_endpoint_auth_signing_alg,
        require_pushed_authorization_requests=bool(item.require_pushed_authorization_requests),
        dpop_bound_access_tokens=bool(item.dpop_bound_access_tokens),
        subject_type=item.subject_type or "public",
        sector_identifier_uri=item.sector_identifier_uri,
        request_object_signing_alg=item.request_object_signing_alg,
        request_uris=tuple(item.request_uris or ()),
        require_signed_request_object=bool(item.require_signed_request_object),
        version=version_of(item),
    )


def _verified(item: ClientItem) -> bool:
    """A client stored before clients were verified: one that registered itself is not."""
    if item.verified is None:
        return item.registration_token_hash is None
    return bool(item.verified)

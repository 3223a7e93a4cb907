"""Authlib, the second RP library, with request objects (RFC 9101) at the dev server.

Authlib's RFC 9101 support is the authorization server's (``authlib.oauth2.rfc9101``): its
client has no request-object builder. So Authlib's own JOSE (``authlib.jose``) signs the
object, its ``OAuth2Session`` sends it as ``request`` (with the outer copies OIDC Core §6.1
has clients send, which the provider ignores), redeems the code with PKCE and validates the
ID token with Authlib's claim classes; Authlib's RFC 9101 metadata class checks the discovery
document's ``require_signed_request_object``."""

from __future__ import annotations

import secrets
import time

import pytest
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import jwt
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oauth2.rfc9101 import AuthorizationServerMetadata

from chalicelib.admin import clients as client_admin
from chalicelib.admin import tenants as tenant_admin
from tests.integration.authlib_client import discover, validated_id_token
from tests.integration.conftest import PASSWORD, REDIRECT_URI
from tests.support.client_keys import private_jwk, public_jwk
from tests.support.user_agent import UserAgent

pytestmark = pytest.mark.parametrize("tenant", ["envelope"], indirect=True)  # the tenant's keys play no part
KINDS = {"RS256": "RSA", "PS256": "RSA", "ES256": "EC", "EdDSA": "OKP"}


def signed_request(client_id: str, issuer: str, alg: str, params: dict[str, str]) -> str:
    """The request object, signed by Authlib's JOSE with the client's key of ``alg``."""
    now = int(time.time())
    claims = {"iss": client_id, "aud": issuer, "client_id": client_id, "iat": now, "exp": now + 300,
              "jti": secrets.token_urlsafe(16), **params}  # fmt: skip
    header = {"alg": alg, "kid": KINDS[alg], "typ": "oauth-authz-req+jwt"}
    return jwt.encode(header, claims, private_jwk(KINDS[alg])).decode()


@pytest.mark.parametrize("alg", list(KINDS))
def test_authlib_sends_a_signed_request_object(provider, issuer, tenant, user, alg):
    tenant_admin.update_settings(tenant.id, {"require_signed_request_object": True})
    jwks = {"keys": [public_jwk(kind, kind) for kind in ("RSA", "EC", "OKP")]}
    client, secret = client_admin.create_client(
        tenant.id, name="Authlib JAR", client_type="confidential", redirect_uris=[REDIRECT_URI], jwks=jwks,
        request_object_signing_alg=alg,
    )  # fmt: skip
    metadata = discover(issuer)
    AuthorizationServerMetadata(metadata).validate_require_signed_request_object()
    assert (
        metadata["require_signed_request_object"] is True
        and alg in metadata["request_object_signing_alg_values_supported"]
    )

    rp = OAuth2Session(
        client.client_id, secret, scope="openid email", redirect_uri=REDIRECT_URI, code_challenge_method="S256"
    )
    verifier, nonce, state = generate_token(48), generate_token(20), generate_token(20)
    inner = {
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "scope": "openid email",
        "state": state,
        "nonce": nonce,
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    request = signed_request(client.client_id, issuer, alg, inner)
    url, _ = rp.create_authorization_url(
        metadata["authorization_endpoint"], state=state, code_verifier=verifier, request=request
    )
    callback = UserAgent(provider).sign_in(url, "alice", PASSWORD)
    token = rp.fetch_token(metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier)
    claims = validated_id_token(metadata, token, client.client_id, nonce)
    assert claims["sub"] == user.sub and token["scope"] == "openid email"

    # Without the object, the same session's plain request is refused: the client must sign.
    plain, _ = rp.create_authorization_url(metadata["authorization_endpoint"], state=state, code_verifier=verifier)
    refused = UserAgent(provider).visit(plain)
    assert refused.status_code == 302 and "error=invalid_request" in refused.headers["Location"]

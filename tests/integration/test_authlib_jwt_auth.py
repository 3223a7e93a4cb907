"""Authlib, a second RP library, authenticates with JWTs at the dev server (RFC 7523, OIDC
Core §9): its PrivateKeyJWT and ClientSecretJWT through the code flow with PKCE and a
refresh, the ID token validated by Authlib's own claim classes.

Authlib puts the token endpoint's URL in ``aud`` unless told otherwise (OIDC Core §9's old
suggestion); the provider takes the issuer alone (RFC 7523bis, FAPI 2.0), so an RP passes
the issuer as the audience, and the URL is refused."""

from __future__ import annotations

import pytest
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import ClientSecretJWT, PrivateKeyJWT

from chalicelib.admin import clients as client_admin
from tests.integration.authlib_client import discover, validated_id_token
from tests.integration.conftest import PASSWORD, REDIRECT_URI
from tests.support.client_keys import private_jwk, public_jwk
from tests.support.user_agent import UserAgent

pytestmark = pytest.mark.parametrize("tenant", ["envelope"], indirect=True)  # the tenant's keys play no part


def session(client_id: str, key, method: str, audience: str | None) -> OAuth2Session:
    """An Authlib session that authenticates with ``method``, signing with ``key`` (the
    private JWK, or the client secret) for ``audience`` (None: Authlib's default, the URL)."""
    rp = OAuth2Session(
        client_id,
        key,
        token_endpoint_auth_method=method,
        scope="openid email",
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
    )
    auth = {"private_key_jwt": PrivateKeyJWT, "client_secret_jwt": ClientSecretJWT}[method]
    rp.register_client_auth_method(auth(audience, alg="RS256" if method == "private_key_jwt" else "HS256"))
    return rp


def sign_in(provider: str, metadata: dict, rp: OAuth2Session) -> tuple[dict, str]:
    verifier, nonce = generate_token(48), generate_token(20)
    url, _ = rp.create_authorization_url(metadata["authorization_endpoint"], nonce=nonce, code_verifier=verifier)
    callback = UserAgent(provider).sign_in(url, "alice", PASSWORD)
    return rp.fetch_token(metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier), nonce


@pytest.mark.parametrize("method", ["private_key_jwt", "client_secret_jwt"])
def test_authlib_authenticates_with_a_jwt_for_the_issuer(provider, issuer, tenant, user, method):
    keys = {"jwks": {"keys": [public_jwk("RSA", "authlib")]}} if method == "private_key_jwt" else {}
    client, secret = client_admin.create_client(
        tenant.id,
        name=f"Authlib {method}",
        client_type="confidential",
        redirect_uris=[REDIRECT_URI],
        token_endpoint_auth_method=method,
        **keys,
    )
    key = {**private_jwk("RSA"), "kid": "authlib"} if method == "private_key_jwt" else secret
    metadata = discover(issuer)
    assert method in metadata["token_endpoint_auth_methods_supported"]
    rp = session(client.client_id, key, method, issuer)
    token, nonce = sign_in(provider, metadata, rp)
    claims = validated_id_token(metadata, token, client.client_id, nonce)
    assert claims["sub"] == user.sub
    assert rp.get(metadata["userinfo_endpoint"]).json()["email"] == "alice@example.com"
    refreshed = rp.refresh_token(metadata["token_endpoint"], refresh_token=token["refresh_token"])
    assert refreshed["access_token"] != token["access_token"]

    # Authlib's default audience, the token endpoint's URL, is refused: invalid_client.
    default = session(client.client_id, key, method, None)
    refused = default.post(
        metadata["token_endpoint"],
        data={"grant_type": "refresh_token", "refresh_token": refreshed["refresh_token"]},
        withhold_token=True,
        auth=default.client_auth(method),
    )
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    assert "issuer" in refused.json()["error_description"]

"""Authlib (a client library we did not write) drives the code flow end to end over HTTP and
validates the ID token against the JWKS itself, on both key backends."""

from __future__ import annotations

import base64
import json

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.oidc.core import CodeIDToken

from tests.integration.conftest import PASSWORD, REDIRECT_URI, client_signing_with
from tests.support.user_agent import UserAgent


def discover(issuer: str) -> dict:
    metadata = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=5).json()
    assert metadata["issuer"] == issuer
    return metadata


def validated_id_token(metadata: dict, token: dict, client_id: str, nonce: str | None) -> dict:
    keys = JsonWebKey.import_key_set(requests.get(metadata["jwks_uri"], timeout=5).json())
    claims = jwt.decode(
        token["id_token"],
        keys,
        claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "values": [metadata["issuer"]]}},
        claims_params={"nonce": nonce, "client_id": client_id, "access_token": token["access_token"]},
    )
    claims.validate()
    return claims


def test_code_flow_with_pkce_userinfo_and_refresh(provider, issuer, tenant, confidential_client, user):
    client, secret = confidential_client
    metadata = discover(issuer)
    rp = OAuth2Session(
        client.client_id,
        secret,
        scope="openid profile email",
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
    )
    verifier, nonce = generate_token(48), generate_token(20)
    url, _ = rp.create_authorization_url(metadata["authorization_endpoint"], nonce=nonce, code_verifier=verifier)
    callback = UserAgent(provider).sign_in(url, "alice", PASSWORD)
    token = rp.fetch_token(metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier)

    claims = validated_id_token(metadata, token, client.client_id, nonce)
    assert claims["sub"] == user.sub
    assert set(token) >= {"access_token", "refresh_token", "id_token", "expires_in"}

    userinfo = rp.get(metadata["userinfo_endpoint"]).json()
    assert userinfo["sub"] == user.sub
    assert userinfo["email"] == "alice@example.com" and userinfo["given_name"] == "Alice"

    refreshed = rp.refresh_token(metadata["token_endpoint"])
    assert refreshed["refresh_token"] != token["refresh_token"]
    assert validated_id_token(metadata, refreshed, client.client_id, None)["sub"] == user.sub


def test_client_secret_post(provider, issuer, confidential_client, user):
    client, secret = confidential_client
    metadata = discover(issuer)
    rp = OAuth2Session(
        client.client_id,
        secret,
        scope="openid",
        redirect_uri=REDIRECT_URI,
        token_endpoint_auth_method="client_secret_post",
    )
    url, _ = rp.create_authorization_url(metadata["authorization_endpoint"], nonce="n")
    callback = UserAgent(provider).sign_in(url, "alice", PASSWORD)
    token = rp.fetch_token(metadata["token_endpoint"], authorization_response=callback)
    assert validated_id_token(metadata, token, client.client_id, "n")["sub"] == user.sub


def test_public_client_with_pkce_and_loopback_redirect(provider, issuer, public_client, user):
    metadata = discover(issuer)
    redirect = "http://127.0.0.1:49152/callback"
    rp = OAuth2Session(
        public_client.client_id,
        scope="openid profile",
        redirect_uri=redirect,
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    )
    verifier = generate_token(64)
    url, _ = rp.create_authorization_url(metadata["authorization_endpoint"], nonce="n2", code_verifier=verifier)
    callback = UserAgent(provider).sign_in(url, "alice", PASSWORD)
    assert callback.startswith(redirect)
    token = rp.fetch_token(metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier)
    assert validated_id_token(metadata, token, public_client.client_id, "n2")["sub"] == user.sub


@pytest.mark.parametrize("alg", ["ES256", "PS256"])
def test_other_signing_algorithms(provider, issuer, tenant, user, alg):
    client, secret = client_signing_with(tenant, alg)
    metadata = discover(issuer)
    assert alg in metadata["id_token_signing_alg_values_supported"]
    rp = OAuth2Session(client.client_id, secret, scope="openid", redirect_uri=REDIRECT_URI)
    url, _ = rp.create_authorization_url(metadata["authorization_endpoint"], nonce="n3")
    token = rp.fetch_token(
        metadata["token_endpoint"], authorization_response=UserAgent(provider).sign_in(url, "alice", PASSWORD)
    )
    header = json.loads(base64.urlsafe_b64decode(token["id_token"].split(".")[0] + "=="))
    assert header["alg"] == alg
    assert validated_id_token(metadata, token, client.client_id, "n3")["sub"] == user.sub

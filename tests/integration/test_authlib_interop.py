"""Authlib (a client library we did not write) drives the code, implicit and hybrid flows end
to end over HTTP and validates every ID token itself (authlib.oidc.core's claim classes:
signature against the JWKS, or the client secret for HS256; iss, aud, exp, nonce, at_hash,
c_hash), on both key backends."""

from __future__ import annotations

import base64
import json

import pytest
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import HybridIDToken, get_claim_cls_by_response_type

from tests.integration.authlib_client import discover, validated_id_token
from tests.integration.conftest import (
    FRONT_CHANNEL,
    PASSWORD,
    REDIRECT_URI,
    client_signing_with,
    expected_fragment,
    fragment_of,
)
from tests.support.user_agent import UserAgent


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


@pytest.mark.parametrize("response_type", FRONT_CHANNEL)
def test_implicit_and_hybrid_flows(provider, issuer, hybrid_client, user, response_type):
    client, secret = hybrid_client
    metadata = discover(issuer)
    assert response_type in metadata["response_types_supported"]
    rp = OAuth2Session(client.client_id, secret, scope="openid email", redirect_uri=REDIRECT_URI)
    nonce = generate_token(20)
    url, state = rp.create_authorization_url(
        metadata["authorization_endpoint"], response_type=response_type, nonce=nonce
    )
    callback = UserAgent(provider).sign_in(url, "alice", PASSWORD)
    fragment = fragment_of(callback)
    assert set(fragment) == expected_fragment(response_type)
    assert fragment["state"] == state and fragment["iss"] == issuer
    if "access_token" in fragment:
        # Authlib reads the fragment itself when it holds a token (checking state and type).
        assert rp.token_from_fragment(callback, state)["access_token"] == fragment["access_token"]
        userinfo = rp.get(metadata["userinfo_endpoint"]).json()
        assert userinfo == {"sub": user.sub, "email": "alice@example.com", "email_verified": True}

    if "id_token" in fragment:
        # ImplicitIDToken or HybridIDToken: nonce required, at_hash and c_hash checked.
        front = validated_id_token(
            metadata, fragment, client.client_id, nonce, get_claim_cls_by_response_type(response_type)
        )
        assert front["sub"] == user.sub
        assert ("at_hash" in front) == ("access_token" in fragment) and ("c_hash" in front) == ("code" in fragment)
    if response_type == "id_token":  # no access token to read UserInfo with (Core §5.4)
        assert front["email"] == "alice@example.com"

    if "code" in fragment:
        token = rp.fetch_token(metadata["token_endpoint"], code=fragment["code"])
        assert set(token) >= {"access_token", "refresh_token", "id_token"}
        assert validated_id_token(metadata, token, client.client_id, nonce)["sub"] == user.sub


@pytest.mark.parametrize("tenant", ["secretsmanager"], indirect=True)  # the tenant's keys play no part
def test_hs256_id_tokens_are_signed_with_the_client_secret(provider, issuer, hs256_client, user):
    client, secret = hs256_client
    metadata = discover(issuer)
    assert "HS256" in metadata["id_token_signing_alg_values_supported"]
    rp = OAuth2Session(client.client_id, secret, scope="openid", redirect_uri=REDIRECT_URI)
    url, state = rp.create_authorization_url(
        metadata["authorization_endpoint"], response_type="code id_token", nonce="n-hs"
    )
    fragment = fragment_of(UserAgent(provider).sign_in(url, "alice", PASSWORD))
    assert fragment["state"] == state

    front = validated_id_token(metadata, fragment, client.client_id, "n-hs", HybridIDToken, key=secret)
    token = rp.fetch_token(metadata["token_endpoint"], code=fragment["code"])
    back = validated_id_token(metadata, token, client.client_id, "n-hs", key=secret)
    assert front.header["alg"] == back.header["alg"] == "HS256"
    assert front["sub"] == back["sub"] == user.sub

    refreshed = rp.refresh_token(metadata["token_endpoint"])
    assert validated_id_token(metadata, refreshed, client.client_id, None, key=secret)["sub"] == user.sub

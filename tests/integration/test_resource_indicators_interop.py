"""Resource indicators (RFC 8707) and the example API (``<issuer>/example/me``, protected by
``@protected``) over HTTP, driven by two client libraries we did not write: openid-client
passes ``resource`` at the authorization and token endpoints and calls the API with
``fetchProtectedResource``; Authlib does the same with its OAuth2Session."""

from __future__ import annotations

import jwt
import pytest
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

from chalicelib.admin import clients as client_admin
from chalicelib.admin import tenants as tenant_admin
from tests.integration.authlib_client import discover
from tests.integration.conftest import PASSWORD, REDIRECT_URI, node_sign_in
from tests.support.node_rp import NodeError
from tests.support.user_agent import UserAgent

OTHER = "https://other.example.com/api"


def aud(access_token: str):
    return jwt.decode(access_token, options={"verify_signature": False})["aud"]


@pytest.fixture
def example(tenant, issuer) -> str:
    """The tenant lists its example API as a resource server (RFC 8707)."""
    tenant_admin.update_settings(tenant.id, {"resource_servers": [f"{issuer}/example"]})
    return f"{issuer}/example"


@pytest.fixture
def service(tenant, example):
    return client_admin.create_client(
        tenant.id,
        name="Interop Service",
        client_type="confidential",
        response_types=[],
        grant_types=["client_credentials"],
        scopes=["profile", "email"],
    )


@pytest.mark.parametrize("tenant", ["envelope", "kms"], indirect=True)
def test_openid_client_gets_tokens_for_the_api_and_calls_it(provider, issuer, example, confidential_client, user, node):
    client, secret = confidential_client
    rp = node.configure(issuer, client, secret)
    # For the API and for the provider's own UserInfo (which the library reads at the callback).
    result, _ = node_sign_in(node, UserAgent(provider), rp, scope="openid profile", resource=[example, issuer])
    tokens = result["tokens"]
    assert aud(tokens["access_token"]) == [example, issuer] and result["userinfo"]["sub"] == user.sub
    me = node("protected_resource", rp=rp, access_token=tokens["access_token"], url=f"{example}/me")
    assert me["status"] == 200 and me["body"]["sub"] == user.sub and me["body"]["client_id"] == client.client_id

    # Narrowed to the API at refresh: the API takes it, UserInfo no longer does.
    narrowed = node("refresh", rp=rp, refresh_token=tokens["refresh_token"], resource=example)["tokens"]
    assert aud(narrowed["access_token"]) == example
    again = node("protected_resource", rp=rp, access_token=narrowed["access_token"], url=f"{example}/me")
    assert again["status"] == 200
    with pytest.raises(NodeError) as refused:
        node("userinfo", rp=rp, access_token=narrowed["access_token"], sub=user.sub)
    assert refused.value.details["status"] == 401
    with pytest.raises(NodeError) as widened:
        node("refresh", rp=rp, refresh_token=narrowed["refresh_token"], resource=OTHER)
    assert widened.value.details["error"] == "invalid_target"


@pytest.mark.parametrize("tenant", ["envelope"], indirect=True)
def test_openid_client_with_a_dpop_key_calls_the_api_with_proofs(
    provider, issuer, example, confidential_client, user, node
):
    """RFC 9449 at the example API: openid-client's DPoP handle binds the tokens at the token
    endpoint and signs a proof for each call (fetchProtectedResource) and for UserInfo."""
    client, secret = confidential_client
    rp = node.configure(issuer, client, secret)
    jkt = node("dpop_key", rp=rp, alg="ES256")["jkt"]
    result, _ = node_sign_in(node, UserAgent(provider), rp, scope="openid profile", resource=[example, issuer])
    tokens = result["tokens"]
    assert tokens["token_type"].lower() == "dpop" and result["userinfo"]["sub"] == user.sub
    assert jwt.decode(tokens["access_token"], options={"verify_signature": False})["cnf"] == {"jkt": jkt}
    for _ in range(2):  # a fresh proof each time (its jti is single-use)
        me = node("protected_resource", rp=rp, access_token=tokens["access_token"], url=f"{example}/me")
        assert me["status"] == 200 and me["body"]["sub"] == user.sub


@pytest.mark.parametrize("tenant", ["envelope"], indirect=True)
def test_openid_client_credentials_for_the_api(provider, issuer, example, service, node):
    client, secret = service
    rp = node.configure(issuer, client, secret)
    tokens = node("client_credentials", rp=rp, scope="profile", resource=example)
    me = node("protected_resource", rp=rp, access_token=tokens["access_token"], url=f"{example}/me")
    assert me["status"] == 200 and me["body"] == {
        "sub": client.client_id,
        "client_id": client.client_id,
        "scope": "profile",
        "aud": example,
    }
    # A token for the provider itself is not one for the API: RFC 6750's challenge says so.
    for_issuer = node("client_credentials", rp=rp, scope="profile")
    with pytest.raises(NodeError) as refused:
        node("protected_resource", rp=rp, access_token=for_issuer["access_token"], url=f"{example}/me")
    assert (refused.value.details["status"], refused.value.details["error"]) == (401, "invalid_token")
    with pytest.raises(NodeError) as unknown:
        node("client_credentials", rp=rp, scope="profile", resource=OTHER)
    assert unknown.value.details["error"] == "invalid_target"


@pytest.mark.parametrize("tenant", ["envelope"], indirect=True)
def test_authlib_gets_a_token_for_the_api_and_calls_it(provider, issuer, example, confidential_client, service, user):
    client, secret = confidential_client
    metadata = discover(issuer)
    rp = OAuth2Session(
        client.client_id, secret, scope="openid profile", redirect_uri=REDIRECT_URI, code_challenge_method="S256"
    )
    verifier = generate_token(48)
    url, _ = rp.create_authorization_url(
        metadata["authorization_endpoint"], nonce=generate_token(20), code_verifier=verifier, resource=example
    )
    callback = UserAgent(provider).sign_in(url, "alice", PASSWORD)
    token = rp.fetch_token(metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier)
    assert aud(token["access_token"]) == example
    me = rp.get(f"{example}/me", timeout=5)
    assert me.status_code == 200 and me.json()["sub"] == user.sub
    assert rp.get(metadata["userinfo_endpoint"], timeout=5).status_code == 401  # not a token for UserInfo

    refreshed = rp.refresh_token(metadata["token_endpoint"])  # the grant keeps its resource
    assert aud(refreshed["access_token"]) == example and rp.get(f"{example}/me", timeout=5).status_code == 200

    service_id, service_secret = service
    machine = OAuth2Session(service_id.client_id, service_secret, scope="profile")
    machine.fetch_token(metadata["token_endpoint"], grant_type="client_credentials", resource=example)
    assert machine.get(f"{example}/me", timeout=5).json()["client_id"] == service_id.client_id
    email_only = OAuth2Session(service_id.client_id, service_secret, scope="email")
    email_only.fetch_token(metadata["token_endpoint"], grant_type="client_credentials", resource=example)
    answer = email_only.get(f"{example}/me", timeout=5)
    assert answer.status_code == 403 and answer.json() == {"error": "insufficient_scope"}
    # Both schemes' challenges (RFC 9449 §7.1): the example API takes DPoP-bound tokens too.
    assert answer.headers["WWW-Authenticate"].startswith('Bearer error="insufficient_scope", scope="profile", DPoP ')

"""Authlib, the second RP library, sends the claims request parameter (OIDC Core §5.5) and
signs in to a public and a pairwise client (§8.1) as the same user, validating every ID token
itself (tests/integration/authlib_client.py). openid-client does the same in
test_claims_and_subjects_interop.py."""

from __future__ import annotations

import json

import pytest
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

from chalicelib.admin import clients as client_admin
from tests.integration.authlib_client import discover, validated_id_token
from tests.integration.conftest import PASSWORD, REDIRECT_URI
from tests.support.user_agent import UserAgent

CLAIMS = {"id_token": {"email": {"essential": True}, "given_name": None}, "userinfo": {"name": None}}


def signed_in(provider: str, metadata: dict, client, secret: str, scope: str, **params: str):
    """The code flow with PKCE through Authlib, extra authorization parameters as given: the
    session, the ID token's claims as Authlib validated them, and UserInfo."""
    rp = OAuth2Session(client.client_id, secret, scope=scope, redirect_uri=REDIRECT_URI, code_challenge_method="S256")
    verifier, nonce = generate_token(48), generate_token(20)
    url, _ = rp.create_authorization_url(
        metadata["authorization_endpoint"], nonce=nonce, code_verifier=verifier, **params
    )
    callback = UserAgent(provider).sign_in(url, "alice", PASSWORD)
    token = rp.fetch_token(metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier)
    claims = validated_id_token(metadata, token, client.client_id, nonce)
    userinfo = rp.get(metadata["userinfo_endpoint"]).json()
    return rp, claims, userinfo


@pytest.mark.parametrize("tenant", ["envelope"], indirect=True)  # the key backend plays no part
def test_claims_parameter_and_pairwise_subjects(provider, issuer, tenant, confidential_client, user):
    metadata = discover(issuer)
    assert metadata["claims_parameter_supported"] is True
    assert set(metadata["subject_types_supported"]) == {"public", "pairwise"}
    client, secret = confidential_client
    claims = json.dumps(CLAIMS)

    _, asked, userinfo = signed_in(provider, metadata, client, secret, "openid profile email", claims=claims)
    assert asked["sub"] == user.sub and userinfo["sub"] == user.sub
    assert asked["email"] == "alice@example.com" and asked["given_name"] == "Alice"
    assert "name" not in asked and userinfo["name"] == "Alice Example"  # asked of UserInfo only
    _, plain, _ = signed_in(provider, metadata, client, secret, "openid profile email")
    assert "email" not in plain  # the tenant keeps claims in UserInfo unless asked

    pairwise, pairwise_secret = client_admin.create_client(
        tenant.id, name="Authlib Pairwise", client_type="confidential", redirect_uris=[REDIRECT_URI],
        subject_type="pairwise",
    )  # fmt: skip
    rp, paired, paired_info = signed_in(provider, metadata, pairwise, pairwise_secret, "openid email", claims=claims)
    sub = paired["sub"]
    assert sub != user.sub and paired_info["sub"] == sub and paired["email"] == "alice@example.com"
    _, again, _ = signed_in(provider, metadata, pairwise, pairwise_secret, "openid")
    assert again["sub"] == sub  # stable for the client, across sign-ins
    refreshed = rp.refresh_token(metadata["token_endpoint"])
    assert validated_id_token(metadata, refreshed, pairwise.client_id, None)["sub"] == sub

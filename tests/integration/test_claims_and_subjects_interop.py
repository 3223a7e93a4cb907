"""openid-client (Node, OpenID Certified) sends the claims request parameter (OIDC Core §5.5)
and signs in to a public and a pairwise client (§8.1) as the same user. openid-client checks
every ID token and that UserInfo's sub is the ID token's (§5.3.2), pairwise or not."""

from __future__ import annotations

import json

import pytest

from chalicelib.admin import clients as client_admin
from tests.integration.conftest import REDIRECT_URI, node_sign_in
from tests.support.user_agent import UserAgent

CLAIMS = {"id_token": {"email": {"essential": True}, "given_name": None}, "userinfo": {"name": None}}


@pytest.mark.parametrize("tenant", ["envelope"], indirect=True)  # the key backend plays no part
def test_claims_parameter_and_pairwise_subjects(provider, issuer, tenant, confidential_client, user, node):
    pairwise = client_admin.create_client(
        tenant.id, name="Interop Pairwise", client_type="confidential", redirect_uris=[REDIRECT_URI],
        subject_type="pairwise",
    )  # fmt: skip
    public_rp = node.configure(issuer, confidential_client[0], confidential_client[1])
    pairwise_rp = node.configure(issuer, pairwise[0], pairwise[1])
    claims = json.dumps(CLAIMS)

    asked, _ = node_sign_in(node, UserAgent(provider), public_rp, scope="openid profile email", claims=claims)
    assert asked["claims"]["sub"] == user.sub
    assert asked["claims"]["email"] == "alice@example.com" and asked["claims"]["given_name"] == "Alice"
    assert "name" not in asked["claims"]  # asked of UserInfo only
    assert asked["userinfo"]["name"] == "Alice Example"

    plain, _ = node_sign_in(node, UserAgent(provider), public_rp, scope="openid profile email")
    assert "email" not in plain["claims"]  # the tenant keeps claims in UserInfo unless asked

    paired, _ = node_sign_in(node, UserAgent(provider), pairwise_rp, scope="openid email", claims=claims)
    sub = paired["claims"]["sub"]
    assert sub != user.sub and paired["userinfo"]["sub"] == sub
    assert paired["claims"]["email"] == "alice@example.com"
    again, _ = node_sign_in(node, UserAgent(provider), pairwise_rp)
    assert again["claims"]["sub"] == sub  # stable for the client, across sign-ins
    refreshed = node("refresh", rp=pairwise_rp, refresh_token=paired["tokens"]["refresh_token"])
    assert refreshed["claims"]["sub"] == sub and refreshed["claims"]["email"] == "alice@example.com"

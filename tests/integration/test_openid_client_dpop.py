"""openid-client 6.9.0 with DPoP (RFC 9449) at the dev server: its DPoP handle signs a proof
for every token and UserInfo request, keeps the DPoP-Nonce the provider sends and retries once
on use_dpop_nonce. The code grant, refresh, UserInfo and introspection, for a public client
(its refresh token bound to the key) at a tenant that requires nonces, and for a confidential
one of each proof algorithm. jose computes the key's RFC 7638 thumbprint: the tokens' cnf.jkt
must be it. Authlib, the second library, has no DPoP (see the report)."""

from __future__ import annotations

import jwt
import pytest
import requests

from chalicelib.admin import clients as client_admin
from chalicelib.admin import tenants as tenant_admin
from tests.integration.conftest import REDIRECT_URI, node_sign_in
from tests.support.dpop import proof
from tests.support.node_rp import NodeError
from tests.support.user_agent import UserAgent

pytestmark = pytest.mark.parametrize("tenant", ["envelope"], indirect=True)  # the tenant's keys play no part


def cnf(access_token: str) -> dict:
    return jwt.decode(access_token, options={"verify_signature": False})["cnf"]


def test_a_public_client_with_nonces_the_code_grant_refresh_and_userinfo(provider, issuer, tenant, user, node):
    tenant_admin.update_settings(tenant.id, {"dpop_nonce_required": True})
    client, _ = client_admin.create_client(
        tenant.id, name="DPoP App", client_type="public", redirect_uris=[REDIRECT_URI], dpop_bound_access_tokens=True
    )
    # Without a nonce the token endpoint answers use_dpop_nonce and hands one out (§8).
    refused = requests.post(
        f"{issuer}/token",
        data={"grant_type": "refresh_token", "refresh_token": "x.y", "client_id": client.client_id},
        headers={"DPoP": proof("POST", f"{issuer}/token")},
        timeout=10,
    )
    assert (refused.status_code, refused.json()["error"]) == (400, "use_dpop_nonce")
    assert refused.headers["DPoP-Nonce"]

    rp = node.configure(issuer, client, None, method="none")
    jkt = node("dpop_key", rp=rp, alg="ES256")["jkt"]
    # openid-client meets use_dpop_nonce at the token endpoint and at UserInfo, and retries.
    result, _ = node_sign_in(node, UserAgent(provider), rp, scope="openid profile")
    assert result["tokens"]["token_type"].lower() == "dpop"
    assert cnf(result["tokens"]["access_token"]) == {"jkt": jkt}
    assert result["userinfo"]["sub"] == user.sub and result["userinfo"]["name"] == "Alice Example"

    refreshed = node("refresh", rp=rp, refresh_token=result["tokens"]["refresh_token"])
    access_token = refreshed["tokens"]["access_token"]
    assert refreshed["claims"]["sub"] == user.sub and cnf(access_token) == {"jkt": jkt}

    # The resource answers with a fresh nonce (§9); the token presented as Bearer is refused (§7.2).
    answer = node("protected_resource", rp=rp, access_token=access_token, url=f"{issuer}/userinfo")
    assert (answer["status"], answer["body"]["sub"]) == (200, user.sub) and answer["nonce"]
    with pytest.raises(NodeError) as refused_bearer:
        node("userinfo", rp=rp, access_token=access_token, sub=user.sub, bearer=True)
    assert (refused_bearer.value.details["status"], refused_bearer.value.details["error"]) == (401, "invalid_token")

    # Another key cannot refresh the public client's token: openid-client with a new key pair.
    node("dpop_key", rp=rp, alg="ES256")
    with pytest.raises(NodeError) as stolen:
        node("refresh", rp=rp, refresh_token=refreshed["tokens"]["refresh_token"])
    assert (stolen.value.details["status"], stolen.value.details["error"]) == (400, "invalid_grant")


@pytest.mark.parametrize("alg", ["ES256", "PS256", "RS256", "Ed25519"])
def test_a_confidential_client_of_each_algorithm_and_introspection(provider, issuer, tenant, user, node, alg):
    client, secret = client_admin.create_client(
        tenant.id,
        name=f"DPoP {alg}",
        client_type="confidential",
        redirect_uris=[REDIRECT_URI],
        scopes=["openid", "profile", "email", "token_introspection"],
    )
    rp = node.configure(issuer, client, secret)
    jkt = node("dpop_key", rp=rp, alg=alg)["jkt"]
    result, _ = node_sign_in(node, UserAgent(provider), rp, scope="openid email")
    assert cnf(result["tokens"]["access_token"]) == {"jkt": jkt}
    assert result["userinfo"]["email"] == "alice@example.com"
    refreshed = node("refresh", rp=rp, refresh_token=result["tokens"]["refresh_token"])
    access_token = refreshed["tokens"]["access_token"]
    introspected = node("introspect", rp=rp, token=access_token)
    assert (introspected["active"], introspected["token_type"], introspected["cnf"]) == (True, "DPoP", {"jkt": jkt})
    # Revocation is client-authenticated: no proof is asked for there (RFC 9449 asks none).
    node("revoke", rp=rp, token=access_token)
    assert node("introspect", rp=rp, token=access_token)["active"] is False


@pytest.mark.parametrize("path", ["token", "userinfo"])
def test_a_browser_app_may_send_a_proof(provider, issuer, path):
    """CORS (DPoP's first users are browser apps): the preflight allows the DPoP header."""
    preflight = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}
    answer = requests.options(f"{issuer}/{path}", headers=preflight, timeout=30)
    assert answer.status_code == 200
    assert "DPoP" in answer.headers["Access-Control-Allow-Headers"].split(",")
    assert {"DPoP-Nonce", "WWW-Authenticate"} <= set(answer.headers["Access-Control-Expose-Headers"].split(","))


def test_a_pushed_request_with_a_proof_binds_the_code(provider, issuer, tenant, user, node):
    """openid-client signs a proof for the push too (RFC 9449 §10.1): the code is bound to its
    key, which it then redeems with; UserInfo takes the bound token."""
    client, _ = client_admin.create_client(
        tenant.id, name="DPoP PAR", client_type="public", redirect_uris=[REDIRECT_URI]
    )
    rp = node.configure(issuer, client, None, method="none")
    jkt = node("dpop_key", rp=rp, alg="ES256")["jkt"]
    result, _ = node_sign_in(node, UserAgent(provider), rp, scope="openid email", par=True)
    assert cnf(result["tokens"]["access_token"]) == {"jkt": jkt}
    assert result["userinfo"]["email"] == "alice@example.com"

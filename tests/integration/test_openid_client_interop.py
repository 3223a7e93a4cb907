"""openid-client (Node, OpenID Certified) as the relying party: discovery, the code flow with
PKCE, the implicit and hybrid flows, UserInfo and refresh, on both key backends.

openid-client validates every ID token: iss, aud, exp, iat, nonce, the response's state and
iss, and the signature against the JWKS (enableNonRepudiationChecks makes it check the token
endpoint's ID tokens too); c_hash in the hybrid flow. It does not check at_hash, so the tests
do, and it verifies no HS256 signature, so jose (openid-client's own JOSE library) does."""

from __future__ import annotations

import jwt
import pytest

from chalicelib.admin import clients as client_admin
from chalicelib.admin import keys as key_admin
from tests.integration.conftest import (
    FRONT_CHANNEL,
    REDIRECT_URI,
    client_signing_with,
    expected_fragment,
    fragment_of,
    half_hash,
    node_sign_in,
)
from tests.support.user_agent import UserAgent

# openid-client fixes the flow per configuration: `code id_token` is its hybrid flow,
# `id_token` its implicit one. Ours add an access token to either; `code token` brings no
# ID token through the browser, so it is a code response that arrives in the fragment.
FLOW_OF = {
    "id_token": "implicit",
    "id_token token": "implicit",
    "code id_token": "hybrid",
    "code id_token token": "hybrid",
    "code token": "code",
}


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_confidential_client(provider, issuer, confidential_client, user, node, method):
    client, secret = confidential_client
    rp = node.configure(issuer, client, secret, method=method)
    result, _ = node_sign_in(node, UserAgent(provider), rp, scope="openid profile email")
    assert result["claims"]["sub"] == user.sub and result["claims"]["iss"] == issuer
    assert result["userinfo"]["email"] == "alice@example.com"
    assert result["claims"]["at_hash"] == half_hash(result["tokens"]["access_token"])
    refreshed = node("refresh", rp=rp, refresh_token=result["tokens"]["refresh_token"])
    assert refreshed["claims"]["sub"] == user.sub
    assert refreshed["tokens"]["refresh_token"] != result["tokens"]["refresh_token"]


def test_public_client(provider, issuer, public_client, user, node):
    rp = node.configure(issuer, public_client, None, method="none")
    result, _ = node_sign_in(node, UserAgent(provider), rp, "http://127.0.0.1:40123/callback", scope="openid profile")
    assert result["claims"]["aud"] == public_client.client_id
    assert result["userinfo"]["name"] == "Alice Example"


@pytest.mark.parametrize("alg", ["ES256", "PS256"])
def test_other_signing_algorithms(provider, issuer, tenant, user, node, alg):
    client, secret = client_signing_with(tenant, alg)
    rp = node.configure(issuer, client, secret, alg=alg)
    result, _ = node_sign_in(node, UserAgent(provider), rp)
    assert result["claims"]["sub"] == user.sub
    assert jwt.get_unverified_header(result["tokens"]["id_token"])["alg"] == alg


@pytest.mark.parametrize("tenant", ["envelope", "secretsmanager"], indirect=True)  # KMS offers no EdDSA here
def test_eddsa_id_tokens_and_signed_userinfo(provider, issuer, tenant, user, node):
    """Ed25519 keys (RFC 8037) sign the ID tokens and the UserInfo responses (OIDC Core
    §5.3.2) of a client that registered both: openid-client verifies each against the JWKS,
    and takes UserInfo only as a JWT signed with the registered algorithm."""
    key_admin.rotate_key(tenant.id, "EdDSA", immediately=True)
    client, secret = client_admin.create_client(
        tenant.id,
        name="Edwards",
        client_type="confidential",
        redirect_uris=[REDIRECT_URI],
        id_token_signed_response_alg="EdDSA",
        userinfo_signed_response_alg="EdDSA",
    )
    rp = node.configure(issuer, client, secret, alg="EdDSA", userinfo_alg="EdDSA")
    result, _ = node_sign_in(node, UserAgent(provider), rp, scope="openid email")
    assert jwt.get_unverified_header(result["tokens"]["id_token"])["alg"] == "EdDSA"
    assert result["claims"]["sub"] == user.sub
    assert result["userinfo"]["sub"] == user.sub and result["userinfo"]["email"] == "alice@example.com"
    assert result["userinfo"]["iss"] == issuer and result["userinfo"]["aud"] == client.client_id


@pytest.mark.parametrize("tenant", ["secretsmanager"], indirect=True)  # the tenant's keys play no part
def test_hs256_id_tokens_are_signed_with_the_client_secret(provider, issuer, hs256_client, user, node):
    client, secret = hs256_client
    rp = node.configure(issuer, client, secret, alg="HS256")
    # openid-client checks the claims and that alg is the registered HS256; jose the MAC.
    result, _ = node_sign_in(node, UserAgent(provider), rp)
    verified = node("verify_with_secret", rp=rp, token=result["tokens"]["id_token"])
    assert verified["header"]["alg"] == "HS256" and verified["claims"] == result["claims"]
    assert result["claims"]["sub"] == user.sub

    refreshed = node("refresh", rp=rp, refresh_token=result["tokens"]["refresh_token"])
    assert node("verify_with_secret", rp=rp, token=refreshed["tokens"]["id_token"])["claims"]["sub"] == user.sub


@pytest.mark.parametrize("response_type", FRONT_CHANNEL)
def test_implicit_and_hybrid_flows(provider, issuer, hybrid_client, user, node, response_type):
    client, secret = hybrid_client
    rp = node.configure(issuer, client, secret, flow=FLOW_OF[response_type])
    result, callback = node_sign_in(node, UserAgent(provider), rp, response_type=response_type, scope="openid email")
    fragment = fragment_of(callback)
    assert set(fragment) == expected_fragment(response_type)
    # The ID token openid-client validated: from the fragment (implicit) or the token endpoint.
    assert result["claims"]["sub"] == user.sub and result["claims"]["aud"] == client.client_id

    if "id_token" in fragment:
        front = jwt.decode(fragment["id_token"], options={"verify_signature": False})  # validated above
        assert front["sub"] == user.sub and front["iss"] == issuer
        if "access_token" in fragment:
            assert front["at_hash"] == half_hash(fragment["access_token"])
        if "code" in fragment:
            assert front["c_hash"] == half_hash(fragment["code"])
    if response_type == "id_token":  # no access token to read UserInfo with (Core §5.4)
        assert result["claims"]["email"] == "alice@example.com"
    if "access_token" in fragment:
        assert result["front_userinfo"] == {"sub": user.sub, "email": "alice@example.com", "email_verified": True}
    if "code" in fragment:
        assert result["userinfo"]["email"] == "alice@example.com" and result["tokens"]["refresh_token"]
        assert result["claims"]["at_hash"] == half_hash(result["tokens"]["access_token"])

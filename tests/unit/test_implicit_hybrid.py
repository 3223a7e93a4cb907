"""The implicit flow (OIDC Core §3.2, RFC 6749 §4.2) and the hybrid flow (OIDC Core §3.3):
tokens in the fragment, bound to the code and to each other by c_hash and at_hash; nonce
required wherever an ID token travels through the browser; HS256 ID tokens signed with the
client's own secret."""

from __future__ import annotations

import base64
import hashlib
import json

import jwt
import pytest

from chalicelib.admin import clients as client_admin
from tests.unit.conftest import REDIRECT_URI
from tests.unit.flows import ISSUER, authorize, body, callback_params, log_in, redeem

ALL = ["code", "id_token", "id_token token", "token", "code id_token", "code token", "code id_token token"]


@pytest.fixture
def rp(tenant):
    return client_admin.create_client(
        tenant.id, name="Hybrid", client_type="confidential", redirect_uris=[REDIRECT_URI], response_types=ALL
    )


def half_hash(value: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(value.encode()).digest()[:16]).rstrip(b"=").decode()


def verify(http, token: str, audience: str) -> dict:
    jwks = json.loads(http.get("/acme/jwks.json", headers={"host": "op.example.test"}).body)
    key = next(k for k in jwks["keys"] if k["kid"] == jwt.get_unverified_header(token)["kid"])
    return jwt.decode(token, jwt.PyJWK(key).key, algorithms=["RS256"], audience=audience, issuer=ISSUER)


def front_channel(browser, client_id: str, response_type: str, **params: str) -> dict[str, str]:
    page = browser.follow(
        authorize(browser, client_id, response_type=response_type, scope="openid email", nonce="n-1", **params)
    )
    if b"Sign in" in page.body:
        page = log_in(browser, page)
    if b"Allow" in page.body:
        page = browser.submit(page, "allow")
    assert ("#" in page.headers["Location"]) == (response_type != "code"), "tokens travel in the fragment"
    return callback_params(page)


def userinfo(http, token: str):
    return http.get("/acme/userinfo", headers={"host": "op.example.test", "authorization": f"Bearer {token}"})


def test_implicit_id_token_only_carries_the_scopes_claims(http, browser, rp, user):
    params = front_channel(browser, rp[0].client_id, "id_token", state="s")
    assert set(params) == {"id_token", "state", "iss"}
    claims = verify(http, params["id_token"], rp[0].client_id)
    assert claims["nonce"] == "n-1" and claims["sub"] == user.sub
    assert claims["email"] == "alice@example.com"  # no access token to read UserInfo with (Core §5.4)
    assert "at_hash" not in claims and "c_hash" not in claims and claims["sid"]


def test_implicit_id_token_and_access_token(http, browser, rp, user):
    params = front_channel(browser, rp[0].client_id, "id_token token")
    assert params["token_type"] == "Bearer" and params["expires_in"] == "3600"
    claims = verify(http, params["id_token"], rp[0].client_id)
    assert claims["at_hash"] == half_hash(params["access_token"]) and "email" not in claims
    assert json.loads(userinfo(http, params["access_token"]).body)["email"] == "alice@example.com"


def test_plain_oauth_implicit_token(http, browser, rp, user):
    params = front_channel(browser, rp[0].client_id, "token")
    assert "id_token" not in params and "code" not in params
    assert userinfo(http, params["access_token"]).status_code == 200


@pytest.mark.parametrize("response_type", ["code id_token", "code token", "code id_token token"])
def test_hybrid_flows(http, browser, rp, user, response_type):
    params = front_channel(browser, rp[0].client_id, response_type)
    returned = response_type.split()
    assert ("id_token" in params) == ("id_token" in returned) and ("access_token" in params) == ("token" in returned)
    if "id_token" in params:
        claims = verify(http, params["id_token"], rp[0].client_id)
        assert claims["c_hash"] == half_hash(params["code"]) and claims["nonce"] == "n-1"
        assert ("at_hash" in claims) == ("token" in returned)
    tokens = body(redeem(http, rp, params["code"]))
    back = verify(http, tokens["id_token"], rp[0].client_id)
    assert back["sub"] == user.sub and back["nonce"] == "n-1"
    assert userinfo(http, tokens["access_token"]).status_code == 200


def test_form_post_carries_hybrid_tokens(browser, rp, user):
    page = browser.follow(
        authorize(browser, rp[0].client_id, response_type="code id_token", nonce="n", response_mode="form_post")
    )
    page = browser.submit(log_in(browser, page), "allow")
    assert page.status_code == 200 and b'name="id_token"' in page.body and b'name="code"' in page.body


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"response_type": "id_token"}, "invalid_request"),  # no nonce
        ({"response_type": "code id_token"}, "invalid_request"),  # no nonce
        ({"response_type": "id_token", "nonce": "n", "scope": "email"}, "invalid_scope"),  # no openid
        ({"response_type": "id_token token", "nonce": "n", "response_mode": "query"}, "invalid_request"),
    ],
)
def test_bad_implicit_requests_come_back_in_the_fragment(browser, rp, table_items, params, error):
    before = table_items()
    response = authorize(browser, rp[0].client_id, state="s", **params)
    assert response.status_code == 302 and "#" in response.headers["Location"]
    answer = callback_params(response)
    assert answer["error"] == error and answer["state"] == "s"
    assert table_items() == before


def test_public_client_may_use_the_implicit_flow_without_pkce(http, browser, tenant, user):
    spa, _ = client_admin.create_client(
        tenant.id,
        name="SPA",
        client_type="public",
        redirect_uris=[REDIRECT_URI],
        response_types=["id_token token"],
    )
    params = front_channel(browser, spa.client_id, "id_token token")
    assert verify(http, params["id_token"], spa.client_id)["sub"] == user.sub


def test_hs256_id_tokens_are_signed_with_the_client_secret(http, browser, tenant, user, table_items):
    registered, secret = client_admin.create_client(
        tenant.id,
        name="HS",
        client_type="confidential",
        redirect_uris=[REDIRECT_URI],
        response_types=["code", "code id_token"],
        id_token_signed_response_alg="HS256",
    )
    assert secret not in json.dumps(table_items())  # kept hashed, and encrypted by KMS
    params = front_channel(browser, registered.client_id, "code id_token")
    front = jwt.decode(params["id_token"], secret, algorithms=["HS256"], audience=registered.client_id, issuer=ISSUER)
    assert front["c_hash"] == half_hash(params["code"]) and "kid" not in jwt.get_unverified_header(params["id_token"])
    tokens = body(redeem(http, (registered, secret), params["code"]))
    back = jwt.decode(tokens["id_token"], secret, algorithms=["HS256"], audience=registered.client_id, issuer=ISSUER)
    assert back["sub"] == user.sub and back["at_hash"] == half_hash(tokens["access_token"])

    rotated, new_secret = client_admin.rotate_secret(tenant.id, registered.client_id)
    again = body(redeem(http, (rotated, new_secret), front_channel(browser, registered.client_id, "code")["code"]))
    assert jwt.decode(again["id_token"], new_secret, algorithms=["HS256"], audience=registered.client_id)

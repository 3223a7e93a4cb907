"""Bad token requests get RFC 6749 §5.2 errors as JSON with no-store; a refused request
writes nothing: the code or refresh token it named still works for its rightful owner."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from chalicelib.admin import clients as client_admin
from tests.unit.conftest import REDIRECT_URI
from tests.unit.flows import basic, body, obtain_code, post_token, redeem

VERIFIER = "k" * 50
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()


def assert_error(response, status: int, error: str) -> None:
    assert response.status_code == status, response.body
    assert body(response)["error"] == error
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Type"] == "application/json"


@pytest.fixture
def code(browser, client, user):
    return obtain_code(browser, client[0].client_id)


def test_client_authentication_failures_are_401_with_a_challenge(http, client, code, table_items):
    registered, secret = client
    before = table_items()
    grant = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    cases = [
        post_token(http, grant),  # no credentials at all
        post_token(http, grant, basic(registered.client_id, "wrong-" + secret)),
        post_token(http, grant, basic("no-such-client", secret)),
        post_token(http, {**grant, "client_id": registered.client_id, "client_secret": secret[:-1]}),
        post_token(http, {**grant, "client_id": registered.client_id}),  # confidential, no secret
        post_token(http, grant, "Basic !!not-base64!!"),
        post_token(http, grant, "Basic " + base64.b64encode(b"no-colon").decode()),
        post_token(http, grant, "Bearer abc"),
    ]
    for response in cases:
        assert_error(response, 401, "invalid_client")
        assert response.headers["WWW-Authenticate"].startswith("Basic realm=")
    assert table_items() == before
    assert redeem(http, client, code).status_code == 200


def test_public_client_may_not_present_a_secret(http, public_client):
    response = post_token(
        http,
        {
            "grant_type": "authorization_code",
            "code": "x",
            "client_id": public_client.client_id,
            "client_secret": "s" * 40,
        },
    )
    assert_error(response, 401, "invalid_client")


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, "invalid_request"),  # no grant_type
        ({"grant_type": "password", "username": "alice", "password": "x"}, "unsupported_grant_type"),
        ({"grant_type": "client_credentials"}, "unauthorized_client"),  # not this client's grant
        ({"grant_type": "authorization_code"}, "invalid_request"),  # no code
        ({"grant_type": "refresh_token"}, "invalid_request"),  # no refresh_token
        ({"grant_type": "authorization_code", "code": "not-a-code", "redirect_uri": REDIRECT_URI}, "invalid_grant"),
        ({"grant_type": "authorization_code", "code": "x" * 5000}, "invalid_request"),
    ],
)
def test_malformed_token_requests(http, client, table_items, data, error):
    before = table_items()
    assert_error(post_token(http, data, basic(client[0].client_id, client[1])), 400, error)
    assert table_items() == before


def test_body_must_be_form_encoded_and_parameters_single(http, client):
    auth = basic(client[0].client_id, client[1])
    as_json = http.post(
        "/acme/token",
        headers={"host": "op.example.test", "content-type": "application/json", "authorization": auth},
        body=json.dumps({"grant_type": "authorization_code"}),
    )
    assert_error(as_json, 400, "invalid_request")
    repeated = http.post(
        "/acme/token",
        headers={"host": "op.example.test", "content-type": "application/x-www-form-urlencoded", "authorization": auth},
        body="grant_type=authorization_code&code=a&code=b",
    )
    assert_error(repeated, 400, "invalid_request")
    both_ways = post_token(http, {"grant_type": "authorization_code", "code": "a", "client_secret": client[1]}, auth)
    assert_error(both_ways, 400, "invalid_request")


def test_code_is_single_use(http, client, code):
    assert redeem(http, client, code).status_code == 200
    assert_error(redeem(http, client, code), 400, "invalid_grant")


def test_code_bound_to_client_and_redirect_uri(http, client, code, tenant, table_items):
    other, other_secret = client_admin.create_client(
        tenant.id, name="Other", client_type="confidential", redirect_uris=[REDIRECT_URI]
    )
    before = table_items()
    assert_error(redeem(http, (other, other_secret), code), 400, "invalid_grant")
    assert_error(redeem(http, client, code, redirect_uri="https://rp.example.com/other"), 400, "invalid_grant")
    assert table_items() == before
    assert redeem(http, client, code).status_code == 200


def test_expired_code_is_refused_before_ttl_deletes_it(http, client, code, monkeypatch):
    from chalicelib.web import routes

    now = routes.clock()
    monkeypatch.setattr(routes, "clock", lambda: now + 601)
    assert_error(redeem(http, client, code), 400, "invalid_grant")


def test_pkce_verifier_must_match(http, browser, client, user, table_items):
    code = obtain_code(browser, client[0].client_id, code_challenge=CHALLENGE, code_challenge_method="S256")
    before = table_items()
    assert_error(redeem(http, client, code), 400, "invalid_grant")  # verifier missing
    assert_error(redeem(http, client, code, code_verifier="w" * 50), 400, "invalid_grant")
    assert_error(redeem(http, client, code, code_verifier=CHALLENGE), 400, "invalid_grant")  # not plain
    assert_error(redeem(http, client, code, code_verifier="short"), 400, "invalid_grant")
    assert table_items() == before
    assert redeem(http, client, code, code_verifier=VERIFIER).status_code == 200


def test_plain_pkce(http, browser, client, user):
    code = obtain_code(browser, client[0].client_id, code_challenge=VERIFIER, code_challenge_method="plain")
    assert_error(redeem(http, client, code, code_verifier=CHALLENGE), 400, "invalid_grant")
    assert redeem(http, client, code, code_verifier=VERIFIER).status_code == 200


def test_verifier_for_a_code_without_challenge_is_a_downgrade(http, client, code):
    assert_error(redeem(http, client, code, code_verifier=VERIFIER), 400, "invalid_grant")
    assert redeem(http, client, code).status_code == 200


def refresh(http, client, token: str, **extra: str):
    data = {"grant_type": "refresh_token", "refresh_token": token, **extra}
    return post_token(http, data, basic(client[0].client_id, client[1]))


def test_refresh_token_rotation_and_refusals(http, client, tenant, code, table_items, monkeypatch):
    from chalicelib.web import routes

    tokens = body(redeem(http, client, code))
    other = client_admin.create_client(
        tenant.id, name="Other", client_type="confidential", redirect_uris=[REDIRECT_URI]
    )
    before = table_items()
    assert_error(refresh(http, other, tokens["refresh_token"]), 400, "invalid_grant")
    assert_error(refresh(http, client, tokens["refresh_token"], scope="openid email"), 400, "invalid_scope")
    assert_error(refresh(http, client, "no-such-token"), 400, "invalid_grant")
    assert table_items() == before

    narrowed = refresh(http, client, tokens["refresh_token"], scope="openid")
    assert narrowed.status_code == 200 and body(narrowed)["scope"] == "openid"
    assert_error(refresh(http, client, tokens["refresh_token"]), 400, "invalid_grant")  # rotated: used up

    latest = body(narrowed)["refresh_token"]
    now = routes.clock()
    monkeypatch.setattr(routes, "clock", lambda: now + 31 * 86400)
    assert_error(refresh(http, client, latest), 400, "invalid_grant")


def test_client_without_refresh_grant_gets_no_refresh_token(http, browser, tenant, user):
    registered, secret = client_admin.create_client(
        tenant.id,
        name="No refresh",
        client_type="confidential",
        redirect_uris=[REDIRECT_URI],
        grant_types=["authorization_code"],
    )
    code = obtain_code(browser, registered.client_id)
    tokens = body(redeem(http, (registered, secret), code))
    assert "refresh_token" not in tokens
    forged = post_token(
        http, {"grant_type": "refresh_token", "refresh_token": "x"}, basic(registered.client_id, secret)
    )
    assert_error(forged, 400, "unauthorized_client")

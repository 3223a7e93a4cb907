"""client_credentials and password grants; introspection (RFC 7662) and revocation
(RFC 7009); and the revocation that follows a replayed code or refresh token (RFC 6749
§4.1.2, RFC 9700 §4.14.2): every token of the grant stops working."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import jwt
import pytest

from chalicelib.admin import clients as client_admin
from chalicelib.admin import tenants as tenant_admin
from chalicelib.admin import users as user_admin
from tests.unit.conftest import PASSWORD, REDIRECT_URI
from tests.unit.flows import FORM, basic, body, obtain_code, post_token, redeem
from tests.unit.test_token_errors import assert_error

HOST = {"host": "op.example.test", "content-type": FORM}


@pytest.fixture
def books(tenant):
    extra = {"books:read": {"title": "Read books", "description": "See the library.", "claims": []}}
    tenant_admin.update_settings(tenant.id, {"extra_scopes": extra})


@pytest.fixture
def service(tenant, books):
    return client_admin.create_client(
        tenant.id,
        name="Service",
        client_type="confidential",
        response_types=[],
        grant_types=["client_credentials"],
        scopes=["books:read"],
    )


@pytest.fixture
def resource_server(tenant, client, service):
    """A back end that may introspect the web client's and the service's tokens."""
    return client_admin.create_client(
        tenant.id,
        name="API",
        client_type="confidential",
        response_types=[],
        grant_types=["client_credentials"],
        scopes=["token_introspection", client[0].client_id, service[0].client_id],
    )


def post(http, path: str, data: dict[str, str], credentials) -> dict | None:
    registered, secret = credentials
    response = http.post(
        f"/acme/{path}", headers={**HOST, "authorization": basic(registered.client_id, secret)}, body=_form(data)
    )
    assert response.headers["Cache-Control"] == "no-store"
    return response


def introspect(http, token: str, credentials, **extra: str) -> dict:
    response = post(http, "introspect", {"token": token, **extra}, credentials)
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def _form(data: dict[str, str]) -> str:
    return urlencode(data)


def userinfo(http, token: str):
    return http.get("/acme/userinfo", headers={"host": "op.example.test", "authorization": f"Bearer {token}"})


def test_client_credentials_gets_its_arranged_scopes_only(http, service, resource_server):
    tokens = body(post_token(http, {"grant_type": "client_credentials"}, basic(service[0].client_id, service[1])))
    assert tokens["scope"] == "books:read" and "refresh_token" not in tokens and "id_token" not in tokens
    found = introspect(http, tokens["access_token"], resource_server)
    assert found["active"] and found["client_id"] == found["sub"] == service[0].client_id
    assert found["scope"] == "books:read" and "username" not in found
    wider = post_token(http, {"grant_type": "client_credentials", "scope": "openid"}, basic(*_id(service)))
    assert_error(wider, 400, "invalid_scope")
    assert userinfo(http, tokens["access_token"]).status_code == 403  # no openid scope: no user to describe


def _id(credentials):
    return credentials[0].client_id, credentials[1]


def test_password_grant_is_off_until_the_tenant_enables_it(http, tenant, user, clock):
    registered, secret = client_admin.create_client(
        tenant.id,
        name="Legacy",
        client_type="confidential",
        redirect_uris=[REDIRECT_URI],
        grant_types=["authorization_code", "refresh_token", "password"],
    )
    grant = {"grant_type": "password", "username": "alice", "password": PASSWORD, "scope": "openid email"}
    assert_error(post_token(http, grant, basic(registered.client_id, secret)), 400, "unsupported_grant_type")

    tenant_admin.update_settings(tenant.id, {"grant_type_password_enable": True})
    tokens = body(post_token(http, grant, basic(registered.client_id, secret)))
    assert {"access_token", "refresh_token", "id_token"} <= set(tokens)
    assert json.loads(userinfo(http, tokens["access_token"]).body)["email"] == "alice@example.com"
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    refreshed = body(post_token(http, refresh, basic(registered.client_id, secret)))
    # No browser session stands behind a password grant: no sid for logout to match.
    assert "sid" not in jwt.decode(refreshed["id_token"], options={"verify_signature": False})
    wrong = {**grant, "password": "not the password"}
    for _ in range(5):
        assert_error(post_token(http, wrong, basic(registered.client_id, secret)), 400, "invalid_grant")
    locked = post_token(http, grant, basic(registered.client_id, secret))
    assert_error(locked, 400, "invalid_grant")
    assert "too many" in body(locked)["error_description"]


def test_introspection_of_access_and_refresh_tokens(http, browser, client, resource_server, user):
    tokens = body(redeem(http, client, obtain_code(browser, client[0].client_id, scope="openid email")))
    access = introspect(http, tokens["access_token"], resource_server)
    assert access["active"] and access["sub"] == user.sub and access["username"] == "alice"
    assert access["client_id"] == client[0].client_id and access["token_type"] == "Bearer"
    assert access["scope"] == "openid email" and access["iss"] == "http://op.example.test/acme"
    refresh = introspect(http, tokens["refresh_token"], resource_server, token_type_hint="refresh_token")
    assert refresh["active"] and refresh["token_type"] == "refresh_token" and refresh["sub"] == user.sub
    for junk in ("junk", tokens["access_token"][:-4] + "AAAA", "a.b.c", "x" * 4000):
        assert introspect(http, junk, resource_server) == {"active": False}


def test_introspection_is_for_permitted_confidential_clients(http, browser, client, tenant, user):
    tokens = body(redeem(http, client, obtain_code(browser, client[0].client_id)))
    # The web client has no token_introspection scope.
    assert_error(post(http, "introspect", {"token": tokens["access_token"]}, client), 400, "unauthorized_client")
    # A permitted client sees only the tokens of the clients its scopes name.
    other = client_admin.create_client(
        tenant.id, name="Other API", client_type="confidential", response_types=[],
        grant_types=["client_credentials"], scopes=["token_introspection"],
    )  # fmt: skip
    assert introspect(http, tokens["access_token"], other) == {"active": False}
    tenant_admin.update_settings(tenant.id, {"introspection_validate_audience_scope": False})
    assert introspect(http, tokens["access_token"], other)["active"]
    assert_error(post(http, "introspect", {}, other), 400, "invalid_request")


def test_revoking_a_refresh_token_revokes_the_grant(http, browser, client, resource_server, user, table_items):
    tokens = body(redeem(http, client, obtain_code(browser, client[0].client_id)))
    # Another client's revocation is answered alike and does nothing.
    other = client_admin.create_client(
        client[0].tenant_id, name="Other", client_type="confidential", redirect_uris=[REDIRECT_URI]
    )
    before = table_items()
    assert post(http, "revoke", {"token": tokens["refresh_token"]}, other).status_code == 200
    assert post(http, "revoke", {"token": "not-a-token"}, other).status_code == 200
    assert table_items() == before

    assert post(http, "revoke", {"token": tokens["refresh_token"]}, client).status_code == 200
    assert userinfo(http, tokens["access_token"]).status_code == 401
    assert introspect(http, tokens["access_token"], resource_server) == {"active": False}
    refreshed = post_token(
        http, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}, basic(*_id(client))
    )
    assert_error(refreshed, 400, "invalid_grant")


def test_revoking_an_access_token_revokes_its_refresh_token_too(http, browser, client, user):
    tokens = body(redeem(http, client, obtain_code(browser, client[0].client_id)))
    revoked = post(http, "revoke", {"token": tokens["access_token"], "token_type_hint": "access_token"}, client)
    assert revoked.status_code == 200 and json.loads(revoked.body) == {}
    assert userinfo(http, tokens["access_token"]).status_code == 401
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    assert_error(post_token(http, refresh, basic(*_id(client))), 400, "invalid_grant")


def test_public_clients_revoke_their_own_tokens(http, browser, public_client, user):
    from tests.unit.test_token_errors import CHALLENGE, VERIFIER

    redirect = "http://127.0.0.1/callback"
    code = obtain_code(
        browser, public_client.client_id, redirect_uri=redirect, code_challenge=CHALLENGE, code_challenge_method="S256"
    )
    grant = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect, "code_verifier": VERIFIER}
    tokens = body(post_token(http, {**grant, "client_id": public_client.client_id}))
    response = http.post(
        "/acme/revoke",
        headers=HOST,
        body=_form({"token": tokens["access_token"], "client_id": public_client.client_id}),
    )
    assert response.status_code == 200 and userinfo(http, tokens["access_token"]).status_code == 401


def test_a_replayed_code_revokes_what_it_yielded(http, browser, client, user):
    code = obtain_code(browser, client[0].client_id)
    tokens = body(redeem(http, client, code))
    assert_error(redeem(http, client, code), 400, "invalid_grant")
    assert userinfo(http, tokens["access_token"]).status_code == 401
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    assert_error(post_token(http, refresh, basic(*_id(client))), 400, "invalid_grant")


def test_a_replayed_refresh_token_revokes_the_grant(http, browser, client, user):
    tokens = body(redeem(http, client, obtain_code(browser, client[0].client_id)))
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    rotated = body(post_token(http, refresh, basic(*_id(client))))
    assert_error(post_token(http, refresh, basic(*_id(client))), 400, "invalid_grant")  # the old one, again
    assert userinfo(http, rotated["access_token"]).status_code == 401
    newest = {"grant_type": "refresh_token", "refresh_token": rotated["refresh_token"]}
    assert_error(post_token(http, newest, basic(*_id(client))), 400, "invalid_grant")


def test_a_disabled_user_cannot_log_in_and_its_tokens_die(http, browser, client, user, tenant):
    tokens = body(redeem(http, client, obtain_code(browser, client[0].client_id)))
    user_admin.set_active(tenant.id, "alice", False)
    assert userinfo(http, tokens["access_token"]).status_code == 401
    from tests.unit.flows import authorize

    fresh = type(browser)(http)
    page = fresh.follow(authorize(fresh, client[0].client_id))
    assert fresh.submit(page, "login", username="alice", password=PASSWORD).status_code == 401
    user_admin.set_active(tenant.id, "alice", True)
    # Enabled again, the user signs in afresh; what was issued before the cut-off stays dead.
    assert userinfo(http, tokens["access_token"]).status_code == 401
    fresh_tokens = body(redeem(http, client, obtain_code(fresh, client[0].client_id)))
    assert userinfo(http, fresh_tokens["access_token"]).status_code == 200


def test_tenant_scopes_release_their_claims(http, browser, tenant, client, books):
    extra = {"books:read": {"title": "Read books", "description": "See the library.", "claims": ["library_card"]}}
    tenant_admin.update_settings(tenant.id, {"extra_scopes": extra})
    user_admin.create_user(tenant.id, "bob", PASSWORD, {"library_card": {"number": 42}})
    from tests.unit.flows import authorize, callback_params, log_in

    consent = log_in(browser, browser.follow(authorize(browser, client[0].client_id, scope="openid books:read")), "bob")
    assert b"Read books" in consent.body and b"See the library." in consent.body
    tokens = body(redeem(http, client, callback_params(browser.submit(consent, "allow"))["code"]))
    claims = json.loads(userinfo(http, tokens["access_token"]).body)
    assert claims["library_card"] == {"number": 42}

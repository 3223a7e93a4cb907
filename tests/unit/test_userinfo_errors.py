"""UserInfo refuses what RFC 6750 §3.1 says it must, with the right challenge."""

from __future__ import annotations

import pytest

from chalicelib.admin import tenants as tenant_admin
from tests.support.browser import HOST
from tests.unit.flows import body, obtain_code, redeem


@pytest.fixture
def tokens(http, browser, client, user):
    return body(redeem(http, client, obtain_code(browser, client[0].client_id, scope="openid profile")))


def userinfo(http, authorization: str | None = None, form: str | None = None, tenant: str = "acme"):
    headers = {"host": HOST}
    if authorization:
        headers["authorization"] = authorization
    if form is not None:
        headers["content-type"] = "application/x-www-form-urlencoded"
        return http.post(f"/{tenant}/userinfo", headers=headers, body=form)
    return http.get(f"/{tenant}/userinfo", headers=headers)


def test_missing_token_is_a_bare_challenge(http, tenant):
    response = userinfo(http)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="http://op.example.test/acme"'


def _nested(depth: int) -> str:
    """A JWT-shaped token whose header is JSON nested ``depth`` deep: Python's parser recurses."""
    import base64

    return base64.urlsafe_b64encode(b"[" * depth).decode().rstrip("=") + ".e30.c2ln"


@pytest.mark.parametrize(
    "value", ["Bearer not-a-jwt", "Bearer a.b.c", "Basic dXNlcjpwYXNz", "Bearer ", f"Bearer {_nested(1100)}"]
)
def test_bad_tokens_are_invalid_token(http, tenant, value):
    response = userinfo(http, value)
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert response.headers["Cache-Control"] == "no-store"


def test_id_token_is_not_an_access_token(http, tokens):
    assert userinfo(http, f"Bearer {tokens['id_token']}").status_code == 401


def test_token_of_another_tenant_is_refused(http, tokens, client):
    tenant_admin.create_tenant("other", "Other")
    response = userinfo(http, f"Bearer {tokens['access_token']}", tenant="other")
    assert response.status_code == 401


def test_expired_token_is_refused(http, tokens, monkeypatch):
    from chalicelib.web import routes

    now = routes.clock()
    monkeypatch.setattr(routes, "clock", lambda: now + 3601)
    assert userinfo(http, f"Bearer {tokens['access_token']}").status_code == 401


def test_token_in_header_and_body_is_invalid_request(http, tokens):
    token = tokens["access_token"]
    response = userinfo(http, f"Bearer {token}", form=f"access_token={token}")
    assert response.status_code == 400 and body(response)["error"] == "invalid_request"


def test_access_token_without_openid_scope_is_insufficient(http, browser, client, user):
    tokens = body(redeem(http, client, obtain_code(browser, client[0].client_id, scope="profile")))
    assert "id_token" not in tokens  # plain OAuth 2.0: no openid scope, no ID token
    response = userinfo(http, f"Bearer {tokens['access_token']}")
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]

"""The tenant admin API over HTTP: a tenant's admin key manages that tenant's clients,
users, settings and registration tokens, and nothing of any other tenant's."""

from __future__ import annotations

import json

import pytest

from chalicelib.admin import tenants as tenant_admin
from tests.unit.conftest import PASSWORD, REDIRECT_URI
from tests.unit.flows import authorize, log_in

HOST = "op.example.test"


@pytest.fixture
def key(tenant):
    return tenant_admin.issue_admin_key(tenant.id, "tests")[0]


def call(http, method: str, path: str, key: str | None, payload=None):
    headers = {"host": HOST, "content-type": "application/json"}
    if key:
        headers["authorization"] = f"Bearer {key}"
    body = json.dumps(payload) if payload is not None else ""
    response = http.request(method, f"/admin/tenants/acme{path}", headers=headers, body=body)
    return response, (json.loads(response.body) if response.body else None)


def test_clients_through_their_lifecycle(http, browser, key, user, table_items):
    response, created = call(
        http, "POST", "/clients", key,
        {"name": "Portal", "client_type": "confidential", "redirect_uris": [REDIRECT_URI], "scopes": ["openid"]},
    )  # fmt: skip
    assert response.status_code == 201 and response.headers["Cache-Control"] == "no-store"
    client_id, secret = created["client_id"], created["client_secret"]
    assert len(secret) >= 43 and "secret_hash" not in created
    assert secret not in json.dumps(table_items())

    _, listed = call(http, "GET", "/clients", key)
    assert [c["client_id"] for c in listed["clients"]] == [client_id]
    _, updated = call(
        http, "PATCH", f"/clients/{client_id}", key, {"name": "Portal 2", "logo_uri": "https://x.example/l.png"}
    )
    assert updated["name"] == "Portal 2" and updated["redirect_uris"] == [REDIRECT_URI]
    page = log_in(browser, browser.follow(authorize(browser, client_id)))
    assert b"Portal 2" in page.body  # the consent page names the client as changed (cache forgotten)

    _, rotated = call(http, "POST", f"/clients/{client_id}/secret", key)
    assert rotated["client_secret"] != secret
    response, _ = call(http, "DELETE", f"/clients/{client_id}", key)
    assert response.status_code == 204
    assert call(http, "GET", f"/clients/{client_id}", key)[0].status_code == 404


def test_users_through_their_lifecycle(http, key):
    response, alice = call(http, "POST", "/users", key, {"username": "alice", "password": PASSWORD,
                                                          "claims": {"email": "a@example.com"}})  # fmt: skip
    assert response.status_code == 201 and alice["username"] == "alice" and "password" not in json.dumps(alice)
    _, changed = call(http, "PATCH", "/users/alice", key, {"claims": {"email": None, "name": "Alice"}, "active": False})
    assert changed["claims"] == {"name": "Alice"} and changed["active"] is False
    _, page = call(http, "GET", "/users", key)
    assert [u["sub"] for u in page["users"]] == [alice["sub"]] and page["next"] is None
    assert call(http, "DELETE", "/users/alice", key)[0].status_code == 204
    assert call(http, "GET", "/users/alice", key)[0].status_code == 404


def test_settings_and_branding(http, key, tenant):
    _, updated = call(
        http, "PATCH", "", key, {"settings": {"branding": {"display_name": "Acme ID", "primary_color": "#112233"}}}
    )
    assert updated["settings"]["branding"]["display_name"] == "Acme ID" and "ref" not in json.dumps(updated["keys"])
    response, refused = call(http, "PATCH", "", key, {"settings": {"key_backend": "kms"}})
    assert response.status_code == 400 and "operator" in refused["error_description"]
    _, token = call(http, "POST", "/registration-tokens", key, {"days": 2})
    assert len(token["initial_access_token"]) >= 43


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        ("POST", "/clients", {"name": "X", "client_type": "confidential", "redirect_uris": "https://x.example/cb"}),
        ("POST", "/clients", {"name": "X", "client_type": "confidential", "redirect_uris": ["http://x.example/cb"]}),
        ("POST", "/clients", {"name": "X", "client_type": "public", "require_consent": "no", "redirect_uris": []}),
        ("POST", "/clients", {"name": "X", "client_type": "public", "secret_hash": "x"}),
        ("POST", "/users", {"username": "bob", "password": "short"}),
        ("POST", "/users", {"username": "bob", "password": PASSWORD, "claims": {"role": "admin"}}),
        ("PATCH", "", {"settings": {"token_expire": -1}}),
        ("PATCH", "", {"settings": "everything"}),
        ("POST", "/registration-tokens", {"days": 9999}),
    ],
)
def test_bad_requests_are_refused_and_write_nothing(http, key, table_items, method, path, payload):
    before = table_items()
    response, error = call(http, method, path, key, payload)
    assert response.status_code == 400 and error["error"] == "invalid_request"
    assert table_items() == before


def test_keys_open_their_own_tenant_only(http, key, tenant, table_items):
    tenant_admin.create_tenant("globex", "Globex")
    other = tenant_admin.issue_admin_key("globex")[0]
    before = table_items()
    for credentials in (None, "guess", other):
        response, error = call(http, "POST", "/users", credentials, {"username": "eve", "password": PASSWORD})
        assert response.status_code == 401 and error["error"] == "invalid_token"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert table_items() == before
    assert call(http, "GET", "/clients", key)[0].status_code == 200


def test_a_revoked_key_stops_working(http, key, tenant):
    from chalicelib.store.admin_keys import list_admin_keys

    (record,) = list_admin_keys(tenant.id)
    tenant_admin.revoke_admin_key(tenant.id, record.key_id)
    assert call(http, "GET", "/clients", key)[0].status_code == 401

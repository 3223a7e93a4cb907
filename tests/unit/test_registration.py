"""Dynamic client registration (RFC 7591) and its management (RFC 7592): off by default,
with an initial access token or open per tenant; the registered client signs users in, and
manages itself with its registration access token."""

from __future__ import annotations

import json

import pytest

from chalicelib.admin import tenants as tenant_admin
from chalicelib.admin.registration import issue_initial_access_token
from tests.unit.conftest import REDIRECT_URI
from tests.unit.flows import body, obtain_code, redeem

HOST = "op.example.test"
METADATA = {
    "redirect_uris": [REDIRECT_URI],
    "client_name": "Self-registered",
    "contacts": ["dev@rp.example.com"],
    "scope": "openid email",
    "post_logout_redirect_uris": ["https://rp.example.com/bye"],
    "backchannel_logout_uri": "https://rp.example.com/backchannel",
}


def send(http, method: str, path: str, payload=None, token: str | None = None, content_type="application/json"):
    headers = {"host": HOST, "content-type": content_type}
    if token:
        headers["authorization"] = f"Bearer {token}"
    data = payload if isinstance(payload, str) or payload is None else json.dumps(payload)
    return getattr(http, method.lower())(path, headers=headers, body=data or "")


@pytest.fixture
def open_registration(tenant):
    tenant_admin.update_settings(tenant.id, {"client_registration": "open"})


def test_registration_is_off_by_default(http, tenant, table_items):
    before = table_items()
    response = send(http, "POST", "/acme/register", METADATA)
    assert response.status_code == 403 and json.loads(response.body)["error"] == "access_denied"
    assert table_items() == before
    discovery = json.loads(http.get("/acme/.well-known/openid-configuration", headers={"host": HOST}).body)
    assert "registration_endpoint" not in discovery


def test_registered_client_signs_a_user_in_and_manages_itself(http, browser, tenant, user, open_registration):
    response = send(http, "POST", "/acme/register", METADATA)
    assert response.status_code == 201 and response.headers["Cache-Control"] == "no-store"
    registered = json.loads(response.body)
    assert registered["client_name"] == "Self-registered" and registered["contacts"] == ["dev@rp.example.com"]
    assert registered["grant_types"] == ["authorization_code", "refresh_token"]
    assert registered["token_endpoint_auth_method"] == "client_secret_basic"
    assert registered["registration_client_uri"] == f"http://{HOST}/acme/register/{registered['client_id']}"
    assert len(registered["client_secret"]) >= 43 and registered["client_secret_expires_at"] == 0

    from chalicelib.store.clients import get_client

    client = get_client(tenant.id, registered["client_id"])
    code = obtain_code(browser, client.client_id)
    assert "id_token" in body(redeem(http, (client, registered["client_secret"]), code))

    uri, token = f"/acme/register/{client.client_id}", registered["registration_access_token"]
    read = json.loads(send(http, "GET", uri, token=token).body)
    assert read["redirect_uris"] == [REDIRECT_URI] and "client_secret" not in read

    changed = {**METADATA, "client_id": client.client_id, "client_name": "Renamed", "scope": "openid"}
    updated = send(http, "PUT", uri, changed, token=token)
    assert updated.status_code == 200 and json.loads(updated.body)["client_name"] == "Renamed"
    assert get_client(tenant.id, client.client_id).name == "Renamed"

    assert send(http, "GET", uri, token="wrong").status_code == 401
    assert send(http, "DELETE", uri, token=token).status_code == 204
    assert get_client(tenant.id, client.client_id) is None
    assert send(http, "GET", uri, token=token).status_code == 401


def test_public_native_client(http, open_registration):
    native = {
        "redirect_uris": ["com.example.app:/cb", "http://127.0.0.1/cb"],
        "token_endpoint_auth_method": "none",
        "application_type": "native",
    }
    registered = json.loads(send(http, "POST", "/acme/register", native).body)
    assert "client_secret" not in registered and registered["token_endpoint_auth_method"] == "none"


def test_initial_access_token_policy(http, tenant, table_items):
    tenant_admin.update_settings(tenant.id, {"client_registration": "token"})
    before = table_items()
    assert send(http, "POST", "/acme/register", METADATA).status_code == 401
    assert send(http, "POST", "/acme/register", METADATA, token="guess").status_code == 401
    assert table_items() == before
    token = issue_initial_access_token(tenant.id, days=1)
    assert send(http, "POST", "/acme/register", METADATA, token=token).status_code == 201


@pytest.mark.parametrize(
    ("metadata", "error"),
    [
        ({"redirect_uris": ["http://rp.example.com/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["https://rp.example.com/cb#x"]}, "invalid_redirect_uri"),
        ({"redirect_uris": []}, "invalid_redirect_uri"),
        ({"redirect_uris": "https://rp.example.com/cb"}, "invalid_client_metadata"),
        ({**METADATA, "jwks_uri": "http://rp.example.com/jwks"}, "invalid_client_metadata"),
        ({**METADATA, "jwks_uri": "https://10.0.0.7/jwks"}, "invalid_client_metadata"),
        ({**METADATA, "jwks": {"keys": []}}, "invalid_client_metadata"),
        ({**METADATA, "jwks": "keys"}, "invalid_client_metadata"),
        ({**METADATA, "token_endpoint_auth_method": "private_key_jwt"}, "invalid_client_metadata"),
        ({**METADATA, "token_endpoint_auth_signing_alg": "RS256"}, "invalid_client_metadata"),
        ({**METADATA, "scope": "openid token_introspection"}, "invalid_client_metadata"),
        (
            {**METADATA, "response_types": ["code token"], "grant_types": ["authorization_code"]},
            "invalid_client_metadata",
        ),
        ({**METADATA, "logo_uri": "javascript:alert(1)"}, "invalid_client_metadata"),
        # Pairwise across two hosts needs a sector_identifier_uri (OIDC Core §8.1).
        (
            {**METADATA, "subject_type": "pairwise", "redirect_uris": [REDIRECT_URI, "https://b.example/cb"]},
            "invalid_client_metadata",
        ),
        ({**METADATA, "backchannel_logout_session_required": "yes"}, "invalid_client_metadata"),
        ("not json", "invalid_client_metadata"),
        ("[1, 2]", "invalid_client_metadata"),
    ],
)
def test_bad_metadata_gets_the_spec_error_and_writes_nothing(http, open_registration, table_items, metadata, error):
    before = table_items()
    response = send(http, "POST", "/acme/register", metadata)
    assert response.status_code == 400 and json.loads(response.body)["error"] == error
    assert table_items() == before


def test_form_body_is_not_metadata(http, open_registration):
    response = send(http, "POST", "/acme/register", "redirect_uris=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and json.loads(response.body)["error"] == "invalid_client_metadata"

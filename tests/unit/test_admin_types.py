"""Admin API fields of the wrong type or size (issue 7, item 7): `redirect_uris: null` once
answered 500. Every one is a 400 invalid_request that writes nothing."""

from __future__ import annotations

import json

import pytest

from chalicelib.admin import tenants as tenant_admin
from tests.support.browser import HOST
from tests.unit.conftest import PASSWORD, REDIRECT_URI

NEW = {"name": "X", "client_type": "confidential", "redirect_uris": [REDIRECT_URI]}
CLIENT_FIELDS = [
    {"redirect_uris": None},
    {"redirect_uris": REDIRECT_URI},
    {"redirect_uris": [5]},
    {"redirect_uris": [[REDIRECT_URI]]},
    {"redirect_uris": [REDIRECT_URI] * 33},
    {"post_logout_redirect_uris": None},
    {"response_types": None},
    {"response_types": "code"},
    {"grant_types": [1]},
    {"grant_types": "authorization_code"},
    {"scopes": None},
    {"scopes": [["openid"]]},
    {"scopes": ["openid"] * 33},
    {"require_consent": "yes"},
    {"require_consent": 1},
    {"require_consent": None},
    {"reuse_consent": []},
    {"frontchannel_logout_session_required": "true"},
    {"id_token_signed_response_alg": None},
    {"id_token_signed_response_alg": 256},
    {"token_endpoint_auth_method": 5},
    {"website_url": []},
    {"terms_url": {"href": "https://x.example"}},
    {"logo_uri": 5},
    {"contact_email": 5},
    {"contact_email": "a" * 250 + "@x.example"},
    {"backchannel_logout_uri": True},
    {"name": 5},
    {"name": ""},
    {"name": "x" * 129},
    {"name": None},
    {"secret_hash": "x"},
    {"unknown": 1},
]


@pytest.fixture
def key(tenant):
    return tenant_admin.issue_admin_key(tenant.id, "tests")[0]


def call(http, key: str, method: str, path: str, payload) -> tuple[int, dict]:
    headers = {"host": HOST, "content-type": "application/json", "authorization": f"Bearer {key}"}
    response = http.request(method, f"/admin/tenants/acme{path}", headers=headers, body=json.dumps(payload))
    return response.status_code, json.loads(response.body) if response.body else {}


def test_client_fields_of_the_wrong_type(http, key, client, table_items):
    before = table_items()
    for fields in CLIENT_FIELDS:
        for method, path, payload in [
            ("POST", "/clients", {**NEW, **fields}),
            ("PATCH", f"/clients/{client[0].client_id}", fields),
        ]:
            status, error = call(http, key, method, path, payload)
            assert status == 400 and error["error"] == "invalid_request" and error["error_description"], payload
    assert table_items() == before


OTHER_FIELDS = [
    ("POST", "/clients", {**NEW, "client_id": 5}),
    ("POST", "/clients", {**NEW, "client_id": ["a"]}),
    ("POST", "/clients", {**NEW, "client_id": ""}),
    ("POST", "/clients", {**NEW, "client_type": ["public"]}),
    ("PATCH", "/clients/{client_id}", {"client_id": "another"}),
    ("PATCH", "/clients/{client_id}", {"client_id": 5}),
    ("POST", "/users", {"username": 5, "password": PASSWORD}),
    ("POST", "/users", {"username": "bob", "password": 5}),
    ("POST", "/users", {"username": "bob", "password": "x" * 4097}),
    ("POST", "/users", {"username": "bob", "password": PASSWORD, "claims": []}),
    ("POST", "/users", {"username": "bob", "password": PASSWORD, "claims": "name=Bob"}),
    ("POST", "/users", {"username": "bob", "password": PASSWORD, "role": "admin"}),
    ("POST", "/users", {"username": "x" * 129, "password": PASSWORD}),
    ("PATCH", "/users/alice", {"active": "no"}),
    ("PATCH", "/users/alice", {"active": 0}),
    ("PATCH", "/users/alice", {"password": 5}),
    ("PATCH", "/users/alice", {"claims": 5}),
    # Checked before the first write: the valid claims are not written either.
    ("PATCH", "/users/alice", {"claims": {"name": "Alice B"}, "password": "short"}),
    ("PATCH", "/users/alice", {"claims": {"name": "Alice B"}, "active": "no"}),
    ("POST", "/registration-tokens", {"days": True}),
    ("POST", "/registration-tokens", {"days": "7"}),
    ("POST", "/registration-tokens", {"days": 1.5}),
    ("POST", "/registration-tokens", {"days": 10**20}),
    ("POST", "/registration-tokens", {"note": 5}),
    ("POST", "/registration-tokens", {"note": "x" * 257}),
    ("POST", "/registration-tokens", {"days": 7, "scope": "admin"}),
    ("PATCH", "", {}),
    ("PATCH", "", {"settings": {}, "name": "Renamed"}),
    ("PATCH", "", {"settings": None}),
    ("PATCH", "", {"settings": [["token_expire", 900]]}),
]


def test_other_admin_fields_of_the_wrong_type(http, key, client, user, table_items):
    before = table_items()
    for method, path, payload in OTHER_FIELDS:
        status, error = call(http, key, method, path.format(client_id=client[0].client_id), payload)
        assert status == 400 and error["error"] == "invalid_request" and error["error_description"], payload
    assert table_items() == before

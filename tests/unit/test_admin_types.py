"""Admin API fields of the wrong type or size (issue 7, item 7): `redirect_uris: null` once
answered 500. Every one is a 400 invalid_request that writes nothing."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from chalicelib.admin import tenants as tenant_admin
from tests.support.browser import HOST
from tests.support.hostile import BAD_CLIENT_FIELDS, NEW_CLIENT, OTHER_ADMIN_FIELDS


@pytest.fixture
def key(tenant):
    return tenant_admin.issue_admin_key(tenant.id, "tests")[0]


def call(http, key: str, method: str, path: str, payload) -> tuple[int, dict]:
    headers = {"host": HOST, "content-type": "application/json", "authorization": f"Bearer {key}"}
    response = http.request(method, f"/admin/tenants/acme{path}", headers=headers, body=json.dumps(payload))
    return response.status_code, json.loads(response.body) if response.body else {}


def test_client_fields_of_the_wrong_type(http, key, client, table_items):
    before = table_items()
    for fields in BAD_CLIENT_FIELDS:
        for method, path, payload in [
            ("POST", "/clients", {**NEW_CLIENT, **fields}),
            ("PATCH", f"/clients/{client[0].client_id}", fields),
        ]:
            status, error = call(http, key, method, path, payload)
            assert status == 400 and error["error"] == "invalid_request" and error["error_description"], payload
    assert table_items() == before


def test_other_admin_fields_of_the_wrong_type(http, key, client, user, table_items):
    before = table_items()
    for method, path, payload in OTHER_ADMIN_FIELDS:
        status, error = call(http, key, method, path.format(client_id=client[0].client_id, user="alice"), payload)
        assert status == 400 and error["error"] == "invalid_request" and error["error_description"], payload
    assert table_items() == before


def test_a_users_page_starts_only_where_a_previous_one_ended(http, key, user):
    headers = {"host": HOST, "authorization": f"Bearer {key}"}
    for after in ("\U0001f600" * 200, "a\x00b", "a" * 5000):
        response = http.get(f"/admin/tenants/acme/users?{urlencode({'after': after})}", headers=headers)
        assert response.status_code == 400 and json.loads(response.body)["error"] == "invalid_request"
    response = http.get("/admin/tenants/acme/users?after=a&after=b", headers=headers)
    assert response.status_code == 400 and "repeated" in json.loads(response.body)["error_description"]
    assert http.get("/admin/tenants/acme/users?after=zzz", headers=headers).status_code == 200

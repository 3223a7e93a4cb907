"""Admin API fields of the wrong type or size (issue 7, item 7): `redirect_uris: null` once
answered 500. Every one is a 400 invalid_request that writes nothing."""

from __future__ import annotations

import json

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

"""Keys through the tenant admin API: list, force a rotation (published first, or at once),
retire; with the CLI's field names; refusals write nothing. And the cache lifetime the JWKS
and discovery advertise, which a rotation's pre-publication time must exceed."""

from __future__ import annotations

import json
import logging

import pytest

from chalicelib.admin import tenants as tenant_admin
from chalicelib.keys.rotation import JWKS_MAX_AGE
from chalicelib.opaque import digest
from chalicelib.store.admin_keys import KEY_ID
from chalicelib.tenancy.settings import BOUNDS
from tests.unit.test_admin_api import HOST, call


@pytest.fixture
def key(tenant):
    return tenant_admin.issue_admin_key(tenant.id, "tests")[0]


def jwks_kids(http) -> list[str]:
    return [key["kid"] for key in json.loads(http.get("/acme/jwks.json", headers={"host": HOST}).body)["keys"]]


def test_a_forced_rotation_is_published_before_it_signs(http, key, tenant, caplog):
    caplog.set_level(logging.INFO, logger="oidc.events")
    (first,) = call(http, "GET", "/keys", key)[1]["keys"]
    assert first["status"] == "active" and first["backend"] == "envelope"
    assert not {"wrapped_key", "sealed_key", "ref", "jwk"} & set(first)  # nothing of the material
    response, rotated = call(http, "POST", "/keys", key, {"alg": "RS256"})
    assert response.status_code == 201 and rotated["status"] == "next"
    assert rotated["activates_at"] - rotated["created_at"] == tenant_admin.get_tenant("acme").settings.get(
        "key_prepublish_seconds", 86400
    )
    assert jwks_kids(http) == [first["kid"], rotated["kid"]]
    # Cancelled (it never signed), then a rotation at once: the old key stays published, inactive.
    assert call(http, "DELETE", f"/keys/{rotated['kid']}", key)[0].status_code == 204
    assert jwks_kids(http) == [first["kid"]]
    response, now = call(http, "POST", "/keys", key, {"immediately": True})
    assert response.status_code == 201 and now["status"] == "active"
    statuses = {k["kid"]: k["status"] for k in call(http, "GET", "/keys", key)[1]["keys"]}
    assert statuses == {first["kid"]: "inactive", rotated["kid"]: "retired", now["kid"]: "active"}
    assert jwks_kids(http) == [first["kid"], now["kid"]]
    changes = [json.loads(r.getMessage()) for r in caplog.records if '"key_r' in r.getMessage()]
    actor = f"api-key:{digest(key)[:KEY_ID]}"  # the key's id, never the key
    assert [(c["event"], c["actor"]) for c in changes] == [
        ("key_rotated", actor), ("key_retired", actor), ("key_rotated", actor)
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "payload", "status"),
    [
        ("POST", "/keys", {"alg": "HS256"}, 400),
        ("POST", "/keys", {"alg": "none"}, 400),
        ("POST", "/keys", {"alg": 256}, 400),
        ("POST", "/keys", {"immediately": "yes"}, 400),
        ("POST", "/keys", {"backend": "kms"}, 400),  # where keys live is the operator's
        ("DELETE", "/keys/no-such-kid", None, 404),
        ("DELETE", "/keys/" + "x" * 300, None, 404),
    ],
)
def test_bad_key_requests_are_refused_and_write_nothing(http, key, table_items, method, path, payload, status):
    before = table_items()
    response, _ = call(http, method, path, key, payload)
    assert response.status_code == status
    assert table_items() == before


def test_the_active_key_cannot_be_retired(http, key, table_items):
    (first,) = call(http, "GET", "/keys", key)[1]["keys"]
    before = table_items()
    response, error = call(http, "DELETE", f"/keys/{first['kid']}", key)
    assert response.status_code == 400 and "rotate before retiring" in error["error_description"]
    assert table_items() == before


@pytest.mark.parametrize("path", ["/acme/jwks.json", "/acme/.well-known/openid-configuration"])
def test_jwks_and_discovery_advertise_a_cache_lifetime_below_the_pre_publication(http, tenant, path):
    response = http.get(path, headers={"host": HOST})
    assert response.headers["Cache-Control"] == f"public, max-age={JWKS_MAX_AGE}"
    # An RP's copy expires, and a container's cached tenant (30 s) too, before a key signs.
    assert BOUNDS["key_prepublish_seconds"][0] > JWKS_MAX_AGE + 30

"""Tenant settings have their types and sane bounds (issue 7, item 7): a lifetime of 10**20
seconds once made every login and token request of the tenant answer 500. Refused by the
admin API (400 invalid_request) and the admin services alike, with nothing written."""

from __future__ import annotations

import json

import pytest

from chalicelib.admin import AdminError
from chalicelib.admin import tenants as tenant_admin
from chalicelib.tenancy.settings import BOUNDS
from tests.support.browser import HOST
from tests.support.hostile import BAD_SETTINGS
from tests.support.hostile import HOSTILE_URIS as HOSTILE
from tests.unit.flows import body, obtain_code, redeem


def patch(http, key: str, settings) -> tuple[int, dict]:
    headers = {"host": HOST, "content-type": "application/json", "authorization": f"Bearer {key}"}
    response = http.request("PATCH", "/admin/tenants/acme", headers=headers, body=json.dumps({"settings": settings}))
    return response.status_code, json.loads(response.body)


@pytest.fixture
def key(tenant):
    return tenant_admin.issue_admin_key(tenant.id, "tests")[0]


@pytest.mark.parametrize(("name", "bounds"), sorted(BOUNDS.items()))
def test_whole_number_settings_have_bounds(http, key, table_items, name, bounds):
    low, high = bounds
    for accepted in (low, high):
        assert patch(http, key, {name: accepted})[0] == 200
    before = table_items()
    zero = (0,) if low > 0 else ()  # a count of free failures may be zero; a lifetime may not
    for refused in (low - 1, high + 1, 10**20, -(10**20), *zero, True, 1.5, 600.0, "600", None, [600], {"s": 600}):
        status, error = patch(http, key, {name: refused})
        assert status == 400 and error["error"] == "invalid_request", refused
        assert f"{name} must be a whole number from {low} to {high}" in error["error_description"]
    assert table_items() == before


BOOLEANS = [
    "idtoken_include_claims",
    "session_management_enable",
    "grant_type_password_enable",
    "introspection_validate_audience_scope",
    "allow_plain_pkce",
]


def test_true_or_false_settings_are_booleans(http, key, table_items):
    before = table_items()
    for name in BOOLEANS:
        for refused in (1, 0, "true", None, [], {}):
            status, error = patch(http, key, {name: refused})
            assert status == 400 and f"{name} must be true or false" in error["error_description"], refused
    assert table_items() == before


def test_settings_of_the_wrong_shape_are_refused(http, key, table_items):
    before = table_items()
    for settings in BAD_SETTINGS:
        status, error = patch(http, key, settings)
        assert status == 400 and error["error"] == "invalid_request" and error["error_description"], settings
        with pytest.raises(AdminError):
            tenant_admin.update_settings("acme", settings)
    assert table_items() == before


def test_the_tenant_logo_is_a_strict_uri(http, key, table_items):
    before = table_items()
    for logo_uri in [*HOSTILE, ["https://x.example/l.png"], "javascript:alert(1)"]:
        status, error = patch(http, key, {"branding": {"logo_uri": logo_uri}})
        assert status == 400 and error["error"] == "invalid_request", logo_uri
    assert table_items() == before


def test_a_refused_lifetime_leaves_the_tenant_working(http, browser, key, client, user):
    """The reported attack: code_expire 10**20, then the login and token endpoints."""
    assert patch(http, key, {"code_expire": 10**20})[0] == 400
    assert patch(http, key, {"token_expire": 10**20, "idtoken_expire": 10**20})[0] == 400
    assert patch(http, key, {"code_expire": 600, "session_expire": 365 * 86400})[0] == 200
    tokens = body(redeem(http, client, obtain_code(browser, client[0].client_id)))
    assert tokens["expires_in"] == 3600 and "id_token" in tokens


def test_a_record_stored_before_the_rules_still_serves_its_tenant(http, browser, client, user, caplog):
    """Writes are checked; a tenant record written before the bounds existed is served with
    its lifetimes brought within them and anything else that fails at its default, rather
    than failing every request of the tenant."""
    import dataclasses

    from chalicelib.store import tenants as tenant_store
    from chalicelib.tenancy.resolve import forget, resolve_tenant
    from chalicelib.tenancy.settings import Branding

    stored = tenant_store.get_tenant("acme")
    legacy = {
        "code_expire": 10**20,
        "token_expire": 2 * 86400,
        "idtoken_expire": True,
        "branding": {"display_name": "Acme", "logo_uri": "https://cdn.example/logo.png;v=1"},
        "session_management_enable": True,
    }
    tenant_store.save_tenant(dataclasses.replace(stored, settings={**stored.settings, **legacy}))
    forget()
    tokens = body(redeem(http, client, obtain_code(browser, client[0].client_id)))
    assert tokens["expires_in"] == 86400 and "id_token" in tokens
    settings = resolve_tenant("acme").settings
    assert (settings.code_expire, settings.idtoken_expire, settings.session_management_enable) == (600, 60, True)
    assert settings.branding == Branding() and "tenant setting branding ignored" in caplog.text

"""A disabled tenant, as RPs, browsers and tenant admins meet it: every endpoint under it
answers 403 ``tenant_disabled`` (JSON, or an HTML page where a browser is), its codes and
tokens are refused everywhere they are used and nothing is written, other tenants serve as
before; enabled again, it serves again. Warm containers follow within the cache lifetime."""

from __future__ import annotations

import json
import logging
from urllib.parse import urlencode

import pytest

from chalicelib.admin import lifecycle
from chalicelib.admin import tenants as tenant_admin
from chalicelib.store import tenants as tenant_store
from chalicelib.tenancy import resolve
from chalicelib.ttlcache import TTLCache
from tests.unit.flows import FORM, basic, body, obtain_code, post_token, redeem

HOST = {"host": "op.example.test"}
JSON = {**HOST, "content-type": "application/json"}
# Every route under a tenant: (method, path, headers, body, answered as a page).
ENDPOINTS = {
    "discovery": ("GET", "/acme/.well-known/openid-configuration", HOST, "", False),
    "oauth metadata": ("GET", "/.well-known/oauth-authorization-server/acme", HOST, "", False),
    "jwks": ("GET", "/acme/jwks.json", HOST, "", False),
    "authorize": ("GET", "/acme/authorize?client_id=x&response_type=code&scope=openid", HOST, "", True),
    "login": ("GET", "/acme/login?ticket=x", HOST, "", True),
    "login form": ("POST", "/acme/login", {**HOST, "content-type": FORM}, "username=a&password=b", True),
    "consent": ("GET", "/acme/consent?ticket=x", HOST, "", True),
    "end-session": ("GET", "/acme/end-session", HOST, "", True),
    "check-session": ("GET", "/acme/check-session", HOST, "", True),
    "token": ("POST", "/acme/token", {**HOST, "content-type": FORM}, "grant_type=client_credentials", False),
    "userinfo": ("GET", "/acme/userinfo", {**HOST, "authorization": "Bearer x"}, "", False),
    "introspect": ("POST", "/acme/introspect", {**HOST, "content-type": FORM}, "token=x", False),
    "revoke": ("POST", "/acme/revoke", {**HOST, "content-type": FORM}, "token=x", False),
    "register": ("POST", "/acme/register", JSON, "{}", False),
    "registration": ("GET", "/acme/register/x", {**HOST, "authorization": "Bearer x"}, "", False),
    "admin tenant": ("GET", "/admin/tenants/acme", {**HOST, "authorization": "Bearer x"}, "", False),
    "admin users": ("GET", "/admin/tenants/acme/users", {**HOST, "authorization": "Bearer x"}, "", False),
}


@pytest.fixture
def disabled(tenant):
    return lifecycle.disable_tenant(tenant.id)


@pytest.mark.parametrize("endpoint", ENDPOINTS.values(), ids=ENDPOINTS.keys())
def test_every_endpoint_of_a_disabled_tenant_says_so(http, disabled, table_items, endpoint):
    method, path, headers, payload, page = endpoint
    before = table_items(limits=True)
    response = http.request(method, path, headers=headers, body=payload)
    assert response.status_code == 403
    if page:
        assert response.headers["Content-Type"].startswith("text/html")
        assert b"tenant_disabled" in response.body and b"disabled by the operator" in response.body
    else:
        assert json.loads(response.body) == {
            "error": "tenant_disabled",
            "error_description": "this tenant is disabled by the operator of the service",
        }
    assert table_items(limits=True) == before  # refused before anything is counted or written


def test_its_codes_and_tokens_stop_working_and_come_back_with_it(http, browser, client, user, table_items):
    code = obtain_code(browser, client[0].client_id)
    tokens = body(redeem(http, client, obtain_code(browser, client[0].client_id, prompt="none")))
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    credentials = basic(client[0].client_id, client[1])
    bearer = {**HOST, "authorization": f"Bearer {tokens['access_token']}"}
    lifecycle.disable_tenant("acme")
    before = table_items()

    uses = {
        "code": redeem(http, client, code),
        "refresh token": post_token(http, refresh, credentials),
        "userinfo": http.get("/acme/userinfo", headers=bearer),
        "introspection": http.post(
            "/acme/introspect",
            headers={**HOST, "content-type": FORM, "authorization": credentials},
            body=urlencode({"token": tokens["access_token"]}),
        ),
        "session": browser.get("http://op.example.test/acme/authorize", {"client_id": client[0].client_id}),
    }
    assert {use: response.status_code for use, response in uses.items()} == dict.fromkeys(uses, 403)
    assert table_items() == before  # the code is not spent, the grant not rotated

    lifecycle.enable_tenant("acme")  # disabling suspends, it does not revoke: see the README
    assert post_token(http, refresh, credentials).status_code == 200
    assert http.get("/acme/userinfo", headers=bearer).status_code == 200


def test_other_tenants_are_untouched(http, tenant):
    tenant_admin.create_tenant("globex", "Globex")
    lifecycle.disable_tenant("acme")
    assert http.get("/globex/.well-known/openid-configuration", headers=HOST).status_code == 200
    assert tenant_store.get_tenant("globex").status == "active"


def test_the_status_is_a_versioned_write_with_an_event(tenant, caplog):
    caplog.set_level(logging.INFO, logger="oidc.events")
    disabled = lifecycle.disable_tenant("acme")
    assert disabled.status == "disabled" and disabled.version == tenant.version + 1
    assert lifecycle.disable_tenant("acme").version == disabled.version  # already disabled: no write, no event
    enabled = lifecycle.enable_tenant("acme")
    assert (enabled.status, enabled.version) == ("active", disabled.version + 1)
    events = [json.loads(r.getMessage()) for r in caplog.records if r.name == "oidc.events"]
    assert [(e["event"], e["tenant"], e["actor"]) for e in events] == [
        ("tenant_disabled", "acme", "cli"),
        ("tenant_enabled", "acme", "cli"),
    ]
    # A settings change made from a copy read before the status changed is refused, not
    # written over the status (the tenant's version moved on).
    assert tenant_store.save_tenant(tenant) is None


def test_a_warm_container_follows_within_the_cache_lifetime(http, tenant, monkeypatch):
    """Another container's disable reaches this one when its cached copy expires:
    CACHE_TTL_SECONDS (30 s by default) is the bound."""
    now = [1000.0]
    monkeypatch.setattr(resolve, "_tenants", TTLCache(30, clock=lambda: now[0]))
    discovery = "/acme/.well-known/openid-configuration"
    assert http.get(discovery, headers=HOST).status_code == 200  # cached here
    from chalicelib.store import lifecycle as lifecycle_store

    lifecycle_store.set_status(tenant_store.get_tenant("acme"), "disabled", 0)  # elsewhere: no forget()
    now[0] += 29.9
    assert http.get(discovery, headers=HOST).status_code == 200
    now[0] += 0.2
    assert http.get(discovery, headers=HOST).status_code == 403


@pytest.mark.parametrize("action", [lifecycle.disable_tenant, lifecycle.enable_tenant])
def test_an_unknown_tenant_is_refused(action):
    with pytest.raises(lifecycle.Missing, match="no tenant nope"):
        action("nope")


def test_its_queued_back_channel_notices_are_dropped_unsent(aws, client, caplog, monkeypatch):
    """A logout queued before the tenant was disabled is not delivered after: no logout
    token is signed with a key the tenant no longer publishes."""
    from chalicelib.admin import clients as client_admin
    from chalicelib.oidc import backchannel

    client_admin.update_client("acme", client[0].client_id, backchannel_logout_uri="https://rp.example/bc")
    lifecycle.disable_tenant("acme")
    resolve.forget("acme")
    notice = backchannel.Notice("acme", "https://op.example.test/acme", client[0].client_id, "sub", "sid", 1)
    caplog.set_level(logging.INFO, logger="oidc.events")

    def no_lookup(*args: object, **kwargs: object) -> None:  # nothing here may reach a resolver
        raise AssertionError("a delivery was attempted")

    monkeypatch.setattr("socket.getaddrinfo", no_lookup)
    assert backchannel.deliver(notice.to_json(), 2) == "dropped"

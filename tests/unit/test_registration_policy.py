"""Open registration is not too generous (issue 7, item 9), over HTTP: self-registered
clients get no password or client_credentials grant and no redirect host the tenant did not
open, cannot take a name users already trust here, and are limited per source address and
per tenant. Every refusal has RFC 7591's error and writes nothing but the abuse counters."""

from __future__ import annotations

import json

import pytest
from chalice import local

from chalicelib.admin import tenants as tenant_admin
from chalicelib.admin.registration import issue_initial_access_token
from chalicelib.store.clients import get_client
from tests.unit.conftest import REDIRECT_URI
from tests.unit.test_registration import send

HOUR = 3600


@pytest.fixture
def open_registration(tenant):
    tenant_admin.update_settings(tenant.id, {"client_registration": "open"})


def register(http, name: str | None, token: str | None = None, **metadata):
    named = {} if name is None else {"client_name": name}
    return send(http, "POST", "/acme/register", {"redirect_uris": [REDIRECT_URI], **named, **metadata}, token)


def refused(response, status: int, error: str) -> dict:
    body = json.loads(response.body)
    assert (response.status_code, body["error"]) == (status, error), response.body
    assert response.headers["Cache-Control"] == "no-store"
    return body


def counters(table_items) -> dict[str, int]:
    """The abuse limiter's counters by kind (what a refused registration may write)."""
    found: dict[str, int] = {}
    for item in table_items(limits=True):
        if item["sk"]["S"].startswith("limit#"):
            kind = item["sk"]["S"].split("#")[1]
            found[kind] = found.get(kind, 0) + int(item.get("n", {}).get("N", "0"))
    return found


GRANTS = [
    {"grant_types": ["authorization_code", "password"]},
    {"grant_types": ["client_credentials"], "response_types": []},
    {"grant_types": ["authorization_code", "refresh_token", "client_credentials"]},
]


@pytest.mark.parametrize("metadata", GRANTS)
@pytest.mark.parametrize("policy", ["open", "token"])
def test_password_and_client_credentials_are_refused_to_self_registered_clients(
    http, tenant, table_items, metadata, policy
):
    tenant_admin.update_settings(tenant.id, {"client_registration": policy})
    token = issue_initial_access_token(tenant.id, days=1) if policy == "token" else None
    before = table_items()
    body = refused(register(http, "Stranger", token, **metadata), 400, "invalid_client_metadata")
    assert "is not open to clients that register themselves" in body["error_description"]
    assert table_items() == before and counters(table_items) == {"registration-source": 1}


def test_a_tenant_may_open_a_grant_and_the_defaults_follow_its_list(http, tenant, open_registration):
    tenant_admin.update_settings(tenant.id, {"registration_grant_types": ["authorization_code", "password"]})
    response = register(http, "Legacy app", grant_types=["authorization_code", "password"])
    assert response.status_code == 201 and json.loads(response.body)["grant_types"] == [
        "authorization_code",
        "password",
    ]
    # No refresh_token in the tenant's list: a client that names no grant types gets none.
    response = register(http, "Plain app")
    assert response.status_code == 201 and json.loads(response.body)["grant_types"] == ["authorization_code"]


@pytest.mark.parametrize("value", [["magic"], "password", [["password"]], [None], {"password": True}])
def test_registration_grant_types_are_known_grant_types(tenant, table_items, value):
    before = table_items()
    with pytest.raises(Exception, match="registration_grant_types"):
        tenant_admin.update_settings(tenant.id, {"registration_grant_types": value})
    assert table_items() == before


HOSTS = ["rp.example.com", "*.apps.example"]


@pytest.mark.parametrize(
    ("metadata", "error"),
    [
        ({"redirect_uris": ["https://evil.example/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["https://rp.example.com.evil.example/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["https://apps.example/cb"]}, "invalid_redirect_uri"),  # *. is strictly below
        ({"redirect_uris": ["https://xapps.example/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": [REDIRECT_URI, "https://evil.example/cb"]}, "invalid_redirect_uri"),
        ({"post_logout_redirect_uris": ["https://evil.example/bye"]}, "invalid_redirect_uri"),
        # Front-channel logout URIs are framed on the OP's page, back-channel ones called by it.
        ({"frontchannel_logout_uri": "https://evil.example/fc"}, "invalid_client_metadata"),
        ({"backchannel_logout_uri": "https://evil.example/bc"}, "invalid_client_metadata"),
        ({"backchannel_logout_uri": "https://rp.example.com.evil.example/bc"}, "invalid_client_metadata"),
        # Request URIs are fetched by the OP on anyone's browser request (RFC 9101).
        ({"request_uris": ["https://evil.example/"]}, "invalid_client_metadata"),
        (
            {"jwks_uri": "https://evil.example/jwks", "token_endpoint_auth_method": "private_key_jwt"},
            "invalid_client_metadata",
        ),
        (
            {"redirect_uris": ["com.example.app:/cb"], "token_endpoint_auth_method": "none"},
            "invalid_redirect_uri",
        ),
        ({"redirect_uris": ["http://127.0.0.1/cb"], "token_endpoint_auth_method": "none"}, "invalid_redirect_uri"),
    ],
)
def test_redirect_hosts_are_the_tenants_to_choose(http, tenant, open_registration, table_items, metadata, error):
    tenant_admin.update_settings(tenant.id, {"registration_redirect_hosts": HOSTS})
    before = table_items()
    response = register(http, "Stranger", **metadata)
    refused(response, 400, error)
    assert "from self-registration" in json.loads(response.body)["error_description"]
    assert table_items() == before


def test_listed_redirect_hosts_are_accepted(http, tenant, open_registration):
    tenant_admin.update_settings(tenant.id, {"registration_redirect_hosts": HOSTS})
    assert register(http, "One").status_code == 201
    two = register(http, "Two", redirect_uris=["https://a.b.apps.example/cb"])
    assert two.status_code == 201, two.body
    logout_uris = {
        "frontchannel_logout_uri": "https://rp.example.com/fc",
        "backchannel_logout_uri": "https://x.apps.example/bc",
    }
    three = register(http, "Three", **logout_uris)
    assert three.status_code == 201, three.body
    four = register(http, "Four", request_uris=["https://rp.example.com/requests/"])
    assert four.status_code == 201, four.body


@pytest.mark.parametrize("value", [["Evil.Example"], ["*"], ["https://x.example"], ["*.*.example"], "x.example", [5]])
def test_registration_redirect_hosts_are_host_names_or_patterns(tenant, table_items, value):
    before = table_items()
    with pytest.raises(Exception, match="registration_redirect_hosts"):
        tenant_admin.update_settings(tenant.id, {"registration_redirect_hosts": value})
    assert table_items() == before


IMPERSONATIONS = [
    "Acme Web",  # the tenant's own client (conftest)
    "acme web",
    "ACME-WEB",
    "  Acme   Web!  ",
    "Ａｃｍｅ Ｗｅｂ",  # fullwidth
    "𝐀𝐜𝐦𝐞 𝐖𝐞𝐛",  # mathematical bold
    "\u0410\u0441m\u0435 W\u0435b",  # Cyrillic A, c and e
    "Acmé Wéb",
    "Acme_Web ✓",
    "Acrne Web",  # r n for m
    "Acme",  # the tenant's name
    "acme sign-in",  # its branding's display name
]
BAD_NAMES = ["Acme\u200bWeb", "\u202eAcme Web", "Tab\there", "x" * 65, "!!! ???", 5, ["Acme Web"]]


@pytest.mark.parametrize("name", IMPERSONATIONS + BAD_NAMES)
def test_a_name_users_already_trust_here_is_refused(http, tenant, client, open_registration, table_items, name):
    tenant_admin.update_settings(tenant.id, {"branding": {"display_name": "Acme Sign-in"}})
    before = table_items()
    refused(register(http, name), 400, "invalid_client_metadata")
    assert table_items() == before


@pytest.mark.parametrize("name", [None, "", " ", "\u3000"])
def test_without_a_name_the_redirect_host_names_the_client_and_is_checked_too(
    http, client, open_registration, table_items, name
):
    before = table_items()
    refused(register(http, name, redirect_uris=["https://acme.web/cb"]), 400, "invalid_client_metadata")
    assert table_items() == before
    response = register(http, name, redirect_uris=["https://rp.example.com/cb"])
    assert response.status_code == 201 and json.loads(response.body)["client_name"] == "rp.example.com"


@pytest.mark.parametrize("name", ["Acme Web Fan Club", "Acne Web", "Acme Mobile", "Webacme"])
def test_names_that_only_resemble_are_accepted(http, client, open_registration, name):
    assert register(http, name).status_code == 201


def test_the_rules_hold_at_rfc_7592_update(http, tenant, client, open_registration, table_items):
    tenant_admin.update_settings(tenant.id, {"registration_redirect_hosts": ["rp.example.com"]})
    registered = json.loads(register(http, "Mine").body)
    uri, token = f"/acme/register/{registered['client_id']}", registered["registration_access_token"]
    metadata = {"client_id": registered["client_id"], "redirect_uris": [REDIRECT_URI], "client_name": "Mine"}
    stored, before = get_client(tenant.id, registered["client_id"]), table_items()
    for change, status, error in [
        ({"grant_types": ["authorization_code", "password"]}, 400, "invalid_client_metadata"),
        ({"client_name": "ACME web"}, 400, "invalid_client_metadata"),
        ({"redirect_uris": ["https://evil.example/cb"]}, 400, "invalid_redirect_uri"),
        ({"post_logout_redirect_uris": ["https://evil.example/bye"]}, 400, "invalid_redirect_uri"),
        ({"frontchannel_logout_uri": "https://evil.example/fc"}, 400, "invalid_client_metadata"),
        ({"backchannel_logout_uri": "https://evil.example/bc"}, 400, "invalid_client_metadata"),
    ]:
        refused(send(http, "PUT", uri, {**metadata, **change}, token), status, error)
    assert table_items() == before and get_client(tenant.id, registered["client_id"]) == stored
    assert send(http, "PUT", uri, {**metadata, "client_name": "Mine, renamed"}, token).status_code == 200


def test_a_flood_from_one_source_is_cut_and_other_sources_go_on(
    http, tenant, open_registration, table_items, clock, monkeypatch
):
    tenant_admin.update_settings(tenant.id, {"registrations_per_source": 3})
    statuses = [
        register(http, "One").status_code,
        register(http, "Refused", redirect_uris=["http://rp.example.com/cb"]).status_code,  # counted too
        register(http, "Two").status_code,
    ]
    assert statuses == [201, 400, 201]
    before = table_items()
    for name in ("Three", "Four"):
        body = refused(register(http, name), 429, "temporarily_unavailable")
        assert "too many registrations from this address" in body["error_description"]
    limited = register(http, "Five")
    assert 1 <= int(limited.headers["Retry-After"]) <= HOUR
    assert table_items() == before and counters(table_items)["registration-source"] == 3

    monkeypatch.setattr(local.LambdaEventConverter, "LOCAL_SOURCE_IP", "198.51.100.7")
    assert register(http, "Another source").status_code == 201
    monkeypatch.setattr(local.LambdaEventConverter, "LOCAL_SOURCE_IP", "127.0.0.1")
    assert register(http, "Six").status_code == 429
    clock[0] += HOUR
    assert register(http, "Next hour").status_code == 201


def test_the_tenant_quota_is_taken_and_given_back(http, tenant, open_registration, table_items):
    tenant_admin.update_settings(tenant.id, {"registration_quota": 2})
    one, two = (json.loads(register(http, name).body) for name in ("One", "Two"))
    assert counters(table_items)["registration-quota"] == 2
    before = table_items()
    body = refused(register(http, "Three"), 403, "access_denied")
    assert body["error_description"] == "this provider accepts no more self-registered clients"
    assert table_items() == before and counters(table_items)["registration-quota"] == 2

    # RFC 7592 DELETE gives its place back ...
    uri = f"/acme/register/{one['client_id']}"
    assert send(http, "DELETE", uri, token=one["registration_access_token"]).status_code == 204
    assert register(http, "Three").status_code == 201
    # ... and so does an admin's delete (API and CLI share it).
    key = tenant_admin.issue_admin_key(tenant.id)[0]
    headers = {"host": "op.example.test", "authorization": f"Bearer {key}"}
    assert http.delete(f"/admin/tenants/acme/clients/{two['client_id']}", headers=headers).status_code == 204
    assert register(http, "Four").status_code == 201
    refused(register(http, "Five"), 403, "access_denied")
    assert counters(table_items)["registration-quota"] == 2


def test_invalid_metadata_takes_no_place_in_the_quota(http, tenant, open_registration, table_items):
    tenant_admin.update_settings(tenant.id, {"registration_quota": 1})
    for metadata in ({"redirect_uris": ["http://rp.example.com/cb"]}, {"grant_types": ["password"]}):
        assert register(http, "Bad", **metadata).status_code == 400
    assert "registration-quota" not in counters(table_items)
    assert register(http, "Good").status_code == 201

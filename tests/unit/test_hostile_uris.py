"""Hostile URIs (issue 7, item 5) over HTTP: refused by dynamic registration, the admin API
and the CLI in every URI field, with nothing written; and a URI stored before validation
existed never reaches a Location header or a page's Content-Security-Policy."""

from __future__ import annotations

import dataclasses
import json
import time

import pytest
from click.testing import CliRunner

from chalicelib.admin import tenants as tenant_admin
from chalicelib.admin.cli import cli
from chalicelib.store import clients as client_store
from chalicelib.store.clients import Client
from tests.support.browser import BASE, HOST
from tests.support.hostile import HOSTILE_URIS as HOSTILE
from tests.support.hostile import INJECTION
from tests.unit.conftest import REDIRECT_URI
from tests.unit.flows import authorize, callback_params, log_in


@pytest.fixture
def open_registration(tenant):
    tenant_admin.update_settings(tenant.id, {"client_registration": "open"})


@pytest.mark.parametrize(
    ("field", "error"),
    [
        ("redirect_uris", "invalid_redirect_uri"),
        ("post_logout_redirect_uris", "invalid_redirect_uri"),
        ("client_uri", "invalid_client_metadata"),
        ("policy_uri", "invalid_client_metadata"),
        ("logo_uri", "invalid_client_metadata"),
        ("frontchannel_logout_uri", "invalid_client_metadata"),
        ("backchannel_logout_uri", "invalid_client_metadata"),
    ],
)
def test_registration_refuses_hostile_uris_in_every_field(http, open_registration, table_items, field, error):
    """RFC 7591 §3.2.2: invalid_redirect_uri for redirect URIs, invalid_client_metadata for
    the others; nothing is written."""
    before = table_items()
    for uri in HOSTILE:
        metadata = {"redirect_uris": [REDIRECT_URI], field: [uri] if field.endswith("uris") else uri}
        headers = {"host": HOST, "content-type": "application/json"}
        response = http.post("/acme/register", headers=headers, body=json.dumps(metadata))
        assert response.status_code == 400 and json.loads(response.body)["error"] == error, uri
    assert table_items() == before


@pytest.mark.parametrize(
    "field",
    [
        "redirect_uris",
        "post_logout_redirect_uris",
        "website_url",
        "terms_url",
        "logo_uri",
        "frontchannel_logout_uri",
        "backchannel_logout_uri",
    ],
)
def test_the_admin_api_refuses_hostile_uris_in_every_field(http, tenant, client, table_items, field):
    key = tenant_admin.issue_admin_key(tenant.id)[0]
    headers = {"host": HOST, "content-type": "application/json", "authorization": f"Bearer {key}"}
    before = table_items()
    for uri in HOSTILE:
        value = [uri] if field.endswith("uris") else uri
        create = {"name": "X", "client_type": "confidential", "redirect_uris": [REDIRECT_URI], field: value}
        for method, path, payload in [
            ("POST", "/clients", create),
            ("PATCH", f"/clients/{client[0].client_id}", {field: value}),
        ]:
            response = http.request(method, f"/admin/tenants/acme{path}", headers=headers, body=json.dumps(payload))
            assert response.status_code == 400 and json.loads(response.body)["error"] == "invalid_request", uri
    assert table_items() == before


def test_the_cli_refuses_hostile_uris(tenant, table_items):
    before = table_items()
    for uri in HOSTILE:
        for option in ("--redirect-uri", "--post-logout-redirect-uri", "--logo-uri", "--frontchannel-logout-uri"):
            args = [
                "clients",
                "create",
                "acme",
                "--name",
                "X",
                "--type",
                "confidential",
                "--redirect-uri",
                REDIRECT_URI,
            ]
            result = CliRunner().invoke(cli, [*args, option, uri], catch_exceptions=False)
            assert result.exit_code == 2 and result.output.startswith("error: "), (uri, option, result.output)
    assert table_items() == before


def legacy_client(tenant, **fields) -> Client:
    """A client stored before URIs were validated: written to the table as it was then."""
    client = Client(
        tenant_id=tenant.id,
        client_id="legacy",
        name="Legacy",
        client_type="confidential",
        secret_hash=None,
        redirect_uris=(REDIRECT_URI,),
        response_types=("code", "id_token"),
        grant_types=("authorization_code", "implicit"),
        token_endpoint_auth_method="client_secret_basic",
        created_at=int(time.time()),
    )
    client = dataclasses.replace(client, **fields)
    assert client_store.create_client(client)
    return client


def policy_of(response) -> str:
    policy = response.headers["Content-Security-Policy"]
    assert policy.count("frame-ancestors") == 1 and "frame-ancestors 'none'" in policy, policy
    return policy


@pytest.mark.parametrize("stored", [INJECTION, "https://rp.example.com/cb\r\nSet-Cookie: op_session=x"])
def test_a_stored_hostile_redirect_uri_matches_nothing(browser, tenant, stored):
    """Even an exact match: an error for it would be redirected (fragment, a missing nonce)
    with the URI pasted into Location; instead the OP shows its own error page."""
    legacy_client(tenant, redirect_uris=(stored,))
    response = authorize(browser, "legacy", redirect_uri=stored, response_type="id_token")
    assert response.status_code == 400 and "Location" not in response.headers
    assert b"redirect_uri is not registered" in response.body and "Set-Cookie: op" not in str(response.headers)
    policy_of(response)


def test_a_stored_hostile_post_logout_uri_stays_out_of_the_policy(browser, tenant, user):
    legacy_client(tenant, post_logout_redirect_uris=(INJECTION,), require_consent=False)
    callback_params(log_in(browser, browser.follow(authorize(browser, "legacy", nonce="n"))))
    page = browser.get(f"{BASE}/acme/end-session", {"client_id": "legacy", "post_logout_redirect_uri": INJECTION})
    assert page.status_code == 200 and b"Sign out?" in page.body
    assert "form-action 'self';" in policy_of(page)


def test_a_stored_hostile_front_channel_uri_is_never_framed(browser, tenant, user):
    legacy_client(tenant, frontchannel_logout_uri=INJECTION, require_consent=False)
    callback_params(log_in(browser, browser.follow(authorize(browser, "legacy", nonce="n"))))
    done = browser.submit(browser.get(f"{BASE}/acme/end-session", {"client_id": "legacy"}), "logout")
    assert done.status_code == 200 and b"You are signed out" in done.body
    assert "frame-src" not in policy_of(done)

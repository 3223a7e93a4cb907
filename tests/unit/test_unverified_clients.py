"""Self-registered clients are unverified until a tenant admin verifies them (issue 7, item
9): the consent page says so and names where the user will be sent, consent is asked every
time, and an error response is never redirected without the user's say (RFC 9700 §4.11.2):
the OP shows it on an interstitial page with the exact response behind a link or a button."""

from __future__ import annotations

import html
import json
import re
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner

from chalicelib.admin import clients as client_admin
from chalicelib.admin import keys as key_admin
from chalicelib.admin import tenants as tenant_admin
from chalicelib.admin.cli import cli
from chalicelib.admin.registration import issue_initial_access_token
from tests.support.browser import HOST
from tests.support.forms import only_form, parse_forms
from tests.unit.conftest import REDIRECT_URI
from tests.unit.flows import ISSUER, authorize, callback_params, log_in, obtain_code
from tests.unit.test_registration import send

METADATA = {"redirect_uris": [REDIRECT_URI], "client_name": "Stranger", "response_types": ["code", "id_token"]}


@pytest.fixture
def stranger(http, tenant) -> dict:
    """A client registered anonymously (open registration), as RFC 7591 answered it."""
    tenant_admin.update_settings(tenant.id, {"client_registration": "open"})
    response = send(http, "POST", "/acme/register", METADATA)
    assert response.status_code == 201, response.body
    return json.loads(response.body)


@pytest.fixture
def admin(http, tenant):
    key = tenant_admin.issue_admin_key(tenant.id)[0]
    headers = {"host": HOST, "content-type": "application/json", "authorization": f"Bearer {key}"}

    def call(method: str, path: str, payload: dict | None = None) -> tuple[int, dict]:
        body = json.dumps(payload) if payload is not None else ""
        response = http.request(method, f"/admin/tenants/acme{path}", headers=headers, body=body)
        return response.status_code, json.loads(response.body or "{}")

    return call


def continue_link(page) -> str:
    links = re.findall(r'<a class="button" href="([^"]*)"', page.body.decode())
    assert len(links) == 1, page.body.decode()
    return html.unescape(links[0])


def assert_interstitial(page, error: str) -> str:
    """An OP page, not a redirect: no Location, no script, no refresh, nothing to frame it."""
    text = page.body.decode()
    assert page.status_code == 400 and "Location" not in page.headers
    assert "<script" not in text and "http-equiv" not in text.lower()
    assert "Stranger could not complete sign-in" in text and f"<strong>{error}</strong>" in text
    assert "Continue to rp.example.com?" in text and "Unverified application" in text
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["Cache-Control"] == "no-store"
    return policy


def test_registered_clients_are_unverified_and_admin_created_ones_verified(http, tenant, stranger, client, admin):
    assert admin("GET", f"/clients/{stranger['client_id']}")[1]["verified"] is False
    assert admin("GET", f"/clients/{client[0].client_id}")[1]["verified"] is True
    tenant_admin.update_settings(tenant.id, {"client_registration": "token"})
    token = issue_initial_access_token(tenant.id, days=1)
    with_token = json.loads(send(http, "POST", "/acme/register", {**METADATA, "client_name": "Partner"}, token).body)
    assert admin("GET", f"/clients/{with_token['client_id']}")[1]["verified"] is False


def test_the_consent_page_marks_an_unverified_client_and_names_its_host(browser, stranger, client, user):
    page = log_in(browser, browser.follow(authorize(browser, stranger["client_id"])))
    text = page.body.decode()
    assert page.status_code == 200 and "Allow" in text
    assert '<span class="badge">Unverified</span>' in text and "Unverified application" in text
    assert "you will be sent to <strong>rp.example.com</strong>" in text
    verified = browser.follow(authorize(browser, client[0].client_id))
    assert b"Allow" in verified.body and b"Unverified" not in verified.body


def test_an_unverified_client_is_asked_for_consent_every_time(browser, stranger, user, admin):
    client_id = stranger["client_id"]
    # Even with the admin's require_consent off and a consent to reuse, until it is verified.
    assert admin("PATCH", f"/clients/{client_id}", {"require_consent": False})[0] == 200
    obtain_code(browser, client_id)
    for _ in range(2):
        page = browser.follow(authorize(browser, client_id))
        assert page.status_code == 200 and b"Unverified application" in page.body
    assert_interstitial(browser.follow(authorize(browser, client_id, prompt="none", state="s")), "consent_required")

    assert admin("PATCH", f"/clients/{client_id}", {"verified": True})[1]["verified"] is True
    assert "code" in callback_params(browser.follow(authorize(browser, client_id)))


def test_an_error_waits_on_the_ops_page_with_the_exact_response(browser, stranger, admin):
    """prompt=none without a session: login_required, before the user saw any page."""
    client_id = stranger["client_id"]
    page = browser.follow(authorize(browser, client_id, prompt="none", state="xyz"))
    assert "form-action 'self';" in assert_interstitial(page, "login_required")
    assert parse_forms(page.body.decode()) == []
    query = {"error": "login_required", "error_description": "the end user is not logged in", "state": "xyz"}
    link = continue_link(page)
    assert link == f"{REDIRECT_URI}?{urlencode({**query, 'iss': ISSUER})}"

    # Once verified, the same request is redirected to the very same URL.
    admin("PATCH", f"/clients/{client_id}", {"verified": True})
    redirected = authorize(browser, client_id, prompt="none", state="xyz")
    assert redirected.status_code == 302 and redirected.headers["Location"] == link


def test_a_fragment_error_waits_too(browser, stranger):
    page = authorize(browser, stranger["client_id"], response_type="id_token", state="s")  # no nonce
    assert_interstitial(page, "invalid_request")
    link = continue_link(page)
    assert link.startswith(REDIRECT_URI + "#error=invalid_request&") and link.endswith(
        "&state=s&iss=http%3A%2F%2F" + HOST + "%2Facme"
    )


def test_a_form_post_error_waits_for_the_users_button(browser, stranger):
    page = authorize(
        browser, stranger["client_id"], response_mode="form_post", state="s", scope="openid", prompt="none"
    )
    policy = assert_interstitial(page, "login_required")
    assert "form-action 'self' https://rp.example.com;" in policy
    form = only_form(page.body.decode())
    assert (form.action, form.method) == (REDIRECT_URI, "post")
    assert form.fields == {
        "error": "login_required",
        "error_description": "the end user is not logged in",
        "state": "s",
        "iss": ISSUER,
    }
    assert b'<button type="submit" class="secondary">Continue to rp.example.com</button>' in page.body


def test_a_verified_client_is_still_redirected(browser, client):
    response = authorize(browser, client[0].client_id, prompt="none", state="xyz")
    assert response.status_code == 302 and callback_params(response)["error"] == "login_required"


def test_declining_on_the_consent_page_goes_straight_back(browser, stranger, user):
    """The consent page named the host; the user's answer is sent there without a second page."""
    page = log_in(browser, browser.follow(authorize(browser, stranger["client_id"], state="s")))
    declined = browser.submit(page, "decline")
    assert callback_params(declined)["error"] == "access_denied"


def test_an_admin_verifies_over_the_api_and_the_cli(http, tenant, stranger, admin):
    client_id = stranger["client_id"]
    status, view = admin("PATCH", f"/clients/{client_id}", {"verified": True})
    assert status == 200 and view["verified"] is True and view["registered_dynamically"] is True
    result = CliRunner().invoke(cli, ["clients", "update", "acme", client_id, "--unverified"], catch_exceptions=False)
    assert result.exit_code == 0 and client_admin.get_client(tenant.id, client_id).verified is False
    result = CliRunner().invoke(cli, ["clients", "update", "acme", client_id, "--verified"], catch_exceptions=False)
    assert result.exit_code == 0
    listed = json.loads(CliRunner().invoke(cli, ["clients", "list", "acme"], catch_exceptions=False).output)
    assert {"client_id": client_id, "name": "Stranger", "client_type": "confidential", "verified": True} in listed
    status, error = admin("PATCH", f"/clients/{client_id}", {"verified": "yes"})
    assert status == 400 and error["error"] == "invalid_request"


# Every change RFC 7592 can make to a client's metadata: where users are sent, what they see,
# which URIs the provider calls or frames, what the client may ask for.
CHANGES = [
    {"client_name": "Stranger Things"},
    {"redirect_uris": ["https://rp.example.com/other"]},
    {"post_logout_redirect_uris": ["https://rp.example.com/bye"]},
    {"logo_uri": "https://rp.example.com/logo.png"},
    {"client_uri": "https://rp.example.com/"},
    {"policy_uri": "https://rp.example.com/terms"},
    {"frontchannel_logout_uri": "https://rp.example.com/frontchannel"},
    {"frontchannel_logout_session_required": True},
    {"backchannel_logout_uri": "https://rp.example.com/backchannel"},
    {"backchannel_logout_session_required": True},
    {"response_types": ["code"]},
    {"grant_types": ["authorization_code", "implicit"]},
    {"scope": "openid email"},
    {"contacts": ["someone.else@rp.example.com"]},
    {"token_endpoint_auth_method": "client_secret_post"},
    {"id_token_signed_response_alg": "ES256"},
]


@pytest.mark.parametrize("change", CHANGES, ids=lambda change: next(iter(change)))
def test_any_change_of_a_verified_clients_metadata_makes_it_unverified_again(http, tenant, stranger, admin, change):
    """An admin verified the client as it was: not its next front- or back-channel URI,
    grant types or scopes (RFC 7592 §2.2 replaces the whole metadata)."""
    client_id, token = stranger["client_id"], stranger["registration_access_token"]
    if change.get("id_token_signed_response_alg") == "ES256":
        key_admin.rotate_key(tenant.id, "ES256")  # a key to sign with
    admin("PATCH", f"/clients/{client_id}", {"verified": True})
    answer = send(http, "PUT", f"/acme/register/{client_id}", {**METADATA, "client_id": client_id, **change}, token)
    assert answer.status_code == 200, answer.body
    assert client_admin.get_client(tenant.id, client_id).verified is False


def test_a_verified_client_that_sends_its_metadata_unchanged_stays_verified(http, tenant, stranger, admin):
    """What it registered, or what a read returned (RFC 7592 §2.1) sent back as it is."""
    client_id, token = stranger["client_id"], stranger["registration_access_token"]
    uri = f"/acme/register/{client_id}"
    admin("PATCH", f"/clients/{client_id}", {"verified": True})
    assert send(http, "PUT", uri, {**METADATA, "client_id": client_id}, token).status_code == 200
    current = json.loads(send(http, "GET", uri, token=token).body)
    assert send(http, "PUT", uri, current, token).status_code == 200
    assert client_admin.get_client(tenant.id, client_id).verified is True


def test_a_client_cannot_verify_itself(http, tenant, stranger):
    uri = f"/acme/register/{stranger['client_id']}"
    metadata = {**METADATA, "client_id": stranger["client_id"], "verified": True}
    assert send(http, "PUT", uri, metadata, stranger["registration_access_token"]).status_code == 200
    assert client_admin.get_client(tenant.id, stranger["client_id"]).verified is False
    again = send(http, "POST", "/acme/register", {**METADATA, "client_name": "Other", "verified": True})
    assert client_admin.get_client(tenant.id, json.loads(again.body)["client_id"]).verified is False

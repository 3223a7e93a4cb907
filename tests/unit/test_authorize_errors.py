"""Bad authorization requests: shown at the OP while the client or redirect_uri is not
trusted (RFC 6749 §4.1.2.1), sent back with state and iss once it is; never a 5xx, and
nothing is written either way."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.support.browser import HOST
from tests.support.forms import only_form
from tests.unit.conftest import REDIRECT_URI
from tests.unit.flows import ISSUER, authorize, callback_params

CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"client_id": None}, "invalid_client"),
        ({"client_id": "no-such-client"}, "invalid_client"),
        ({"redirect_uri": "https://attacker.example/callback"}, "invalid_request"),
        ({"redirect_uri": REDIRECT_URI + "/"}, "invalid_request"),
        ({"redirect_uri": REDIRECT_URI + "?next=https://attacker.example"}, "invalid_request"),
        ({"redirect_uri": REDIRECT_URI.upper()}, "invalid_request"),
        ({"redirect_uri": "http://127.0.0.1:8080/callback"}, "invalid_request"),  # not a public client
    ],
)
def test_untrusted_client_or_redirect_uri_is_shown_never_redirected(browser, client, table_items, params, error):
    before = table_items()
    response = authorize(browser, params.pop("client_id", client[0].client_id), **params)
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert response.headers["Content-Type"].startswith("text/html")
    assert error.encode() in response.body
    assert table_items() == before


def test_repeated_parameters_are_shown_at_the_op(http, client, table_items):
    before = table_items()
    query = urlencode([("client_id", client[0].client_id), ("redirect_uri", REDIRECT_URI)] * 2)
    response = http.get(f"/acme/authorize?{query}", headers={"host": HOST})
    assert response.status_code == 400 and b"repeated" in response.body
    assert table_items() == before


def test_redirect_uri_may_be_omitted_only_with_one_registered(browser, client, public_client):
    response = authorize(browser, client[0].client_id, redirect_uri=None)
    assert response.status_code == 302  # one registered URI: that one
    ambiguous = authorize(browser, public_client.client_id, redirect_uri=None, code_challenge=CHALLENGE)
    assert ambiguous.status_code == 400 and b"redirect_uri is required" in ambiguous.body


def test_public_client_loopback_must_match_all_but_the_port(browser, public_client):
    ok = authorize(
        browser, public_client.client_id, redirect_uri="http://127.0.0.1:7777/callback", code_challenge=CHALLENGE
    )
    assert ok.status_code == 302
    other_path = authorize(browser, public_client.client_id, redirect_uri="http://127.0.0.1:7777/other")
    assert other_path.status_code == 400
    other_host = authorize(browser, public_client.client_id, redirect_uri="http://localhost:7777/callback")
    assert other_host.status_code == 400


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"response_type": None}, "invalid_request"),
        ({"response_type": "token"}, "unauthorized_client"),  # in the fragment, as tokens would be
        ({"response_type": "code id_token"}, "unauthorized_client"),
        ({"response_type": "code device"}, "unsupported_response_type"),
        ({"scope": None}, "invalid_scope"),
        ({"scope": "payments"}, "invalid_scope"),
        # An unsigned request object, which the tenant does not allow (tests/unit/test_request_objects.py).
        ({"request": "eyJhbGciOiJub25lIn0.e30."}, "invalid_request_object"),
        ({"request_uri": "https://rp.example.com/request.jwt"}, "request_uri_not_supported"),
        ({"registration": "{}"}, "registration_not_supported"),
        ({"prompt": "none login"}, "invalid_request"),
        ({"prompt": "everything"}, "invalid_request"),
        ({"max_age": "-1"}, "invalid_request"),
        ({"max_age": "soon"}, "invalid_request"),
        ({"max_age": "١٢"}, "invalid_request"),
        ({"response_mode": "web_message"}, "invalid_request"),
        ({"code_challenge_method": "S256"}, "invalid_request"),
        ({"code_challenge": "short", "code_challenge_method": "S256"}, "invalid_request"),
        ({"code_challenge": CHALLENGE, "code_challenge_method": "S512"}, "invalid_request"),
    ],
)
def test_bad_requests_from_a_trusted_client_go_back_with_state_and_iss(browser, client, table_items, params, error):
    before = table_items()
    response = authorize(browser, client[0].client_id, state="st", **params)
    result = callback_params(response)
    assert result["error"] == error
    assert result["state"] == "st" and result["iss"] == ISSUER
    assert all(0x20 <= ord(c) <= 0x7E and c not in '"\\' for c in result["error_description"])
    assert table_items() == before


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"response_type": "code device"}, "unsupported_response_type"),
        ({"response_type": "token device", "response_mode": "fragment"}, "unsupported_response_type"),
        ({"response_type": "id_token banana", "response_mode": "form_post"}, "unsupported_response_type"),
        ({"response_type": None, "response_mode": "fragment"}, "invalid_request"),
        ({"response_type": "", "response_mode": "form_post"}, "invalid_request"),
    ],
)
def test_a_response_type_not_understood_gets_its_error_in_the_query(browser, client, table_items, params, error):
    """RFC 6749 §3.1.1 → §4.1.2.1: whatever response_mode the request names."""
    before = table_items()
    response = authorize(browser, client[0].client_id, state="st", **params)
    assert response.status_code == 302
    parts = urlsplit(response.headers["Location"])
    assert parts.fragment == ""
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == REDIRECT_URI
    result = {key: values[0] for key, values in parse_qs(parts.query).items()}
    assert result["error"] == error and result["state"] == "st" and result["iss"] == ISSUER
    assert table_items() == before


def test_public_client_must_use_pkce(browser, public_client, table_items):
    before = table_items()
    response = authorize(browser, public_client.client_id, redirect_uri="http://127.0.0.1:5000/callback")
    result = callback_params(response, "http://127.0.0.1:5000/callback")
    assert result["error"] == "invalid_request" and "code_challenge" in result["error_description"]
    assert table_items() == before


def test_plain_pkce_can_be_turned_off_per_tenant(browser, public_client, tenant):
    from chalicelib.admin.tenants import update_settings

    update_settings(tenant.id, {"allow_plain_pkce": False})
    response = authorize(
        browser, public_client.client_id, redirect_uri="http://127.0.0.1:5000/callback", code_challenge=CHALLENGE
    )
    assert callback_params(response, "http://127.0.0.1:5000/callback")["error"] == "invalid_request"


@pytest.mark.parametrize("tenant_id", ["nope", "admin", "Acme", "a", "x" * 70, "acme%00"])
def test_unknown_or_malformed_tenant_is_a_404_page(http, tenant, table_items, tenant_id):
    before = table_items()
    response = http.get(f"/{tenant_id}/authorize?client_id=x", headers={"host": HOST})
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Location" not in response.headers
    assert table_items() == before


def test_post_authorization_request_must_be_form_encoded(http, client):
    response = http.post(
        "/acme/authorize", headers={"host": HOST, "content-type": "application/json"}, body='{"client_id": "x"}'
    )
    assert response.status_code == 400 and b"form-encoded" in response.body


def test_login_and_consent_pages_refuse_forged_or_stale_tickets(browser, client, user, monkeypatch):
    from chalicelib.web import routes
    from tests.unit.flows import log_in

    page = browser.follow(authorize(browser, client[0].client_id))
    forged = browser.get(f"{ISSUER}/login", {"ticket": "eyJ1c2UiOiJsb2dpbiJ9.AAAA"})
    assert forged.status_code == 400 and b"expired" in forged.body
    assert browser.get(f"{ISSUER}/login").status_code == 400
    consent = log_in(browser, page)
    assert consent.status_code == 200
    now = routes.clock()
    monkeypatch.setattr(routes, "clock", lambda: now + 3600)
    stale = browser.submit(consent, "allow")
    assert stale.status_code == 400 and b"expired" in stale.body


def test_consent_page_belongs_to_the_browser_that_logged_in(http, browser, client, user):
    from tests.support.browser import Browser
    from tests.unit.flows import log_in

    consent = log_in(browser, browser.follow(authorize(browser, client[0].client_id)))
    ticket = only_form(consent.body.decode()).fields["ticket"]
    other = Browser(http)  # another browser handed the consent URL (say, in a phishing mail)
    stolen = other.get(f"{ISSUER}/consent", {"ticket": ticket})
    assert stolen.status_code == 400 and b"no longer logged in" in stolen.body

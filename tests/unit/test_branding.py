"""Pages that say who is asking (issue 9): the tenant's name and logo on every page, the
client's name and logo, "Not you?" on consent, a way back to the application, unverified
clients marked; brand colours readable under WCAG AA (4.5:1)."""

from __future__ import annotations

import json
import re

import jwt
import pytest

from chalicelib.admin import clients as client_admin
from chalicelib.admin import tenants as tenant_admin
from chalicelib.admin import users as user_admin
from chalicelib.tenancy import contrast
from chalicelib.tenancy.settings import Branding, TenantSettings
from tests.support.browser import BASE, HOST
from tests.unit.conftest import PASSWORD, REDIRECT_URI
from tests.unit.flows import authorize, callback_params, log_in, redeem

LOGO = "https://static.acme.example/logo.svg"
CLIENT_LOGO = "https://app.acme.example/app.png"


@pytest.mark.parametrize(
    "first, second, ratio",
    [
        ("#000000", "#ffffff", 21.0),
        ("#ffffff", "#ffffff", 1.0),
        ("#1f5fbf", "#ffffff", 6.09),
        ("#767676", "#ffffff", 4.54),  # the lightest grey that is AA text on white
        ("#777777", "#ffffff", 4.48),
    ],
)
def test_contrast_ratio(first, second, ratio):
    assert round(contrast.contrast(first, second), 2) == ratio
    assert contrast.contrast(second, first) == contrast.contrast(first, second)


@pytest.mark.parametrize(
    "color, on_primary, ink",
    [
        ("#1f5fbf", "#ffffff", "#1f5fbf"),  # the default: white on blue, blue links
        ("#0b7a53", "#ffffff", "#0b7a53"),
        ("#ffcc00", "#111111", "#111111"),  # yellow: dark text on it, dark links on white
        ("#808080", "#111111", "#111111"),
        ("#767676", "#ffffff", "#767676"),
        ("#000000", "#ffffff", "#000000"),
        ("#ffffff", "#111111", "#111111"),
    ],
)
def test_a_brand_colour_gets_readable_text(color, on_primary, ink):
    branding = Branding(primary_color=color)
    assert (branding.on_primary, branding.ink) == (on_primary, ink)
    assert contrast.contrast(branding.on_primary, color) >= contrast.AA
    assert contrast.contrast(branding.ink, contrast.WHITE) >= contrast.AA


@pytest.mark.parametrize("color", ["#777777", "#7a7a7a", "#e0403a", "#d9480f"])
def test_a_brand_colour_no_text_can_be_read_on_is_refused(color):
    assert contrast.text_on(color) is None
    with pytest.raises(ValueError, match="WCAG AA"):
        TenantSettings.from_mapping({"branding": {"primary_color": color}})


def test_the_admin_api_and_the_cli_refuse_an_unreadable_colour(http, tenant):
    key = tenant_admin.issue_admin_key(tenant.id)[0]
    headers = {"host": HOST, "content-type": "application/json", "authorization": f"Bearer {key}"}
    body = json.dumps({"settings": {"branding": {"primary_color": "#777777"}}})
    response = http.request("PATCH", "/admin/tenants/acme", headers=headers, body=body)
    assert response.status_code == 400 and "WCAG AA" in json.loads(response.body)["error_description"]
    from click.testing import CliRunner

    from chalicelib.admin.cli import cli

    setting = 'branding={"primary_color": "#777777"}'
    result = CliRunner().invoke(cli, ["tenants", "configure", "acme", "--setting", setting])
    assert result.exit_code != 0 and "WCAG AA" in result.output
    assert "branding" not in tenant_admin.get_tenant("acme").settings


@pytest.fixture
def branded(tenant, user):
    tenant_admin.update_settings(
        "acme", {"branding": {"display_name": "Acme Identity", "logo_uri": LOGO, "primary_color": "#ffcc00"}}
    )
    client, secret = client_admin.create_client(
        "acme", name="Acme Books", client_type="confidential", redirect_uris=[REDIRECT_URI], logo_uri=CLIENT_LOGO
    )
    return client, secret


def brand(page) -> tuple[str, str]:
    text = page.body.decode()
    match = re.search(
        r'<div class="brand" id="tenant-brand">\s*<img src="([^"]*)" alt="">\s*<span>([^<]*)</span>', text
    )
    assert match, text[:2000]
    return match.group(1), match.group(2)


def test_login_and_consent_name_the_tenant_and_the_client_in_readable_colours(browser, branded):
    login = browser.follow(authorize(browser, branded[0].client_id, prompt="consent"))
    text = login.body.decode()
    assert brand(login) == (LOGO, "Acme Identity")
    assert f'<img src="{CLIENT_LOGO}" alt="">' in text and "to continue to <strong>Acme Books</strong>" in text
    assert "--brand: #ffcc00; --on-brand: #111111; --ink: #111111;" in text
    assert "Unverified" not in text
    consent = log_in(browser, login)
    assert brand(consent) == (LOGO, "Acme Identity")
    text = consent.body.decode()
    assert "<h1>Acme Books</h1>" in text and f'<img src="{CLIENT_LOGO}" alt="">' in text
    assert "Signed in as <strong>alice</strong>." in text and "Not you? Use another account" in text


def test_error_logout_and_tenant_pages_name_the_tenant(http, browser, branded):
    error = browser.get(f"{BASE}/acme/authorize", {"client_id": "nobody"})
    assert error.status_code == 400 and brand(error) == (LOGO, "Acme Identity")
    login = browser.follow(authorize(browser, branded[0].client_id))
    log_in(browser, login)
    logout = browser.get(f"{BASE}/acme/end-session", {"client_id": branded[0].client_id})
    assert brand(logout) == (LOGO, "Acme Identity") and "<strong>Acme Books</strong> asks to sign you out" in (
        logout.body.decode()
    )
    signed_out = browser.submit(logout, "logout")
    assert brand(signed_out) == (LOGO, "Acme Identity")
    page = http.get("/acme", headers={"host": HOST, "accept": "text/html"})
    assert "<h1>Acme Identity</h1>" in page.body.decode() and f'<img src="{LOGO}" alt="">' in page.body.decode()


def test_not_you_ends_the_session_and_signs_in_someone_else_for_the_same_request(
    http, browser, branded, table_items, consumer
):
    bob = user_admin.create_user("acme", "bob", PASSWORD, {"name": "Bob"})
    login = browser.follow(authorize(browser, branded[0].client_id, prompt="consent", state="s1", ui_locales="de"))
    consent = browser.follow(browser.submit(login, "login", username="alice", password=PASSWORD))
    assert "Angemeldet als <strong>alice</strong>." in consent.body.decode()
    assert [item for item in table_items() if item["sk"]["S"].startswith("session#")]
    switched = browser.submit(consent, "switch")
    assert switched.status_code == 302 and switched.headers["Location"].startswith(f"{BASE}/acme/login?ticket=")
    assert "op_session" not in browser.cookies
    assert not [item for item in table_items() if item["sk"]["S"].startswith("session#")]
    again = browser.follow(switched)
    assert again.status_code == 200 and "<h1>Anmelden</h1>" in again.body.decode()  # the same request: ui_locales=de
    consent = browser.follow(browser.submit(again, "login", username="bob", password=PASSWORD))
    assert "Angemeldet als <strong>bob</strong>." in consent.body.decode()
    params = callback_params(browser.submit(consent, "allow"))
    assert params["state"] == "s1"
    tokens = json.loads(redeem(http, branded, params["code"]).body)
    assert jwt.decode(tokens["id_token"], options={"verify_signature": False})["sub"] == bob.sub


def test_a_self_registered_client_is_marked_unverified_on_login(http, browser, tenant, user):
    tenant_admin.update_settings("acme", {"client_registration": "open"})
    metadata = {"redirect_uris": [REDIRECT_URI], "client_name": "Stranger"}
    response = http.post("/acme/register", headers={"host": HOST, "content-type": "application/json"},
                         body=json.dumps(metadata))  # fmt: skip
    registered = json.loads(response.body)
    login = browser.follow(authorize(browser, registered["client_id"]))
    assert '<span class="badge">Unverified</span>' in login.body.decode()


def test_a_stored_unreadable_colour_falls_back_to_the_default_branding():
    settings = TenantSettings.from_stored({"branding": {"display_name": "Old", "primary_color": "#777777"}})
    assert settings.branding == Branding()

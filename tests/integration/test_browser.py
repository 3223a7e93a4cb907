"""The pages in a real browser: headless Chromium (Debian's package) driven by Playwright.

Logs in, consents, declines, receives a form_post response, runs a single-page app doing PKCE
from the browser against the token and UserInfo endpoints (CORS), checks the pages work with
JavaScript off, and writes screenshots of every page at desktop and phone sizes."""

from __future__ import annotations

import shutil
from urllib.parse import urlencode

import pytest

from chalicelib.admin import clients as client_admin
from tests.integration.conftest import ARTIFACTS, PASSWORD
from tests.support.rp_server import RelyingParty

playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = ARTIFACTS / "screenshots"
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
# Flags for a machine with no outside network: no background connections Chromium would retry.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]  # fmt: skip


@pytest.fixture(scope="module")
def chromium():
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def rp():
    server = RelyingParty()
    yield server
    server.stop()


@pytest.fixture
def rp_client(tenant, rp):
    return client_admin.create_client(
        tenant.id,
        name="Browser RP",
        client_type="confidential",
        redirect_uris=[f"{rp.origin}/callback"],
        logo_uri="https://rp.example.com/logo.png",
    )


def authorize_url(issuer: str, client_id: str, redirect_uri: str, **extra: str) -> str:
    query = {
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": "openid profile email",
    }
    return f"{issuer}/authorize?{urlencode({**query, 'state': 'st', **extra})}"


def sign_in(page, username: str = "alice", password: str = PASSWORD) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_login_and_consent_then_second_authorization_without_login(chromium, issuer, rp, rp_client, user):
    client, _ = rp_client
    page = chromium.new_page()
    page.goto(authorize_url(issuer, client.client_id, f"{rp.origin}/callback"))
    assert page.title().startswith("Sign in")
    sign_in(page)
    page.get_by_role("button", name="Allow").click()
    page.wait_for_selector("#done")
    assert rp.received[-1]["state"] == "st" and rp.received[-1]["iss"] == issuer and rp.received[-1]["code"]

    page.goto(authorize_url(issuer, client.client_id, f"{rp.origin}/callback", state="again"))
    page.wait_for_selector("#done")  # no login, no consent: straight back
    assert rp.received[-1]["state"] == "again" and rp.received[-1]["code"]
    page.close()


def test_wrong_password_then_enter_key_then_decline(chromium, issuer, rp, rp_client, user):
    client, _ = rp_client
    page = chromium.new_page()
    page.goto(authorize_url(issuer, client.client_id, f"{rp.origin}/callback"))
    sign_in(page, password="not the password")
    assert page.get_by_role("alert").inner_text() == "Wrong username or password."
    assert page.get_by_label("Username").input_value() == "alice"
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")  # the default button signs in
    page.get_by_role("button", name="Decline").click()
    page.wait_for_selector("#done")
    assert rp.received[-1]["error"] == "access_denied" and rp.received[-1]["state"] == "st"
    page.close()


def test_form_post_response_submits_itself(chromium, issuer, rp, rp_client, user):
    client, _ = rp_client
    page = chromium.new_page()
    page.goto(authorize_url(issuer, client.client_id, f"{rp.origin}/callback", response_mode="form_post"))
    sign_in(page)
    page.get_by_role("button", name="Allow").click()
    page.wait_for_selector("#done")
    assert page.inner_text("#done") == "received by post"
    assert rp.received[-1]["code"] and rp.received[-1]["state"] == "st" and rp.received[-1]["iss"] == issuer
    page.close()


def test_single_page_app_with_pkce_and_cors(chromium, provider, issuer, tenant, rp, user):
    spa = client_admin.create_client(
        tenant.id, name="SPA", client_type="public", redirect_uris=[f"{rp.origin}/spa.html"]
    )[0]
    rp.spa_settings.update(issuer=issuer, client_id=spa.client_id)
    page = chromium.new_page()
    page.goto(f"{rp.origin}/spa.html")
    page.get_by_role("button", name="Sign in").click()
    sign_in(page)
    page.get_by_role("button", name="Allow").click()
    page.wait_for_function("document.getElementById('out').textContent.length > 0")
    result = page.inner_text("#out")
    assert '"id_token":true' in result and '"name":"Alice Example"' in result
    page.close()


def test_pages_work_without_javascript(chromium, issuer, rp, rp_client, user):
    client, _ = rp_client
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(authorize_url(issuer, client.client_id, f"{rp.origin}/callback"))
    sign_in(page)
    page.get_by_role("button", name="Allow").click()
    page.wait_for_selector("#done")
    assert rp.received[-1]["code"]
    context.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_screenshots_of_every_page(chromium, issuer, rp, rp_client, user, size):
    client, _ = rp_client
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport=SIZES[size])
    page = context.new_page()
    page.goto(authorize_url(issuer, client.client_id, f"{rp.origin}/callback"))
    page.screenshot(path=SCREENSHOTS / f"login-{size}.png", full_page=True)
    sign_in(page, password="not the password")
    page.screenshot(path=SCREENSHOTS / f"login-error-{size}.png", full_page=True)
    sign_in(page)
    page.get_by_role("button", name="Allow").wait_for()
    page.screenshot(path=SCREENSHOTS / f"consent-{size}.png", full_page=True)
    page.goto(f"{issuer}/authorize?client_id=unknown")
    assert "Something went wrong" in page.title()
    page.screenshot(path=SCREENSHOTS / f"error-{size}.png", full_page=True)
    context.close()
    for name in ("login", "login-error", "consent", "error"):
        assert (SCREENSHOTS / f"{name}-{size}.png").stat().st_size > 1000

"""Languages and branding in a real browser (issue 9): headless Chromium signs in with
``ui_locales=de`` and as a French browser (Accept-Language from the browser's locale), sees
every step in its language, the tenant's and the client's names and logos, brand colours with
readable text, "Not you?", a way back to the application, and an unverified client marked.
Screenshots of the login and consent pages in each language go to test-artifacts/i18n/."""

from __future__ import annotations

import jwt
import pytest
import requests

from chalicelib.admin import tenants as tenant_admin
from chalicelib.admin import users as user_admin
from chalicelib.tenancy import contrast
from tests.integration.conftest import ARTIFACTS, PASSWORD
from tests.integration.test_browser import ARGS, CHROMIUM, SIZES, authorize_url, browser_rp_client, one_backend

playwright_api = pytest.importorskip("playwright.sync_api")

SHOTS = ARTIFACTS / "i18n"
YELLOW = "#ffcc00"  # too light for white text or for links on white: near-black for both


@pytest.fixture(scope="module")
def chromium():
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def branded(tenant, rp):
    branding = {"display_name": "Acme Identity", "logo_uri": f"{rp.origin}/logo.svg", "primary_color": YELLOW}
    tenant_admin.update_settings(tenant.id, {"branding": branding})
    return browser_rp_client(tenant, rp, logo_uri=f"{rp.origin}/logo.svg")


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.screenshot(path=SHOTS / f"{name}-{size}.png", full_page=True)
        assert (SHOTS / f"{name}-{size}.png").stat().st_size > 1000


def rgb(color: str) -> str:
    return "rgb({}, {}, {})".format(*(int(color[i : i + 2], 16) for i in (1, 3, 5)))


def assert_branded(page) -> None:
    """The tenant's name and (loaded) logo, and the primary button readable on the brand colour."""
    brand = page.locator("#tenant-brand")
    assert brand.inner_text().strip() == "Acme Identity"
    assert brand.locator("img").evaluate("img => img.complete && img.naturalWidth > 0")
    button = page.locator("button.primary")
    colours = button.evaluate("b => [getComputedStyle(b).color, getComputedStyle(b).backgroundColor]")
    assert colours == [rgb(contrast.NEAR_BLACK), rgb(YELLOW)]
    # Yellow is unreadable as text on white: the secondary button is written in near-black.
    secondary = page.locator("button.secondary")
    styles = secondary.evaluate("b => [getComputedStyle(b).color, getComputedStyle(b).borderTopColor]")
    assert styles == [rgb(contrast.NEAR_BLACK)] * 2


@one_backend
def test_ui_locales_de_signs_in_in_german(chromium, issuer, rp, branded, user):
    client, _ = branded
    context = chromium.new_context(locale="en-US")  # the browser asks for English; the RP for German
    page = context.new_page()
    page.goto(authorize_url(issuer, client.client_id, f"{rp.origin}/callback", ui_locales="de", prompt="consent"))
    assert page.title() == "Anmelden · Acme Identity"
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.locator("p.lead").inner_text() == "um fortzufahren zu Browser RP"
    assert page.locator("div.client img").evaluate("img => img.naturalWidth > 0")  # the client's logo
    assert_branded(page)
    shoot(page, "login-de")
    page.get_by_label("Benutzername").fill("alice")
    page.get_by_label("Passwort").fill("not the password")
    page.get_by_role("button", name="Anmelden", exact=True).click()
    assert page.locator("#login-error").inner_text() == "Falscher Benutzername oder falsches Passwort."
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden", exact=True).click()
    page.get_by_role("button", name="Erlauben").wait_for()
    assert page.locator("html").get_attribute("lang") == "de" and page.title() == "Zugriff erlauben? · Acme Identity"
    assert "Ihre Identität bei diesem Anbieter bestätigen." in page.locator("ul.scopes").inner_text()
    assert "Angemeldet als alice." in page.locator("#not-you").inner_text()
    assert_branded(page)
    shoot(page, "consent-de")
    page.get_by_role("button", name="Erlauben").click()
    page.wait_for_selector("#done")
    assert rp.received[-1]["state"] == "st" and rp.received[-1]["code"]
    context.close()


@one_backend
def test_a_french_browser_gets_french_pages_and_not_you_signs_in_someone_else(chromium, issuer, rp, branded, user):
    client, secret = branded
    bob = user_admin.create_user(branded[0].tenant_id, "bob", PASSWORD, {"name": "Bob"})
    context = chromium.new_context(locale="fr-FR")  # Chromium sends Accept-Language: fr-FR,fr;q=0.9
    page = context.new_page()
    page.goto(authorize_url(issuer, client.client_id, f"{rp.origin}/callback", prompt="consent"))
    assert page.title() == "Se connecter · Acme Identity"
    assert page.locator("html").get_attribute("lang") == "fr"
    assert_branded(page)
    shoot(page, "login-fr")
    page.get_by_label("Nom d’utilisateur").fill("alice")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    page.get_by_role("button", name="Autoriser").wait_for()
    assert "Connecté en tant que alice." in page.locator("#not-you").inner_text()
    shoot(page, "consent-fr")
    page.get_by_role("button", name="Ce n’est pas vous ? Utiliser un autre compte").click()
    # The same request, from the start: the login page, with no session left in this browser.
    page.get_by_label("Nom d’utilisateur").wait_for()
    assert not [c for c in context.cookies() if c["name"] == "op_session"]
    page.get_by_label("Nom d’utilisateur").fill("bob")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    assert "Connecté en tant que bob." in page.locator("#not-you").inner_text()
    page.get_by_role("button", name="Autoriser").click()
    page.wait_for_selector("#done")
    grant = {
        "grant_type": "authorization_code",
        "code": rp.received[-1]["code"],
        "redirect_uri": f"{rp.origin}/callback",
    }
    tokens = requests.post(f"{issuer}/token", data=grant, auth=(client.client_id, secret), timeout=30).json()

    assert jwt.decode(tokens["id_token"], options={"verify_signature": False})["sub"] == bob.sub
    context.close()


@one_backend
def test_cancel_is_the_way_back_and_an_unverified_client_is_marked(chromium, issuer, tenant, rp, branded, user):
    client, _ = branded
    context = chromium.new_context(locale="de-DE")
    page = context.new_page()
    page.goto(authorize_url(issuer, client.client_id, f"{rp.origin}/callback"))
    page.get_by_role("button", name="Abbrechen").click()
    page.wait_for_selector("#done")
    assert rp.received[-1]["error"] == "access_denied" and rp.received[-1]["state"] == "st"

    # As dynamic registration leaves a client (tests/unit/test_branding.py registers one over
    # HTTP; registration refuses this test RP's loopback redirect URI).
    stranger, _ = browser_rp_client(tenant, rp, verified=False)
    page.goto(authorize_url(issuer, stranger.client_id, f"{rp.origin}/callback"))
    assert page.locator("p.lead .badge").inner_text() == "Nicht überprüft"
    page.get_by_label("Benutzername").fill("alice")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden", exact=True).click()
    page.get_by_role("button", name="Erlauben").wait_for()
    assert page.locator(".client .badge").inner_text() == "Nicht überprüft"
    assert "Nicht überprüfte Anwendung" in page.locator(".notice").inner_text()
    shoot(page, "consent-unverified-de")
    context.close()

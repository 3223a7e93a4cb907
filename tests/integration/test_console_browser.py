"""The tenant admin console in a real browser: headless Chromium (Debian's package) driven by
Playwright, against the provider that ``chalice local`` serves.

A tenant administrator opens the console, signs in on the tenant's own login page (the
console is the tenant's first relying party), creates a client and reads its secret once,
creates and edits a user, ends a user's session, fixes a wrong setting, rotates a key,
reads the audit events and signs out; a user who is not an administrator is refused. The
pages work with JavaScript off, report no CSP violation, and are saved as screenshots at
desktop and phone sizes under ``test-artifacts/console/``."""

from __future__ import annotations

import re

import pytest

from chalicelib.admin import clients as client_admin
from chalicelib.admin import users as user_admin
from chalicelib.admin.tenants import get_tenant
from tests.integration.conftest import ARTIFACTS, PASSWORD
from tests.integration.test_browser import ARGS, CHROMIUM, SIZES, console_of, sign_in

playwright_api = pytest.importorskip("playwright.sync_api")
SCREENSHOTS = ARTIFACTS / "console"
# The key backend does not change what the console's pages do: they run on one.
one_backend = pytest.mark.parametrize("tenant", ["secretsmanager"], indirect=True)


@pytest.fixture(scope="module")
def chromium():
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def admin(tenant):
    user_admin.create_user(tenant.id, "root", PASSWORD, {"name": "Root Admin"})
    return user_admin.update_user(tenant.id, "root", admin=True)


def shot(page, name: str, size: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}-{size}.png", full_page=True)


def nav(page, section: str) -> None:
    page.get_by_role("navigation", name="Console").get_by_role("link", name=section).click()


@one_backend
@pytest.mark.parametrize("size", list(SIZES))
def test_an_administrator_manages_the_tenant_in_the_console(chromium, issuer, tenant, admin, user, size):
    context = chromium.new_context(viewport=SIZES[size], java_script_enabled=False)
    page = context.new_page()
    messages = console_of(page)

    page.goto(f"{issuer}/console/")
    assert page.title().startswith("Sign in")  # the tenant's own login page
    shot(page, "signin", size)
    sign_in(page, "root")
    assert page.url == f"{issuer}/console/clients"
    assert page.get_by_role("heading", name="Clients").is_visible()

    page.get_by_role("link", name="New client").click()
    page.get_by_label("Name", exact=True).fill("Shop")
    page.get_by_label("Redirect URIs", exact=True).fill("http://localhost:3000/callback")
    shot(page, "client-new", size)
    page.get_by_role("button", name="Create client").click()
    secret = page.locator("#client-secret").inner_text()
    client_id = page.locator("#client-id").inner_text()
    shot(page, "client-secret", size)
    client = client_admin.get_client(tenant.id, client_id)
    assert client.name == "Shop" and client.redirect_uris == ("http://localhost:3000/callback",) and len(secret) == 43
    page.get_by_role("link", name="Back to clients").click()
    assert page.get_by_role("link", name="Shop").is_visible()
    shot(page, "clients", size)

    nav(page, "Users")
    page.get_by_role("link", name="New user").click()
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Name", exact=True).fill("Bob")
    page.get_by_role("button", name="Create user").click()
    assert page.get_by_role("status").inner_text() == "The user was created."
    page.get_by_label("email", exact=True).fill("bob@example.com")
    page.get_by_role("button", name="Save").click()
    assert page.get_by_role("status").inner_text() == "The user was saved."
    assert user_admin.get_user_by_username(tenant.id, "bob").claims == {"name": "Bob", "email": "bob@example.com"}

    nav(page, "Users")
    shot(page, "users", size)
    page.get_by_role("link", name="alice").click()
    page.get_by_role("button", name="Disable").click()
    assert "disabled" in page.get_by_role("status").inner_text()
    assert not user_admin.get_user_by_username(tenant.id, "alice").active
    page.get_by_role("button", name="Enable").click()
    nav(page, "Users")
    page.get_by_role("link", name="root").click()
    assert page.locator("td", has_text="console").count() == 1  # root's own tenant session, via the console client
    shot(page, "user", size)

    nav(page, "Settings")
    page.get_by_label("Primary colour").fill("green")
    page.get_by_label("Access token lifetime (seconds)").fill("5")
    page.get_by_role("button", name="Save settings").click()
    assert page.locator("#primary_color-error").inner_text() == "primary_color must look like #1f5fbf"
    assert "from 60 to 86400" in page.locator("#token_expire-error").inner_text()
    shot(page, "settings-errors", size)
    page.get_by_label("Primary colour").fill("#0a7d53")
    page.get_by_label("Display name").fill("Acme Console Test")
    page.get_by_label("Access token lifetime (seconds)").fill("1800")
    page.get_by_role("button", name="Save settings").click()
    assert page.get_by_role("status").inner_text() == "The settings were saved."
    branding = get_tenant(tenant.id).settings["branding"]
    assert branding == {"display_name": "Acme Console Test", "primary_color": "#0a7d53"}

    nav(page, "Keys")
    old = [key["kid"] for key in get_tenant(tenant.id).keys]
    page.get_by_role("button", name="Rotate key").click()
    assert page.get_by_role("status").is_visible()
    keys = get_tenant(tenant.id).keys  # published first: the old key signs until the new one may
    assert [key["status"] for key in keys if key["kid"] in old] == ["active"] and len(keys) == 2
    assert [key["status"] for key in keys if key["kid"] not in old] == ["next"]
    assert page.get_by_role("cell", name="next").is_visible()
    shot(page, "keys", size)

    nav(page, "Events")
    events = page.locator("tbody tr td:nth-child(2)").all_inner_texts()
    assert events[:4] == ["admin_key_rotated", "admin_tenant_updated", "admin_user_enabled", "admin_user_disabled"]
    assert "admin_client_created" in events
    shot(page, "events", size)

    page.get_by_role("button", name="Sign out").click()
    assert page.get_by_role("heading", name="Sign out?").is_visible()  # the tenant session too
    page.get_by_role("button", name="Sign out").click()
    assert page.get_by_role("heading", name="Signed out of the console").is_visible()
    shot(page, "signed-out", size)
    page.goto(f"{issuer}/console/users")
    assert page.title().startswith("Sign in")  # both sessions are over
    # Nothing but the settings form sent back with its messages (400), which Chromium notes.
    assert messages == ["error: Failed to load resource: the server responded with a status of 400 (Bad Request)"]
    context.close()


@one_backend
def test_a_user_who_is_not_an_administrator_is_refused(chromium, issuer, user):
    context = chromium.new_context(viewport=SIZES["phone"])
    page = context.new_page()
    messages = console_of(page)
    response = page.goto(f"{issuer}/console/")
    sign_in(page, "alice")
    assert re.search(r"administrators may use its console", page.content())
    assert page.get_by_role("heading", name="Something went wrong").is_visible()
    shot(page, "refused", "phone")
    assert response is not None
    assert messages == ["error: Failed to load resource: the server responded with a status of 403 (Forbidden)"]
    context.close()

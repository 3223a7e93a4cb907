"""The administrators' console in Chromium at desktop and phone sizes, checked as every
sign-in page is (test_accessibility.py): signed in once, a walk through every section, a
new client's secret, a delete confirmation, a write refused as stale, a settings form with
its errors (each message its field's description), and signing out."""

from __future__ import annotations

import pytest

from chalicelib.admin import users as user_admin
from tests.integration import a11y
from tests.integration.conftest import PASSWORD
from tests.integration.test_accessibility import SUMMARY, Walk
from tests.integration.test_browser import ARGS, CHROMIUM, SIZES

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
one_backend = pytest.mark.parametrize("tenant", ["secretsmanager"], indirect=True)


@pytest.fixture(scope="module")
def chromium():
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()
    a11y.write_summary(SUMMARY)


@one_backend
def test_every_console_page_is_accessible(chromium, issuer, tenant):
    user_admin.create_user(tenant.id, "root", PASSWORD, {"name": "Root Admin"})
    user_admin.update_user(tenant.id, "root", admin=True)
    context = chromium.new_context(viewport=SIZES["desktop"])
    walk = Walk(context.new_page())
    walk.page.goto(f"{issuer}/console/")
    walk.check("console-signin")
    walk.sign_in("root")
    console_pages(walk, tenant.id)
    console_settings_and_keys(walk)
    walk.click("button", "Sign out")
    walk.check("console-logout")  # the tenant's own end-session page, asked by the console
    walk.click("button", "Sign out")
    walk.check("console-signed-out")
    context.close()
    walk.assert_passed(pages=16)


def console_pages(walk: Walk, tenant_id: str) -> None:
    """The clients and users sections: lists, forms, a secret shown once, a confirmation, a
    write refused because the user changed meanwhile."""
    page = walk.page
    walk.check("console-clients")
    walk.click("link", "New client")
    walk.check("console-client-new")
    page.get_by_label("Name", exact=True).fill("Kiosk")
    page.get_by_label("Redirect URIs", exact=True).fill("http://localhost:3000/callback")
    walk.click("button", "Create client")
    walk.check("console-client-secret")
    walk.click("link", "Edit client")
    walk.check("console-client")
    walk.click("button", "Delete client")
    walk.check("console-confirm")
    nav(walk, "Users")
    walk.check("console-users")
    walk.click("link", "New user")
    walk.check("console-user-new")
    nav(walk, "Users")
    walk.click("link", "root")
    walk.check("console-user")
    user_admin.update_user(tenant_id, "root", claims={"nickname": "changed meanwhile"})
    walk.click("button", "Save")
    walk.check("console-stale")


def console_settings_and_keys(walk: Walk) -> None:
    nav(walk, "Settings")
    walk.check("console-settings")
    walk.page.get_by_label("Primary colour").fill("green")
    # A choice the list never offered (a stale or forged form): its message is the list's too.
    walk.page.locator("#require_pkce option:checked").evaluate("(option) => { option.value = 'sometimes'; }")
    walk.click("button", "Save settings")
    walk.check("console-settings-errors")
    described = {"Primary colour": "primary_color must look like #1f5fbf",
                 "PKCE required for": "require_pkce must be one of 'public', 'all'"}  # fmt: skip
    for field, message in described.items():
        expect(walk.page.get_by_label(field)).to_have_accessible_description(message)
    nav(walk, "Keys")
    walk.click("button", "Rotate key")  # a next key, with its Retire button
    walk.check("console-keys")
    nav(walk, "Events")
    walk.check("console-events")


def nav(walk: Walk, section: str) -> None:
    walk.page.get_by_role("navigation", name="Console").get_by_role("link", name=section).click()

"""Every page, checked by axe-core in Chromium at desktop (1280x800) and phone (390x844)
sizes: no serious or critical violation of WCAG 2.x A/AA (tests/integration/a11y.py).

One browser page walks the pages a person meets, signed in once: the home and tenant pages,
errors (also an unverified client's, in both forms), login (empty and with its error),
consent (a verified client with its logo and links, an unverified one with its warning),
the form_post page, the administrators' console (every section, a new client's secret, a
delete confirmation, a stale write, a form with its errors), the logout confirmation and the
signed-out pages. Each page is checked at both sizes, resized in place; every result is kept
under test-artifacts/a11y/, with summary.md counting violations by impact per page."""

from __future__ import annotations

import json

import pytest

from chalicelib.admin import clients as client_admin
from chalicelib.admin import tenants as tenant_admin
from chalicelib.admin import users as user_admin
from tests.integration import a11y
from tests.integration.conftest import PASSWORD
from tests.integration.test_browser import ARGS, CHROMIUM, SIZES, authorize_url, end_session_url, sign_in

playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def chromium():
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


class Walk:
    """A page and what axe found on each page it was shown, at each size."""

    def __init__(self, page) -> None:
        self.page = page
        self.results: dict[str, dict] = {}

    def check(self, name: str, loaded: bool = True) -> None:
        if loaded:  # after a click, the page it led to
            self.page.wait_for_load_state()
        for size, viewport in SIZES.items():
            self.page.set_viewport_size(viewport)
            self.results[f"{name}-{size}"] = a11y.audit(self.page, f"{name}-{size}")
        self.page.set_viewport_size(SIZES["desktop"])

    def click(self, role: str, name: str) -> None:
        self.page.get_by_role(role, name=name, exact=True).first.click()

    def nav(self, section: str) -> None:
        self.page.get_by_role("navigation", name="Console").get_by_role("link", name=section).click()


@pytest.mark.parametrize("tenant", ["secretsmanager"], indirect=True)
def test_every_page_has_no_serious_or_critical_violation(chromium, provider, issuer, tenant, rp, user):
    logo = f"{rp.origin}/logo.svg"  # served on loopback, as every address this suite reaches
    tenant_admin.update_settings(tenant.id, {"branding": {"display_name": "Acme", "logo_uri": logo}})
    user_admin.create_user(tenant.id, "root", PASSWORD, {"name": "Root Admin"})
    user_admin.update_user(tenant.id, "root", admin=True)
    back = f"{rp.origin}/logged-out"
    links = {"website_url": f"{rp.origin}/", "terms_url": f"{rp.origin}/terms"}
    verified = client_admin.create_client(
        tenant.id, name="Shop", client_type="confidential", redirect_uris=[f"{rp.origin}/callback"],
        post_logout_redirect_uris=[back], logo_uri=logo, **links,
    )[0]  # fmt: skip
    unverified = client_admin.create_client(
        tenant.id, name="Stranger", client_type="confidential", redirect_uris=[f"{rp.origin}/callback"],
        post_logout_redirect_uris=[back], verified=False,
    )[0]  # fmt: skip
    context = chromium.new_context(viewport=SIZES["desktop"])
    walk = Walk(context.new_page())

    signed_out_pages(walk, provider, issuer, rp.origin, unverified.client_id)
    sign_in_pages(walk, issuer, rp, verified.client_id, unverified.client_id)
    console_pages(walk, issuer, tenant.id)
    logout_pages(walk, issuer, verified.client_id)
    context.close()

    summary = a11y.write_summary(walk.results)
    assert len(walk.results) == 2 * 30 and summary.exists()
    problems = {name: a11y.blocking(result) for name, result in walk.results.items()}
    assert {name: found for name, found in problems.items() if found} == {}


def signed_out_pages(walk: Walk, provider: str, issuer: str, rp: str, unverified: str) -> None:
    """The pages a browser without a session sees."""
    page, back = walk.page, f"{rp}/logged-out"
    for name, url in [
        ("home", f"{provider}/"),
        ("tenant", issuer),
        ("error", f"{issuer}/authorize?client_id=unknown"),
        ("error-continue", authorize_url(issuer, unverified, f"{rp}/callback", prompt="none")),
        ("error-continue-form-post", authorize_url(
            issuer, unverified, f"{rp}/callback", prompt="none", response_mode="form_post")),
        ("logged-out", end_session_url(issuer)),
        ("logged-out-unverified", end_session_url(issuer, client_id=unverified, post_logout_redirect_uri=back)),
    ]:  # fmt: skip
        page.goto(url)
        walk.check(name)


def sign_in_pages(walk: Walk, issuer: str, rp, client_id: str, unverified: str) -> None:
    """Login, its error, consent and the form_post page; then an unverified client's consent."""
    page = walk.page
    page.goto(authorize_url(issuer, client_id, f"{rp.origin}/callback", response_mode="form_post"))
    walk.check("login")
    sign_in(page, "root", "not the password")
    walk.check("login-error")
    sign_in(page, "root")
    walk.check("consent")
    # The form_post page submits itself at once: the relying party's end is cut off (as a
    # navigation the user stopped), so the page stays to be checked.
    page.route(f"{rp.origin}/callback", lambda route: route.abort("aborted"))
    with page.expect_event("requestfailed", lambda request: request.url == f"{rp.origin}/callback"):
        walk.click("button", "Allow")
    assert page.get_by_role("heading", name="Continuing…").is_visible()
    walk.check("form-post", loaded=False)  # its load was cut off with the post
    page.unroute(f"{rp.origin}/callback")
    page.goto(authorize_url(issuer, unverified, f"{rp.origin}/callback"))
    walk.check("consent-unverified")


def console_pages(walk: Walk, issuer: str, tenant_id: str) -> None:
    """Every section of the console, signed in through the tenant session above."""
    page = walk.page
    page.goto(f"{issuer}/console/")
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
    walk.nav("Users")
    walk.check("console-users")
    walk.click("link", "New user")
    walk.check("console-user-new")
    walk.nav("Users")
    walk.click("link", "root")
    walk.check("console-user")
    user_admin.update_user(tenant_id, "root", claims={"nickname": "changed meanwhile"})
    walk.click("button", "Save")
    walk.check("console-stale")
    console_settings_and_keys(walk)


def console_settings_and_keys(walk: Walk) -> None:
    page = walk.page
    walk.nav("Settings")
    walk.check("console-settings")
    page.get_by_label("Primary colour").fill("green")
    walk.click("button", "Save settings")
    walk.check("console-settings-errors")
    walk.nav("Keys")
    walk.click("button", "Rotate key")  # a next key, with its Retire button
    walk.check("console-keys")
    walk.nav("Events")
    walk.check("console-events")


def logout_pages(walk: Walk, issuer: str, client_id: str) -> None:
    """An application asks to sign out, the user stays; then the console's own sign-out."""
    page = walk.page
    page.goto(end_session_url(issuer, client_id=client_id))
    walk.check("logout")
    walk.click("button", "Stay signed in")
    walk.check("logged-out-still")
    page.goto(f"{issuer}/console/")
    walk.click("button", "Sign out")
    walk.check("console-logout")
    walk.click("button", "Sign out")
    walk.check("console-signed-out")
    page.goto(f"{issuer}/console/")
    walk.check("console-signin")


def test_the_check_names_each_serious_violation_and_keeps_the_result(chromium):
    """The helper is no rubber stamp: a page with an unlabelled field, grey-on-white text
    and an image without a text alternative fails, one line per element."""
    page = chromium.new_page(viewport=SIZES["phone"])
    page.set_content(
        '<!doctype html><html lang="en"><title>Bad</title><main><h1>Bad</h1>'
        '<p style="color:#bbb">faint</p><input type="text" name="q"><img src="data:,"></main></html>'
    )
    with pytest.raises(AssertionError) as failed:
        a11y.assert_accessible(page, "self-test-bad")
    page.close()
    lines = str(failed.value).splitlines()[1:]
    assert [line.split(":")[0] for line in lines] == ["critical image-alt", "critical label", "serious color-contrast"]
    assert lines[1].startswith("critical label: Form elements must have labels at input")
    kept = json.loads((a11y.RESULTS / "self-test-bad.json").read_text())
    assert {violation["id"] for violation in kept["violations"]} == {"image-alt", "label", "color-contrast"}

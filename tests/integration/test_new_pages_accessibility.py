"""The pages this issue added, in Chromium at desktop and phone sizes and in English and German:
no serious or critical axe-core violation of WCAG 2.x A/AA, and none of what axe does not check
(tests/integration/a11y.py: faint field borders, sideways scrolling at 320 px, controls the Tab
key misses or whose focus does not show).

One browser context per language (its locale, and ``ui_locales`` on the authorization request)
walks them with one user: the forgot-password form and its answer, the reset-password page
reached from the local mail page, the sign-up form, the second-factor enrolment (the tenant
requires one) and the recovery codes, then a fresh sign-in (``prompt=login``) to the TOTP
page and its error, and, signed in, the passkeys and account pages. Screenshots of each page
go to test-artifacts/new-pages/<lang>/; axe's results to test-artifacts/a11y/ with
new-pages-summary.md counting violations by impact."""

from __future__ import annotations

import time

import pyotp
import pytest

from chalicelib.admin import tenants as tenant_admin
from infra import mailpage
from tests.integration import a11y
from tests.integration.conftest import ARTIFACTS, EMULATOR
from tests.integration.test_accessibility import Walk
from tests.integration.test_browser import SIZES, authorize_url, browser_rp_client, chromium
from tests.integration.test_mail_browser import NEW_PASSWORD, inbox, mail_tenant, next_mail
from tests.integration.test_mfa_browser import wrong_code

__all__ = ["chromium", "mail_tenant"]  # the shared fixtures
LANGUAGES = ("en", "de")
SCREENSHOTS = ARTIFACTS / "new-pages"
SUMMARY: dict[str, dict] = {}  # both walks' results, for new-pages-summary.md
one_backend = pytest.mark.parametrize("tenant", ["secretsmanager"], indirect=True)


class Shooting(Walk):
    """A walk that also keeps a screenshot of each page it checks, per language."""

    def check(self, name: str, loaded: bool = True) -> None:
        super().check(name, loaded)
        SUMMARY.update(self.results)
        folder = SCREENSHOTS / self.language
        folder.mkdir(parents=True, exist_ok=True)
        self.page.evaluate("() => document.activeElement && document.activeElement.blur()")  # the Tab walk's last stop
        self.page.screenshot(path=folder / f"{name}.png", full_page=True)
        assert (folder / f"{name}.png").stat().st_size > 1000


@pytest.fixture
def strict_tenant(mail_tenant):
    """The mail tenant (sign-up on) also requires a second factor: set before the provider
    first reads it (it caches tenants)."""
    tenant_admin.update_settings(mail_tenant.id, {"mfa_policy": "required"})
    return mail_tenant


@one_backend
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_new_pages_are_accessible(chromium, issuer, strict_tenant, rp, user, language):
    client = browser_rp_client(strict_tenant, rp)[0]
    url = authorize_url(issuer, client.client_id, f"{rp.origin}/callback", nonce="n", ui_locales=language)
    context = chromium.new_context(viewport=SIZES["desktop"], locale=language)
    walk = Shooting(context.new_page(), language)
    page = walk.page

    # Signed out: forgot password, its answer, the mailed link's page, the sign-up form.
    seen = len(inbox("alice@example.com"))  # the address is every test tenant's alice's
    page.goto(url)
    page.locator("a[href*='/password/forgot']").click()
    walk.check("forgot-password")
    page.locator("#username").fill("alice")
    page.locator("form button.primary").click()
    walk.check("forgot-password-sent")
    link = next_mail("alice@example.com", seen).body.split("\n\n")[2].strip()
    page.goto(f"{EMULATOR.url}{mailpage.PATH}")  # the local mail page, as in make run
    page.locator(f'article a[href="{link}"]').click()
    walk.check("reset-password")
    page.locator("#password").fill(NEW_PASSWORD)
    page.locator("#confirm").fill(NEW_PASSWORD)
    page.locator("form button.primary").click()
    walk.check("password-changed")
    page.goto(url)
    page.locator("a[href*='/signup']").click()
    walk.check("sign-up")

    # Sign in: the tenant requires a second factor, so the app is set up on the way.
    page.goto(url)
    walk.sign_in("alice", NEW_PASSWORD)
    walk.check("mfa-enrol")
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.locator("#code").fill(pyotp.TOTP(secret).now())
    walk.press("enrol")
    walk.check("mfa-recovery-codes")
    assert page.locator("#recovery-codes code").count() == 10
    walk.press("continue")
    walk.press("allow")
    page.wait_for_selector("#done")

    # Asked to sign in again: the password, then the app's code (wrong first).
    page.goto(authorize_url(issuer, client.client_id, f"{rp.origin}/callback", prompt="login", ui_locales=language))
    walk.sign_in("alice", NEW_PASSWORD)
    walk.check("mfa-verify")
    page.locator("#code").fill(wrong_code(secret))
    walk.press("verify")
    page.get_by_role("alert").wait_for()
    walk.check("mfa-verify-error")
    page.locator("#code").fill(pyotp.TOTP(secret).at(time.time() + 30))  # the enrolment used this step's
    walk.press("verify")
    page.wait_for_selector("#done")

    # Signed in: the user's own pages.
    page.goto(f"{issuer}/passkeys")
    walk.check("passkeys")
    page.goto(f"{issuer}/account")
    page.locator("#totp-state").wait_for()
    walk.check("account")
    context.close()
    a11y.write_summary(SUMMARY, a11y.RESULTS / "new-pages-summary.md")
    walk.assert_passed(pages=11)

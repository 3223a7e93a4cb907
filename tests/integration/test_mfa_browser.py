"""Second factors in a real browser (headless Chromium driven by Playwright), against the
provider as ``chalice local`` serves it: enrolment during sign-in on a tenant that requires
it (the TOTP code computed here from the secret the page shows), sign-in with the app's code,
with a recovery code (refused the second time), step-up through ``acr_values`` from a
password-only session, and wrong codes running into the abuse limit. No page may report a
CSP violation (the QR code is an SVG ``data:`` image). Screenshots of every new page go to
test-artifacts/mfa/."""

from __future__ import annotations

import time

import jwt
import pyotp
import pytest
import requests

from chalicelib.accounts import factors
from chalicelib.admin import tenants as tenant_admin
from chalicelib.admin import users as user_admin
from chalicelib.oidc import acr
from tests.integration.conftest import ARTIFACTS, PASSWORD
from tests.integration.test_browser import SIZES, authorize_url, browser_rp_client, chromium, console_of, sign_in

__all__ = ["chromium"]  # the module-scoped Chromium fixture, shared
SCREENSHOTS = ARTIFACTS / "mfa"
envelope_only = pytest.mark.parametrize("tenant", ["envelope"], indirect=True)


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
    assert (SCREENSHOTS / f"{name}.png").stat().st_size > 1000


def requiring(tenant, **more) -> None:
    """Settings go in before the provider first reads the tenant (it caches it for 30 s)."""
    tenant_admin.update_settings(tenant.id, {"mfa_policy": "required", **more})


def id_token(issuer: str, client, rp) -> dict:
    registered, secret = client
    grant = {
        "grant_type": "authorization_code",
        "code": rp.received[-1]["code"],
        "redirect_uri": f"{rp.origin}/callback",
    }
    response = requests.post(f"{issuer}/token", data=grant, auth=(registered.client_id, secret), timeout=30)
    assert response.status_code == 200, response.text
    return jwt.decode(response.json()["id_token"], options={"verify_signature": False})


def enrol_in_page(page, screenshots: str | None = None) -> tuple[str, list[str]]:
    """On the enrolment page: read the key shown for manual entry, confirm with the app's
    code now, read the recovery codes; returns both."""
    page.get_by_role("heading", name="Set up two-step verification").wait_for()
    assert page.get_by_role("img", name="QR code for your authenticator app").evaluate("img => img.naturalWidth") > 100
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    if screenshots:
        shoot(page, f"enrol-{screenshots}")
    page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", name="Your recovery codes").wait_for()
    if screenshots:
        shoot(page, f"recovery-codes-{screenshots}")
    codes = page.locator("#recovery-codes code").all_inner_texts()
    page.get_by_role("button", name="I saved them, continue").click()
    return secret, codes


def wrong_code(secret: str) -> str:
    """A six-digit code that is none of the app's codes around now."""
    totp, now = pyotp.TOTP(secret), time.time()
    right = {totp.at(now + offset) for offset in (-60, -30, 0, 30, 60)}
    return next(code for code in ("000000", "111111", "222222", "333333", "444444", "555555") if code not in right)


def give_code(page, code: str) -> None:
    page.get_by_label("Code from your authenticator app").fill(code)
    # The answer is a new page: wait for it, so that the next code is typed into that one (a
    # loaded machine let the next code race the last answer, and an attempt went uncounted).
    with page.expect_navigation():
        page.get_by_role("button", name="Verify").click()


@envelope_only
def test_enrolment_then_totp_then_recovery_code_once(chromium, issuer, tenant, rp, user):
    requiring(tenant)
    client = browser_rp_client(tenant, rp)
    url = authorize_url(issuer, client[0].client_id, f"{rp.origin}/callback", nonce="n")
    user_admin.create_user(tenant.id, "bob", PASSWORD, {"name": "Bob"})
    # Alice enrols at desktop size; Bob, at phone size, for the phone's screenshots.
    for username, size in (("bob", "phone"), ("alice", "desktop")):
        context = chromium.new_context(viewport=SIZES[size])
        page = context.new_page()
        messages = console_of(page)
        page.goto(url)
        sign_in(page, username=username)
        secret, codes = enrol_in_page(page, screenshots=size)
        page.get_by_role("button", name="Allow").click()
        page.wait_for_selector("#done")
        claims = id_token(issuer, client, rp)
        assert claims["acr"] == acr.MULTI_FACTOR and claims["amr"] == ["pwd", "otp", "mfa"]
        assert len(codes) == 10 and not messages, messages
        context.close()

    # Another browser: the password, then the app's code (the next time step: the one the
    # enrolment used cannot be used again).
    context = chromium.new_context(viewport=SIZES["desktop"])
    page = context.new_page()
    messages = console_of(page)
    page.goto(url)
    sign_in(page)
    page.get_by_role("heading", name="Two-step verification").wait_for()
    shoot(page, "verify-desktop")
    give_code(page, wrong_code(secret))
    page.get_by_role("alert").wait_for()
    assert "That code is not right" in page.get_by_role("alert").inner_text()
    shoot(page, "verify-error-desktop")
    messages.clear()  # the browser reports the page's 401 as a failed load: deliberate here
    give_code(page, pyotp.TOTP(secret).at(time.time() + 30))
    page.wait_for_selector("#done")
    assert id_token(issuer, client, rp)["amr"] == ["pwd", "otp", "mfa"] and not messages, messages
    context.close()

    # A recovery code signs in once; the same code in a third browser is refused.
    for attempt in ("first", "again"):
        context = chromium.new_context()
        page = context.new_page()
        page.goto(url)
        sign_in(page)
        give_code(page, codes[0])
        if attempt == "first":
            page.wait_for_selector("#done")
            assert id_token(issuer, client, rp)["acr"] == acr.MULTI_FACTOR
        else:
            page.get_by_role("alert").wait_for()
            assert "That code is not right" in page.get_by_role("alert").inner_text()
        context.close()


@envelope_only
def test_step_up_through_acr_values_from_a_password_session(chromium, issuer, tenant, rp, user):
    tenant_admin.update_settings(tenant.id, {"mfa_policy": "optional"})
    client = browser_rp_client(tenant, rp)
    context = chromium.new_context()
    page = context.new_page()
    page.goto(authorize_url(issuer, client[0].client_id, f"{rp.origin}/callback", nonce="n"))
    sign_in(page)
    page.get_by_role("button", name="Allow").click()
    page.wait_for_selector("#done")
    assert id_token(issuer, client, rp)["acr"] == acr.SINGLE_FACTOR
    # The RP asks for more: the same session is asked for a second factor, not the password.
    page.goto(
        authorize_url(issuer, client[0].client_id, f"{rp.origin}/callback", nonce="n", acr_values=acr.MULTI_FACTOR)
    )
    enrol_in_page(page)
    page.wait_for_selector("#done")  # consent remembered
    claims = id_token(issuer, client, rp)
    assert claims["acr"] == acr.MULTI_FACTOR and claims["amr"] == ["pwd", "otp", "mfa"]
    context.close()


@envelope_only
def test_wrong_codes_run_into_the_abuse_limit(chromium, issuer, tenant, rp, user):
    requiring(tenant, mfa_attempts_per_account=3)
    secret = factors.new_secret()
    assert factors.enrol(tenant.id, user.sub, user.epoch, secret, pyotp.TOTP(secret).now(), int(time.time()))
    client = browser_rp_client(tenant, rp)
    context = chromium.new_context()
    page = context.new_page()
    page.goto(authorize_url(issuer, client[0].client_id, f"{rp.origin}/callback", nonce="n"))
    sign_in(page)
    for _ in range(3):
        give_code(page, wrong_code(secret))
        page.get_by_role("alert").wait_for()
    give_code(page, pyotp.TOTP(secret).at(time.time() + 30))  # right, but one too many
    page.get_by_text("Too many attempts").wait_for()
    shoot(page, "verify-limited-desktop")
    assert not rp.received and not any(cookie["name"] == "op_session" for cookie in context.cookies())
    context.close()

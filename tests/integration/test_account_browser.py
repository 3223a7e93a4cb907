"""The account page in a real browser (headless Chromium driven by Playwright), against the
provider as ``chalice local`` serves it: alice signs in to an application in three browsers,
opens her account page in the first (no second sign-in: the page uses the OP session), sets
up an authenticator app (the code computed here from the key the page shows) and removes it,
ends the second browser's session (its application gets a back-channel logout token),
withdraws the application's consent (its refresh token is then refused at the token
endpoint), and changes her password (the third browser is signed out, the first stays). Then
the negative cases: a form without this browser's CSRF token, and wrong current passwords
running into the login limits. No page may report a CSP violation. Screenshots of each state
at desktop and phone sizes go to test-artifacts/account/."""

from __future__ import annotations

import jwt
import pyotp
import pytest
import requests

from chalicelib.admin import clients as client_admin
from chalicelib.admin import tenants as tenant_admin
from tests.integration.conftest import ARTIFACTS, LOCAL_HOSTS, PASSWORD, wait_until
from tests.integration.test_browser import SIZES, authorize_url, chromium, console_of, sign_in

__all__ = ["chromium"]  # the module-scoped Chromium fixture, shared
SCREENSHOTS = ARTIFACTS / "account"
NEW_PASSWORD = "a brand new passphrase"
envelope_only = pytest.mark.parametrize("tenant", ["envelope"], indirect=True)


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
    assert (SCREENSHOTS / f"{name}.png").stat().st_size > 1000


@pytest.fixture
def app_client(tenant, rp):
    """An application alice signs in to: refresh tokens, and a back-channel logout URI on the
    test's RP server (the tenant lets the provider reach this machine, and asks for an
    authenticator app's code of the users who have one)."""
    # Settings go in before the provider first reads the tenant (it caches it for 30 s).
    tenant_admin.update_settings(tenant.id, {"outbound_allowed_hosts": LOCAL_HOSTS, "mfa_policy": "optional"})
    return client_admin.create_client(
        tenant.id, name="Photo Book", client_type="confidential", redirect_uris=[f"{rp.origin}/callback"],
        grant_types=["authorization_code", "refresh_token"], backchannel_logout_uri=f"{rp.origin}/backchannel",
    )  # fmt: skip


def sign_in_to_app(page, issuer: str, rp, client) -> dict:
    """Alice signs in to the application (consent the first time only: it is remembered);
    the application redeems its code for her tokens."""
    registered, secret = client
    page.goto(authorize_url(issuer, registered.client_id, f"{rp.origin}/callback", nonce="n"))
    sign_in(page)
    page.wait_for_selector("#done, button[value=allow]")
    if page.locator("#done").count() == 0:
        page.get_by_role("button", name="Allow").click()
        page.wait_for_selector("#done")
    code = rp.received[-1]["code"]
    grant = {"grant_type": "authorization_code", "code": code, "redirect_uri": f"{rp.origin}/callback"}
    response = requests.post(f"{issuer}/token", data=grant, auth=(registered.client_id, secret), timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def refresh(issuer: str, client, token: str) -> requests.Response:
    registered, secret = client
    grant = {"grant_type": "refresh_token", "refresh_token": token}
    return requests.post(f"{issuer}/token", data=grant, auth=(registered.client_id, secret), timeout=30)


def notice(page) -> str:
    return page.get_by_role("status").inner_text()


@envelope_only
@pytest.mark.parametrize("size", list(SIZES))
def test_the_account_page_actions(chromium, issuer, tenant, rp, user, app_client, size):
    browsers = [chromium.new_context(viewport=SIZES[size]) for _ in range(3)]
    pages = [context.new_page() for context in browsers]
    tokens = [sign_in_to_app(page, issuer, rp, app_client) for page in pages]
    page = pages[0]
    messages = console_of(page)

    page.goto(f"{issuer}/account")
    page.get_by_role("heading", name="Your account").wait_for()
    assert page.locator("#totp-state").inner_text() == "Authenticator app: off"
    assert page.locator("#sessions > li").count() == 3 and "Photo Book" in page.locator("#applications").inner_text()
    shoot(page, f"overview-{size}")

    # An authenticator app: set up, then removed (the sign-in is recent: no password asked).
    page.get_by_role("link", name="Set up an authenticator app").click()
    page.get_by_role("heading", name="Set up two-step verification").wait_for()
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    shoot(page, f"totp-enrol-{size}")
    page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", name="Your recovery codes").wait_for()
    assert page.locator("#recovery-codes code").count() == 10
    shoot(page, f"recovery-codes-{size}")
    page.get_by_role("button", name="I saved them, continue").click()
    assert notice(page) == "Two-step verification is on."
    assert page.locator("#totp-state").inner_text() == "Authenticator app: on"
    shoot(page, f"totp-on-{size}")
    # Five minutes on, removing the app takes the password again.
    _age_sign_in(page, tenant.id, seconds=600)
    page.reload()
    page.get_by_label("Your password").wait_for()
    shoot(page, f"totp-reauthenticate-{size}")
    page.get_by_label("Your password").fill("not the password")
    page.get_by_role("button", name="Remove the app").click()
    assert page.get_by_role("alert").inner_text() == "Your current password is not right."
    assert page.locator("#totp-state").inner_text() == "Authenticator app: on"
    messages.clear()  # the browser reports the page's 401 as a failed load: deliberate here
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Remove the app").click()
    assert notice(page) == "Your authenticator app is removed."
    assert page.locator("#totp-state").inner_text() == "Authenticator app: off"

    # The second browser's session ends; its application hears of it on the back channel.
    sid = jwt.decode(tokens[1]["id_token"], options={"verify_signature": False})["sid"]
    page.locator(f"#sessions > li:has(input[name=sid][value='{sid}'])").get_by_role("button").click()
    assert notice(page) == "The session has ended."
    shoot(page, f"session-ended-{size}")
    assert page.locator("#sessions > li").count() == 2
    ended = [pages[n] for n in (1, 2) if _signed_out(pages[n], issuer)]
    assert ended == [pages[1]]
    posted = wait_until(lambda: [r for r in rp.received if "logout_token" in r])
    assert jwt.decode(posted[0]["logout_token"], options={"verify_signature": False})["sid"] == sid

    # The application's consent is withdrawn: its refresh tokens are refused from now on.
    assert refresh(issuer, app_client, tokens[2]["refresh_token"]).status_code == 200
    page.get_by_role("button", name="Withdraw access of Photo Book").click()
    assert notice(page) == "The application can no longer act for you."
    assert "You have not allowed any application yet." in page.locator("body").inner_text()
    shoot(page, f"consent-withdrawn-{size}")
    for token in (tokens[0]["refresh_token"],):
        refused = refresh(issuer, app_client, token)
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"

    # A new password: the third browser is signed out, this one stays signed in.
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    assert notice(page) == "Your password is changed. Your other sessions have ended."
    assert page.locator("#sessions > li").count() == 1
    shoot(page, f"password-changed-{size}")
    assert _signed_out(pages[2], issuer)
    page.goto(f"{issuer}/account")
    page.get_by_role("heading", name="Your account").wait_for()
    assert not messages, messages
    for context in browsers:
        context.close()


def _age_sign_in(page, tenant_id: str, seconds: int) -> None:
    """Move this browser's session's sign-in ``seconds`` into the past (the provider's clock
    cannot be moved from here): the state of a session signed in a while ago."""
    from chalicelib.oidc.interaction import SESSION_COOKIE, parse_session_cookie
    from chalicelib.store.models import SessionItem
    from chalicelib.store.sessions import PREFIX

    cookie = next(c["value"] for c in page.context.cookies() if c["name"] == SESSION_COOKIE)
    key, _ = parse_session_cookie(cookie)
    item = SessionItem.get(tenant_id, PREFIX + key, consistent_read=True)
    item.update(actions=[SessionItem.auth_time.set(int(item.auth_time) - seconds)])


def _signed_out(page, issuer: str) -> bool:
    """Whether the browser, opening the account page, is asked to sign in."""
    page.goto(f"{issuer}/account")
    page.wait_for_load_state()
    return page.get_by_role("heading", name="Sign in").count() == 1


@envelope_only
@pytest.mark.parametrize("size", list(SIZES))
def test_without_a_session_the_page_asks_to_sign_in_first(chromium, issuer, user, size):
    context = chromium.new_context(viewport=SIZES[size])
    page = context.new_page()
    messages = console_of(page)
    page.goto(f"{issuer}/account")
    page.get_by_role("heading", name="Sign in").wait_for()
    assert "Your account" in page.locator("body").inner_text()  # the built-in client's name
    shoot(page, f"sign-in-first-{size}")
    sign_in(page)
    page.get_by_role("heading", name="Your account").wait_for()
    assert page.url == f"{issuer}/account" and not messages, messages
    # Signing out: the provider's own confirmation, then the page asks to sign in again.
    page.get_by_role("link", name="Sign out").click()
    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{issuer}/account")
    page.get_by_role("heading", name="Sign in").wait_for()
    context.close()


@envelope_only
@pytest.mark.parametrize("size", list(SIZES))
def test_csrf_and_the_limits_on_the_password_form(chromium, issuer, tenant, user, size):
    # Settings go in before the provider first reads the tenant (it caches it for 30 s).
    tenant_admin.update_settings(tenant.id, {"login_attempts_per_device": 3, "login_attempts_per_account": 3})
    context = chromium.new_context(viewport=SIZES[size])
    page = context.new_page()
    page.goto(f"{issuer}/account")
    sign_in(page)
    page.get_by_role("heading", name="Your account").wait_for()

    # A post with this browser's cookies but without the page's token: refused, nothing done.
    forged = page.request.post(
        f"{issuer}/account", form={"action": "end-others", "current_password": PASSWORD}, max_redirects=0
    )
    assert forged.status == 403 and "not sent from this site" in forged.text()

    for attempt in range(4):
        page.get_by_label("Current password").fill("not the password")
        page.get_by_label("New password").fill(NEW_PASSWORD)
        with page.expect_navigation():  # each answer is a new page: read that one, not the last
            page.get_by_role("button", name="Change password").click()
        page.get_by_role("alert").wait_for()
        expected = "Your current password is not right." if attempt < 3 else "Too many attempts. Try again in"
        assert page.get_by_role("alert").inner_text().startswith(expected)
        if attempt == 0:
            shoot(page, f"password-wrong-{size}")
    shoot(page, f"password-limited-{size}")
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    assert page.get_by_role("alert").inner_text().startswith("Too many attempts")  # the right one too, for now
    context.close()

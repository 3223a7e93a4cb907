"""Passkeys in a real browser: headless Chromium driven by Playwright, with DevTools' virtual
authenticator (CTAP2, an internal platform authenticator with resident keys and user
verification) answering ``navigator.credentials``, against the provider as ``chalice local``
serves it. Its issuer is on ``localhost``: a WebAuthn relying party ID is a domain, never an
IP address.

Registration on the user's own page, sign-out, usernameless sign-in with the passkey
(amr/acr read from the ID token), a passkey enrolled during sign-in and then given as the
second factor after the password, and a removed passkey refused; a session signed in long
ago types its password again before it may add or remove one. The pages' script runs
under their CSP nonce: no page may report a CSP violation or a script error. Screenshots of
every new page go to test-artifacts/passkeys/."""

from __future__ import annotations

import jwt
import pytest
import requests

from chalicelib.admin import tenants as tenant_admin
from chalicelib.oidc import acr
from tests.integration.conftest import ARTIFACTS, PASSWORD, dev_server
from tests.integration.test_browser import (
    SIZES,
    authorize_url,
    browser_rp_client,
    chromium,
    console_of,
    end_session_url,
    sign_in,
)

__all__ = ["chromium"]
SCREENSHOTS = ARTIFACTS / "passkeys"
envelope_only = pytest.mark.parametrize("tenant", ["envelope"], indirect=True)


@pytest.fixture(scope="module")
def localhost_provider(provider):
    with dev_server("chalice-local-passkeys", public_host="localhost") as base:
        yield base


@pytest.fixture
def issuer(localhost_provider, tenant) -> str:
    return f"{localhost_provider}/{tenant.id}"


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
    assert (SCREENSHOTS / f"{name}.png").stat().st_size > 1000


def virtual_authenticator(context, page):
    """DevTools' virtual authenticator for ``page``: a platform authenticator that keeps
    discoverable credentials and verifies its user (a PIN or a fingerprint, always right)."""
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    options = {"protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
               "hasUserVerification": True, "isUserVerified": True}  # fmt: skip
    authenticator = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})["authenticatorId"]
    return lambda: cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]


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


def finish(page) -> None:
    """Consent where asked, then the RP's page."""
    page.wait_for_selector("#done, button:text('Allow')")
    if page.get_by_role("button", name="Allow").count():
        page.get_by_role("button", name="Allow").click()
    page.wait_for_selector("#done")


def sign_out(page, issuer: str) -> None:
    page.goto(end_session_url(issuer))
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()


@envelope_only
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_register_sign_out_sign_in_with_the_passkey_then_remove_it(chromium, issuer, tenant, rp, user, size):
    tenant_admin.update_settings(tenant.id, {"mfa_policy": "optional"})
    client = browser_rp_client(tenant, rp)
    url = authorize_url(issuer, client[0].client_id, f"{rp.origin}/callback", nonce="n")
    context = chromium.new_context(viewport=SIZES[size])
    page = context.new_page()
    messages = console_of(page)
    credentials = virtual_authenticator(context, page)
    page.goto(url)
    sign_in(page)
    finish(page)
    assert id_token(issuer, client, rp)["amr"] == ["pwd"]

    page.goto(f"{issuer}/passkeys")
    page.get_by_text("You have no passkeys yet.").wait_for()
    shoot(page, f"passkeys-empty-{size}")
    page.get_by_role("button", name="Add a passkey").click()
    page.get_by_text("Your passkey was added").wait_for()
    shoot(page, f"passkeys-added-{size}")
    (stored,) = credentials()
    assert stored["isResidentCredential"] and stored["rpId"] == "localhost"

    sign_out(page, issuer)
    page.goto(f"{issuer}/passkeys")  # signed out: the page is no one's
    page.get_by_text("Sign in to an application of Interop first").wait_for()
    shoot(page, f"passkeys-signed-out-{size}")
    page.goto(url)
    page.get_by_role("button", name="Sign in with a passkey").wait_for()
    shoot(page, f"login-with-passkey-{size}")
    page.get_by_role("button", name="Sign in with a passkey").click()  # no username typed
    finish(page)
    claims = id_token(issuer, client, rp)
    assert claims["sub"] == user.sub and claims["amr"] == ["hwk", "user", "mfa"] and claims["acr"] == acr.MULTI_FACTOR
    assert credentials()[0]["signCount"] >= 1

    page.goto(f"{issuer}/passkeys")
    page.get_by_role("button", name="Remove").click()
    page.get_by_text("The passkey was removed").wait_for()
    shoot(page, f"passkeys-removed-{size}")
    assert not messages, messages

    # The authenticator still holds the key; the provider no longer accepts it.
    sign_out(page, issuer)
    page.goto(url)
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.get_by_role("alert").wait_for()
    assert "That passkey was not accepted" in page.get_by_role("alert").inner_text()
    shoot(page, f"login-passkey-refused-{size}")
    assert not any(cookie["name"] == "op_session" for cookie in context.cookies())
    context.close()


def age_sessions(tenant_id: str, seconds: int) -> None:
    """Move the tenant's sessions' sign-in ``seconds`` into the past (as DynamoDB holds it)."""
    import time

    import boto3

    from chalicelib.settings import settings

    dynamodb = boto3.client("dynamodb")
    items = dynamodb.query(
        TableName=settings.table_name,
        KeyConditionExpression="pk = :t AND begins_with(sk, :p)",
        ExpressionAttributeValues={":t": {"S": tenant_id}, ":p": {"S": "session#"}},
    )["Items"]
    for item in items:
        dynamodb.update_item(
            TableName=settings.table_name, Key={"pk": item["pk"], "sk": item["sk"]},
            UpdateExpression="SET auth_time = :then",
            ExpressionAttributeValues={":then": {"N": str(int(time.time()) - seconds)}},
        )  # fmt: skip


@envelope_only
def test_an_old_session_types_its_password_before_adding_or_removing_a_passkey(chromium, issuer, tenant, rp, user):
    """Signed in ten minutes ago: the passkeys page offers no change until the password is
    typed again (a wrong one is refused); then a passkey is added, and removed."""
    tenant_admin.update_settings(tenant.id, {"mfa_policy": "optional"})
    client = browser_rp_client(tenant, rp)
    context = chromium.new_context()
    page = context.new_page()
    messages = console_of(page)
    credentials = virtual_authenticator(context, page)
    page.goto(authorize_url(issuer, client[0].client_id, f"{rp.origin}/callback", nonce="n"))
    sign_in(page)
    finish(page)
    age_sessions(tenant.id, 600)

    page.goto(f"{issuer}/passkeys")
    page.get_by_text("To add or remove a passkey, type your password again.").wait_for()
    assert page.get_by_role("button", name="Add a passkey").count() == 0
    shoot(page, "passkeys-confirm-password")
    page.get_by_label("Your password").fill("not the password")
    page.get_by_role("button", name="Continue").click()
    assert page.get_by_role("alert").inner_text() == "Your current password is not right."
    shoot(page, "passkeys-confirm-password-wrong")
    from tests.integration import a11y

    assert a11y.blocking(a11y.audit(page, "passkeys-confirm-password-wrong")) == []
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Add a passkey").click()
    page.get_by_text("Your passkey was added").wait_for()
    assert len(credentials()) == 1
    page.get_by_role("button", name="Remove").click()
    page.get_by_text("The passkey was removed").wait_for()
    # The wrong password's page is a 401, which Chromium reports; nothing else may be.
    assert [m for m in messages if "status of 401" not in m] == [], messages
    context.close()


@envelope_only
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_passkey_enrolled_during_sign_in_then_given_after_the_password(chromium, issuer, tenant, rp, user, size):
    tenant_admin.update_settings(tenant.id, {"mfa_policy": "required"})
    client = browser_rp_client(tenant, rp)
    url = authorize_url(issuer, client[0].client_id, f"{rp.origin}/callback", nonce="n")
    context = chromium.new_context(viewport=SIZES[size])
    page = context.new_page()
    messages = console_of(page)
    credentials = virtual_authenticator(context, page)
    page.goto(url)
    sign_in(page)
    page.get_by_role("heading", name="Set up two-step verification").wait_for()
    shoot(page, f"enrol-with-passkey-{size}")
    page.get_by_role("button", name="Create a passkey instead").click()
    finish(page)
    claims = id_token(issuer, client, rp)
    assert claims["amr"] == ["pwd", "hwk", "user", "mfa"] and claims["acr"] == acr.MULTI_FACTOR
    assert len(credentials()) == 1

    sign_out(page, issuer)
    page.goto(url)
    sign_in(page)
    page.get_by_role("button", name="Use your passkey").wait_for()
    assert page.get_by_label("Code from your authenticator app").count() == 0  # no app enrolled
    shoot(page, f"verify-with-passkey-{size}")
    page.get_by_role("button", name="Use your passkey").click()
    finish(page)
    assert id_token(issuer, client, rp)["amr"] == ["pwd", "hwk", "user", "mfa"]
    assert not messages, messages
    context.close()

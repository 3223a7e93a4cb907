"""The device authorization grant (RFC 8628) with a person in Chromium (Debian's package,
driven by Playwright), with JavaScript off and on: a device asks for codes over HTTP; the person
opens ``verification_uri_complete`` (the code is filled in and nothing happens until they
press Continue), signs in on the tenant's login page, sees the consent page naming the
device's application and its scopes, approves, and reads the done page; the device's next
poll gets tokens, whose ID token it verifies against the tenant's JWKS. A wrong code shows
an error that reveals nothing. Each new page is saved under ``test-artifacts/device/``, in
English and German; with JavaScript on (axe runs as script in the page), each is checked by
axe-core (tests/integration/a11y.py) at desktop and phone sizes. No CSP violation is reported."""

from __future__ import annotations

import time

import jwt
import pytest
import requests

from chalicelib.admin import clients as client_admin
from chalicelib.admin import tenants as tenant_admin
from tests.integration import a11y
from tests.integration.conftest import ARTIFACTS, PASSWORD
from tests.integration.test_browser import SIZES, chromium, console_of

__all__ = ["chromium"]
SCREENSHOTS = ARTIFACTS / "device"
GRANT = "urn:ietf:params:oauth:grant-type:device_code"
one_backend = pytest.mark.parametrize("tenant", ["envelope"], indirect=True)
WORDS = {
    "en": {"title": "Connect a device", "continue": "Continue", "approve": "Approve", "done": "Device connected",
           "wrong": "That code is not valid", "username": "Username", "password": "Password", "sign_in": "Sign in"},
    "de": {"title": "Gerät verbinden", "continue": "Weiter", "approve": "Zulassen", "done": "Gerät verbunden",
           "wrong": "Dieser Code ist nicht gültig", "username": "Benutzername", "password": "Passwort",
           "sign_in": "Anmelden"},
}  # fmt: skip


@pytest.fixture
def device_client(tenant):
    tenant_admin.update_settings(tenant.id, {"device_poll_interval": 1})
    client, _ = client_admin.create_client(
        tenant.id, name="Living Room TV", client_type="public", redirect_uris=[], response_types=[],
        grant_types=[GRANT], scopes=["openid", "profile", "email"],
    )  # fmt: skip
    return client


def shot(page, name: str, language: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}-{language}.png", full_page=True)


def check(page, name: str, language: str, javascript: bool) -> None:
    shot(page, name, f"{language}{'' if javascript else '-nojs'}")
    if javascript:
        a11y.assert_accessible(page, f"device-{name}-{language}", SIZES)


def poll(issuer: str, client_id: str, device_code: str) -> requests.Response:
    data = {"grant_type": GRANT, "device_code": device_code, "client_id": client_id}
    return requests.post(f"{issuer}/token", data=data, timeout=30)


@one_backend
@pytest.mark.parametrize(("language", "javascript"), [("en", False), ("en", True), ("de", True)])
def test_a_person_connects_a_device_in_chromium(chromium, issuer, device_client, user, language, javascript):
    words = WORDS[language]
    asked = requests.post(
        f"{issuer}/device_authorization", data={"client_id": device_client.client_id, "scope": "openid email"},
        timeout=30,
    )  # fmt: skip
    assert asked.status_code == 200, asked.text
    codes = asked.json()
    context = chromium.new_context(viewport=SIZES["desktop"], java_script_enabled=javascript, locale=language)
    page = context.new_page()
    messages = console_of(page)

    # A wrong code first: the same words whatever the reason.
    page.goto(codes["verification_uri"])
    page.get_by_label("Code").fill("BBBB-BBBB" if codes["user_code"] != "BBBB-BBBB" else "CCCC-CCCC")
    page.get_by_role("button", name=words["continue"]).click()
    assert page.get_by_role("alert").inner_text().startswith(words["wrong"])
    check(page, "wrong-code", language, javascript)

    page.goto(codes["verification_uri_complete"])
    assert page.title().startswith(words["title"])
    assert page.get_by_label("Code").input_value() == codes["user_code"]
    check(page, "code", language, javascript)
    assert poll(issuer, device_client.client_id, codes["device_code"]).json()["error"] == "authorization_pending"
    page.get_by_role("button", name=words["continue"]).click()

    # The tenant's own login page, in the person's language.
    page.get_by_label(words["username"]).fill("alice")
    page.get_by_label(words["password"]).fill(PASSWORD)
    page.get_by_role("button", name=words["sign_in"], exact=True).click()
    assert page.get_by_role("heading", name="Living Room TV").is_visible()
    check(page, "consent", language, javascript)
    page.get_by_role("button", name=words["approve"]).click()
    assert page.get_by_role("heading", name=words["done"]).is_visible()
    check(page, "done", language, javascript)
    # The wrong code's page is a 400 (as a wrong password's is a 401), which Chromium reports.
    assert [m for m in messages if "status of 400" not in m] == []
    context.close()

    time.sleep(codes["interval"])  # as a device waits between polls
    tokens = poll(issuer, device_client.client_id, codes["device_code"])
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    jwks = requests.get(f"{issuer}/jwks.json", timeout=30).json()
    header = jwt.get_unverified_header(body["id_token"])
    key = next(jwt.PyJWK(entry) for entry in jwks["keys"] if entry["kid"] == header["kid"])
    claims = jwt.decode(body["id_token"], key.key, algorithms=[header["alg"]], audience=device_client.client_id,
                        issuer=issuer)  # fmt: skip
    assert claims["sub"] == user.sub and body["scope"] == "openid email"
    userinfo = requests.get(
        f"{issuer}/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}, timeout=30
    )
    assert userinfo.json()["email"] == "alice@example.com"

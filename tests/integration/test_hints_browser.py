"""id_token_hint and login_hint in Chromium (OIDC Core §3.1.2.1): a browser signed in as
alice is asked, by the RP, for bob. The login page comes back with bob's name prefilled
(screenshots at desktop and phone sizes), bob signs in, and the RP gets bob; a silent request
for alice in that browser is then login_required."""

from __future__ import annotations

import jwt
import pytest
import requests

from chalicelib.admin import users as user_admin
from tests.integration.conftest import PASSWORD
from tests.integration.test_browser import (
    SCREENSHOTS,
    SIZES,
    authorize_url,
    chromium,  # noqa: F401 (the module's browser fixture)
    one_backend,
    rp_client,  # noqa: F401 (a client of the RP the browser is sent back to)
    sign_in,
    sign_in_to_rp,
)


def redeem(issuer: str, rp, client) -> dict:
    registered, secret = client
    grant = {
        "grant_type": "authorization_code",
        "code": rp.received[-1]["code"],
        "redirect_uri": f"{rp.origin}/callback",
    }
    response = requests.post(f"{issuer}/token", data=grant, auth=(registered.client_id, secret), timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


@one_backend
@pytest.mark.parametrize("size", SIZES)
def test_a_hint_for_another_user_asks_them_to_sign_in(chromium, issuer, tenant, rp, rp_client, user, size):  # noqa: F811
    bob = user_admin.create_user(tenant.id, "bob", PASSWORD, {"name": "Bob Example"})
    bobs_browser = chromium.new_page()
    bobs_browser.goto(authorize_url(issuer, rp_client[0].client_id, f"{rp.origin}/callback", nonce="n"))
    sign_in(bobs_browser, "bob")
    bobs_browser.get_by_role("button", name="Allow").click()
    bobs_browser.wait_for_selector("#done")
    bob_tokens = redeem(issuer, rp, rp_client)
    bobs_browser.close()

    page = chromium.new_page(viewport=SIZES[size])
    alice_tokens = sign_in_to_rp(page, issuer, rp, rp_client)
    hinted = authorize_url(
        issuer, rp_client[0].client_id, f"{rp.origin}/callback", nonce="n",
        id_token_hint=bob_tokens["id_token"], login_hint="bob",
    )  # fmt: skip
    page.goto(hinted)
    assert page.title().startswith("Sign in")
    assert page.get_by_label("Username").input_value() == "bob"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"login-hinted-{size}.png", full_page=True)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_selector("#done")  # bob consented to this client in his own browser
    claims = jwt.decode(redeem(issuer, rp, rp_client)["id_token"], options={"verify_signature": False})
    assert claims["sub"] == bob.sub

    # The browser is bob's now: a silent request for alice cannot be answered.
    silent = authorize_url(
        issuer, rp_client[0].client_id, f"{rp.origin}/callback", prompt="none", id_token_hint=alice_tokens["id_token"]
    )
    page.goto(silent)
    page.wait_for_selector("#done")
    assert rp.received[-1]["error"] == "login_required" and "code" not in rp.received[-1]
    page.close()

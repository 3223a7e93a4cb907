"""HSTS on every response of an https deployment (issue 7, item 12), whatever its kind: JSON
(discovery, JWKS, tokens, UserInfo, the admin API), errors, pages, redirects and 204s; and
never over plain http (RFC 6797 §7.2)."""

from __future__ import annotations

import dataclasses
import json
from urllib.parse import urlencode

import pytest

from chalicelib.admin import tenants as tenant_admin
from chalicelib.settings import settings
from chalicelib.web import routes
from chalicelib.web.responses import HSTS
from tests.support.browser import HOST
from tests.unit.conftest import REDIRECT_URI
from tests.unit.flows import authorize, basic, callback_params, log_in, post_token, redeem


def every_kind_of_response(http, browser, client) -> dict[str, object]:
    """One response of each kind the provider answers with, by name."""
    client_id = client[0].client_id
    admin = {"host": HOST, "authorization": f"Bearer {tenant_admin.issue_admin_key('acme', 'hsts')[0]}"}
    responses = {
        "discovery": http.get("/acme/.well-known/openid-configuration", headers={"host": HOST}),
        "jwks": http.get("/acme/jwks.json", headers={"host": HOST}),
        "unknown tenant (404)": http.get("/nope/jwks.json", headers={"host": HOST}),
        "token error (401)": post_token(http, {"grant_type": "authorization_code"}, basic(client_id, "wrong")),
        "token error (400)": post_token(http, {"grant_type": "magic"}, basic(client_id, client[1])),
        "userinfo error (401)": http.get("/acme/userinfo", headers={"host": HOST}),
        "error page (400)": authorize(browser, "no-such-client"),
        "error redirect (302)": authorize(browser, client_id, scope="payments"),
        "redirect to login (302)": authorize(browser, client_id),
        "health": http.get("/health"),
    }
    responses["login page"] = browser.follow(responses["redirect to login (302)"])
    consent = log_in(browser, responses["login page"])
    responses["consent page"] = consent
    responses["redirect to the client (302)"] = answer = browser.submit(consent, "allow")
    responses["token"] = redeem(http, client, callback_params(answer)["code"])
    tokens = json.loads(responses["token"].body)
    bearer = {"host": HOST, "authorization": f"Bearer {tokens['access_token']}"}
    responses["userinfo"] = http.get("/acme/userinfo", headers=bearer)
    revocation = {"token": tokens["refresh_token"]}
    responses["revocation"] = post_token_to(http, "/acme/revoke", revocation, basic(client_id, client[1]))
    responses["admin api"] = http.get(f"/admin/tenants/acme/clients/{client_id}", headers=admin)
    responses["no content (204)"] = http.delete(f"/admin/tenants/acme/clients/{client_id}", headers=admin)
    return responses


def post_token_to(http, path: str, data: dict[str, str], authorization: str):
    headers = {"host": HOST, "content-type": "application/x-www-form-urlencoded", "authorization": authorization}
    return http.post(path, headers=headers, body=urlencode(data))


@pytest.mark.parametrize(("base", "expected"), [("https://op.example.test", HSTS), ("http://op.example.test", None)])
def test_every_https_response_carries_hsts(http, browser, client, user, monkeypatch, base, expected):
    monkeypatch.setattr(routes, "settings", dataclasses.replace(settings, public_base_url=base))
    responses = every_kind_of_response(http, browser, client)
    statuses = {response.status_code for response in responses.values()}
    assert statuses == {200, 204, 302, 400, 401, 404}
    # The browser's first page set its CSRF cookie: Secure exactly when the issuer is https.
    assert ("; Secure" in str(responses["error page (400)"].headers["Set-Cookie"])) == (expected is not None)
    for name, response in responses.items():
        assert response.headers.get("Strict-Transport-Security") == expected, name
    assert responses["error redirect (302)"].headers["Location"].startswith(REDIRECT_URI)

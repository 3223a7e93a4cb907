"""Steps of the code flow through the routes, shared by the unit tests."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.support.browser import BASE, HOST, Browser
from tests.unit.conftest import PASSWORD, REDIRECT_URI

ISSUER = f"{BASE}/acme"
FORM = "application/x-www-form-urlencoded"


def authorize(browser: Browser, client_id: str, tenant: str = "acme", **params: str | None):
    query = {"client_id": client_id, "redirect_uri": REDIRECT_URI, "response_type": "code", "scope": "openid"}
    query.update(params)
    return browser.get(f"{BASE}/{tenant}/authorize", {k: v for k, v in query.items() if v is not None})


def log_in(browser: Browser, page, username: str = "alice", password: str = PASSWORD):
    assert page.status_code == 200 and b"Sign in" in page.body, page.body[:300]
    return browser.follow(browser.submit(page, "login", username=username, password=password))


def callback_params(response, redirect_uri: str = REDIRECT_URI) -> dict[str, str]:
    assert response.status_code == 302, response.body
    location = response.headers["Location"]
    assert location.startswith(redirect_uri), location
    parts = urlsplit(location)
    return {k: v[0] for k, v in parse_qs(parts.fragment or parts.query).items()}


def obtain_code(browser: Browser, client_id: str, **params: str | None) -> str:
    """Log in (if needed), consent (if asked) and return the code sent to the client."""
    response = browser.follow(authorize(browser, client_id, **params))
    if response.status_code == 200 and b"Sign in" in response.body:
        response = log_in(browser, response)
    if response.status_code == 200 and b"Allow" in response.body:
        response = browser.submit(response, "allow")
    return callback_params(response, params.get("redirect_uri") or REDIRECT_URI)["code"]


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def post_token(http, data: dict[str, str], authorization: str | None = None, content_type: str = FORM):
    headers = {"host": HOST, "content-type": content_type}
    if authorization:
        headers["authorization"] = authorization
    return http.post("/acme/token", headers=headers, body=urlencode(data))


def redeem(http, client, code: str, **extra: str):
    registered, secret = client
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, **extra}
    return post_token(http, data, basic(registered.client_id, secret))


def body(response) -> dict:
    return json.loads(response.body)

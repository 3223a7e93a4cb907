"""The device authorization grant (RFC 8628) over HTTP: a device asks for codes, a person
enters the user code on the tenant's device page, signs in and decides, and the device's
polls get what the spec says at each point, with what was or was not written checked."""

from __future__ import annotations

import dataclasses
import json
import re
from urllib.parse import urlencode

import jwt
import pytest

from chalicelib.admin import clients as client_admin
from chalicelib.admin import tenants as tenant_admin
from chalicelib.admin import users as user_admin
from chalicelib.settings import settings
from tests.support.browser import HOST
from tests.unit.flows import basic, body, log_in

BASE = "https://op.example.test"
ISSUER = f"{BASE}/acme"

GRANT = "urn:ietf:params:oauth:grant-type:device_code"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(autouse=True)
def https_issuer(monkeypatch):
    """The device page's built-in client redirects to the provider's own URI, which must be
    https outside this machine (as in the account page's tests)."""
    from chalicelib.web import routes

    monkeypatch.setattr(routes, "settings", dataclasses.replace(settings, public_base_url=BASE))


@pytest.fixture
def device_client(tenant):
    client, _ = client_admin.create_client(
        tenant.id, name="Living Room TV", client_type="public", redirect_uris=[], response_types=[],
        grant_types=[GRANT, "refresh_token"], scopes=["openid", "profile", "email"],
    )  # fmt: skip
    return client


@pytest.fixture
def confidential_device_client(tenant):
    return client_admin.create_client(
        tenant.id, name="Set-top box", client_type="confidential", redirect_uris=[], response_types=[],
        grant_types=[GRANT],
    )  # fmt: skip


def shown_error(response) -> str:
    found = re.search(r'class="error"[^>]*>(.*?)</p>', response.body.decode(), re.S)
    return f"{response.status_code}: {found.group(1).strip() if found else response.body[:200]}"


def post(http, path: str, data: dict[str, str], authorization: str | None = None):
    headers = {"host": HOST, "content-type": FORM}
    if authorization:
        headers["authorization"] = authorization
    return http.post(f"/acme/{path}", headers=headers, body=urlencode(data))


def ask(http, client_id: str, scope: str = "openid profile", **extra: str) -> dict:
    response = post(http, "device_authorization", {"client_id": client_id, "scope": scope, **extra})
    assert response.status_code == 200, response.body
    assert response.headers["Cache-Control"] == "no-store"
    return body(response)


def poll(http, client_id: str, device_code: str, authorization: str | None = None):
    data = {"grant_type": GRANT, "device_code": device_code}
    if authorization is None:
        data["client_id"] = client_id
    return post(http, "token", data, authorization)


def enter(browser, user_code: str):
    page = browser.get(f"{BASE}/acme/device")
    assert page.status_code == 200
    return browser.submit(page, None, user_code=user_code)


def approve(browser, user_code: str, decision: str = "approve"):
    response = browser.follow(enter(browser, user_code))
    if b"Sign in" in response.body:
        response = log_in(browser, response)
    assert response.status_code == 200 and b"Approve" in response.body, shown_error(response)
    return browser.submit(response, decision)


def test_a_device_gets_tokens_once_the_person_approves(http, browser, device_client, user, clock, table_items):
    codes = ask(http, device_client.client_id)
    assert codes["verification_uri"] == f"{ISSUER}/device"
    assert codes["verification_uri_complete"] == f"{ISSUER}/device?user_code={codes['user_code']}"
    assert codes["interval"] == 5 and codes["expires_in"] == 600
    stored = json.dumps(table_items())
    assert codes["device_code"] not in stored and codes["user_code"].replace("-", "") not in stored
    pending = poll(http, device_client.client_id, codes["device_code"])
    assert pending.status_code == 400 and body(pending)["error"] == "authorization_pending"
    done = approve(browser, codes["user_code"])
    assert done.status_code == 200 and b"Device connected" in done.body
    clock[0] += 5
    tokens = body(poll(http, device_client.client_id, codes["device_code"]))
    assert tokens["token_type"] == "Bearer" and tokens["scope"] == "openid profile" and "refresh_token" in tokens
    claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    assert claims["aud"] == device_client.client_id and claims["sub"] == user.sub and claims["iss"] == ISSUER
    clock[0] += 5
    before = table_items()
    again = poll(http, device_client.client_id, codes["device_code"])
    assert again.status_code == 400 and body(again)["error"] == "invalid_grant"
    assert table_items() == before

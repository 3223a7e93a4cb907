"""Hostile input at the boundary: every header, cookie, query, form and JSON body is decoded
and validated before the protocol reads it, and gets the spec's 4xx, never a 5xx, with
nothing written."""

from __future__ import annotations

import json

import pytest

from chalicelib.admin import tenants as tenant_admin
from tests.support.browser import HOST
from tests.support.hostile import BAD_JSON
from tests.unit.conftest import REDIRECT_URI
from tests.unit.flows import FORM, authorize


def request(http, method: str, path: str, headers: dict | None = None, body: bytes | str = b""):
    return http.request(method, path, headers={"host": HOST, **(headers or {})}, body=body)


def error_of(response) -> str:
    return json.loads(response.body)["error"]


BASIC = [
    "Basic éé",  # non-ASCII: base64 refuses it as a str (ValueError, not binascii.Error)
    "Basic " + "ÿ" * 8,
    "Basic Zm9vOmJhcg\u00e9==",
    "Basic \x00\x00\x00\x00",
    "Basic " + "QUJD" * 3000,  # decodes, but far longer than any credentials
]


@pytest.mark.parametrize("path", ["/acme/token", "/acme/introspect", "/acme/revoke"])
def test_malformed_basic_credentials_are_invalid_client(http, client, table_items, path):
    """RFC 6749 §5.2: a failed authentication through the Authorization header is a 401
    invalid_client with a Basic challenge."""
    before = table_items()
    for authorization in BASIC:
        headers = {"content-type": FORM, "authorization": authorization}
        response = request(http, "POST", path, headers, "grant_type=client_credentials&token=x")
        assert response.status_code == 401 and error_of(response) == "invalid_client", authorization
        assert response.headers["WWW-Authenticate"].startswith("Basic realm=")
    assert table_items() == before


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_malformed_bearer_tokens_are_invalid_token(http, tenant, method):
    """RFC 6750 §3.1: a malformed access token is invalid_token, with the challenge."""
    for authorization in ["Bearer é", "Bearer \x00", "Bearer a b", "Bearer " + "a" * 9000, "Bearer ÿ.ÿ.ÿ"]:
        response = request(http, method, "/acme/userinfo", {"authorization": authorization})
        assert response.status_code == 401 and error_of(response) == "invalid_token", authorization
        assert response.headers["WWW-Authenticate"].startswith("Bearer realm=")


def login_form(browser, client):
    from tests.support.forms import only_form

    page = browser.follow(authorize(browser, client[0].client_id))
    assert page.status_code == 200 and b"Sign in" in page.body
    return only_form(page.body.decode())


def test_a_malformed_csrf_token_is_a_403_at_every_form(browser, client, user, table_items):
    form = login_form(browser, client)
    before = table_items()
    for token in ["é" * 43, "\x00" * 43, "a" * 5000, "ticket\r\nSet-Cookie: x=y", "ÿ" * 43]:
        for path in ("/acme/login", "/acme/consent", "/acme/end-session/confirm"):
            response = browser.post(f"http://{HOST}{path}", {**form.fields, "csrf_token": token})
            assert response.status_code == 403 and b"this form has expired" in response.body, (path, token)
    assert table_items() == before


MALFORMED_COOKIES = [
    "op_csrf=" + "é" * 30,
    "op_csrf=\x01" * 3,
    "op_session=é.é",
    "op_session=" + "a" * 30 + ".\x7f",
    "op_csrf=" + "a" * 30 + "; op_session=\u00ff\u00fe.x",
    "=; ==; ;;; op_csrf",
    "op_csrf=" + "a" * 5000,
]


def test_malformed_cookies_are_absent_and_others_harmless(http, browser, client, user, table_items):
    """A cookie that is not RFC 6265 syntax is treated as absent: the page still works, no
    form is accepted with it, and another application's odd cookie next to ours does not
    lock users out."""
    form = login_form(browser, client)
    data = "&".join(f"{name}={value}" for name, value in {**form.fields, "username": "nobody"}.items())
    path = authorize(browser, client[0].client_id).headers["Location"].removeprefix(f"http://{HOST}")
    before = table_items()
    for cookie in MALFORMED_COOKIES:
        response = request(http, "GET", path, {"cookie": cookie})
        assert response.status_code == 200 and b"Sign in" in response.body, cookie
        response = request(http, "POST", "/acme/login", {"cookie": cookie, "content-type": FORM}, data)
        assert response.status_code == 403, cookie
    ours = "; ".join(f"{name}={value}" for name, value in browser.cookies.items())
    for junk in ("theme=é\xff", 'pref="a b"', "x=\x00", "é=1"):
        headers = {"cookie": f"{junk}; {ours}", "content-type": FORM}
        response = request(http, "POST", "/acme/login", headers, data + "&password=wrong")
        assert response.status_code == 401 and b"Wrong username or password" in response.body, junk
    assert table_items() == before


TICKETS = ["abc.%C3%A9", "%C3%A9.abc", "%00.%00", "a.b.c", ".", "e30.", "x" * 5000 + ".y", "%FF%FE.abc", "é" * 9]


@pytest.mark.parametrize("path", ["/acme/login", "/acme/consent"])
def test_a_malformed_ticket_is_an_expired_page(http, tenant, path):
    for ticket in TICKETS:
        response = request(http, "GET", f"{path}?ticket={ticket}")
        assert response.status_code == 400 and b"Return to the application" in response.body, ticket


MANY = "&".join(f"a{index}=1" for index in range(70))
MALFORMED_REQUESTS = [
    # RFC 6749 §5.2 invalid_request: a form that is not UTF-8 after percent-decoding, too
    # many fields, a repeated parameter, a body or headers beyond any real request's size.
    ("POST", "/acme/token", {"content-type": FORM}, b"grant_type=\xff", 400, "invalid_request"),
    ("POST", "/acme/token", {"content-type": FORM}, b"grant_type=%C3%28", 400, "invalid_request"),
    ("POST", "/acme/token", {"content-type": FORM}, b"grant_type=%ED%A0%80", 400, "invalid_request"),
    ("POST", "/acme/token", {"content-type": FORM}, MANY.encode(), 400, "invalid_request"),
    ("POST", "/acme/token", {"content-type": FORM}, b"grant_type=password&grant_type=x", 400, "invalid_request"),
    ("POST", "/acme/token", {"content-type": FORM}, b"a=" + b"b" * 300_000, 400, "invalid_request"),
    ("GET", "/acme/userinfo", {"x-padding": "b" * 20_000}, b"", 400, "invalid_request"),
    ("GET", f"/acme/jwks.json?{MANY}", {}, b"", 400, "invalid_request"),
    # Path ids that no client or user can have: not found, before any read.
    ("GET", "/acme/register/" + "c" * 300, {}, b"", 404, "not_found"),
    ("GET", "/admin/tenants/acme/users/" + "u" * 300, {}, b"", 404, "not_found"),
]


@pytest.mark.parametrize(("method", "path", "headers", "body", "status", "error"), MALFORMED_REQUESTS)
def test_malformed_requests_get_the_spec_error(http, client, table_items, method, path, headers, body, status, error):
    before = table_items()
    response = request(http, method, path, headers, body)
    assert response.status_code == status and error_of(response) == error
    assert table_items() == before


@pytest.fixture
def key(tenant):
    return tenant_admin.issue_admin_key(tenant.id, "tests")[0]


@pytest.fixture
def registered(http, tenant):
    tenant_admin.update_settings(tenant.id, {"client_registration": "open"})
    headers = {"content-type": "application/json"}
    response = request(http, "POST", "/acme/register", headers, json.dumps({"redirect_uris": [REDIRECT_URI]}))
    assert response.status_code == 201
    return json.loads(response.body)


@pytest.mark.parametrize("payload", BAD_JSON, ids=range(len(BAD_JSON)))
def test_bad_json_at_registration_is_invalid_client_metadata(http, registered, table_items, payload):
    before = table_items()
    headers = {"content-type": "application/json"}
    response = request(http, "POST", "/acme/register", headers, payload)
    assert response.status_code == 400 and error_of(response) == "invalid_client_metadata"
    headers["authorization"] = f"Bearer {registered['registration_access_token']}"
    response = request(http, "PUT", f"/acme/register/{registered['client_id']}", headers, payload)
    assert response.status_code == 400 and error_of(response) == "invalid_client_metadata"
    assert table_items() == before


ADMIN_WRITES = [
    ("PATCH", ""),
    ("POST", "/clients"),
    ("PATCH", "/clients/{client_id}"),
    ("POST", "/users"),
    ("PATCH", "/users/alice"),
    ("POST", "/registration-tokens"),
]


@pytest.mark.parametrize(("method", "path"), ADMIN_WRITES)
def test_bad_json_at_every_admin_route_is_invalid_request(http, key, client, user, table_items, method, path):
    before = table_items()
    headers = {"content-type": "application/json", "authorization": f"Bearer {key}"}
    url = "/admin/tenants/acme" + path.format(client_id=client[0].client_id)
    for payload in BAD_JSON:
        response = request(http, method, url, headers, payload)
        assert response.status_code == 400 and error_of(response) == "invalid_request", payload[:40]
    assert table_items() == before


@pytest.mark.parametrize(
    ("value", "usable"),
    [("a" * 256, True), ("é" * 256, True), ("\U0001f600" * 128, True), ("\U0001f600" * 129, False),
     ("a" * 257, False), ("", False), ("a\x00", False), ("a\nb", False)],
)  # fmt: skip
def test_ids_that_cannot_be_part_of_a_dynamodb_key_read_as_not_found(value, usable):
    """DynamoDB refuses a sort key over 1,024 bytes with an error (a 503 here): a username,
    client id or token that long is "not found" before any call. moto does not enforce the
    limit, so it is checked on the function that guards every key."""
    from chalicelib.store.models import valid_key_part

    assert valid_key_part(value) is usable

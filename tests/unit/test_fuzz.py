"""Hostile input never produces a 5xx: thousands of random requests at every endpoint (Hypothesis)."""

from __future__ import annotations

import base64
import os
import re
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.browser import HOST
from tests.support.hostile import HOSTILE_URIS

NAMES = st.sampled_from(
    [
        "client_id", "redirect_uri", "response_type", "scope", "state", "nonce", "prompt", "max_age",
        "code_challenge", "code_challenge_method", "response_mode", "grant_type", "code", "refresh_token",
        "code_verifier", "client_secret", "access_token", "ticket", "csrf_token", "username", "password",
        "request", "login_hint", "decision", "action", "token", "token_type_hint", "id_token_hint",
        "post_logout_redirect_uri",
        # The fields of the pages issue 9 added.
        "code", "credential", "passkey", "email", "confirm", "current_password", "new_password", "sid",
        "iss", "error", "name", "done",
        # The device authorization grant's.
        "user_code", "device_code",
    ]
)  # fmt: skip
SAMPLES = [
    "code", "openid", "none", "S256", "plain", "query", "form_post", "authorization_code", "refresh_token",
    "https://rp.example.com/callback", "a.b.c", "\x00", "%ff", "é" * 3, "fuzz-client", "openid profile email",
    "login", "consent", "allow", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "logout", "access_token",
    "code id_token token", "id_token", "client_credentials", "password", "eyJhbGciOiJIUzI1NiJ9.e30.x",
    "abc.é", "é" * 43, "https://rp.example.com;frame-ancestors *;/cb", "99999999999999999999", "[" * 100,
    "urn:ietf:params:oauth:grant-type:device_code", "BCDF-GHJK", "bcdf ghjk", "A" * 24 + "." + "B" * 43,
]  # fmt: skip
VALUES = st.one_of(st.text(max_size=40), st.sampled_from(SAMPLES))
PARAMS = st.lists(st.tuples(NAMES, VALUES), max_size=8)
HEADER_SAMPLES = [
    "Basic Og==", "Bearer x", "op_session=a.b", "application/x-www-form-urlencoded", "application/json",
    # Non-ASCII credentials and cookies: each once answered 500 (issue 7).
    "Basic éé", "Basic " + "ÿ" * 8, "Bearer é", "op_csrf=" + "é" * 30, "op_session=é.é; op_csrf=" + "a" * 43,
]  # fmt: skip
HEADERS = st.dictionaries(
    st.sampled_from(["authorization", "cookie", "content-type", "x-forwarded-proto"]),
    st.one_of(
        st.text(max_size=60),
        st.sampled_from(HEADER_SAMPLES),
    ),
    max_size=3,
)
PATHS = ["/acme/authorize", "/acme/login", "/acme/consent", "/acme/token", "/acme/userinfo", "/acme/jwks.json",
         "/acme/.well-known/openid-configuration", "/acme/introspect", "/acme/revoke", "/acme/end-session",
         "/acme/end-session/confirm", "/acme/check-session", "/acme/register",
         "/acme/register/fuzz-client",
         # The pages issue 9 added: second factor and recovery codes, passkeys, forgot and reset
         # password, email verification, sign-up and its link, the account page and its actions.
         "/acme/mfa", "/acme/passkeys", "/acme/password/forgot", "/acme/password/reset", "/acme/email",
         "/acme/email/verify", "/acme/signup", "/acme/signup/confirm", "/acme/account", "/acme/account/callback",
         "/acme/account/totp",
         # The device authorization grant (RFC 8628): its endpoint, its page and the page's callback.
         "/acme/device_authorization", "/acme/device", "/acme/device/callback"]  # fmt: skip


@pytest.fixture
def app_client(tenant, user):
    from chalice.test import Client

    from app import app
    from chalicelib.admin.clients import create_client
    from chalicelib.admin.tenants import update_settings

    # Registrations from one source, as many as the fuzzer sends (the limits have tests of their own).
    update_settings(tenant.id, {"client_registration": "open", "session_management_enable": True,
                                "grant_type_password_enable": True, "registrations_per_source": 100_000,
                                "registration_quota": 100_000, "signup_enable": True,
                                "mfa_policy": "optional"})  # fmt: skip
    create_client(
        tenant.id, name="Fuzz", client_type="confidential", redirect_uris=["https://rp.example.com/callback"],
        client_id="fuzz-client", client_secret="s" * 43, post_logout_redirect_uris=["https://rp.example.com/bye"],
        response_types=["code", "id_token", "id_token token", "token", "code id_token", "code token",
                        "code id_token token"],
        grant_types=["authorization_code", "implicit", "refresh_token", "client_credentials", "password",
                     "urn:ietf:params:oauth:grant-type:device_code"],
        scopes=["token_introspection"],
    )  # fmt: skip
    with Client(app) as test_client:
        yield test_client.http


@settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "1000")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    path=st.sampled_from(PATHS),
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
    params=PARAMS,
    headers=HEADERS,
)
def test_no_5xx(app_client, path, method, params, headers):
    query = urlencode(params)
    request_headers = {"host": HOST, **{k: v for k, v in headers.items() if v.isprintable()}}
    if method in ("GET", "DELETE"):
        response = app_client.request(method, f"{path}?{query}", headers=request_headers, body=b"")
    else:
        request_headers.setdefault("content-type", "application/x-www-form-urlencoded")
        response = app_client.request(method, path, headers=request_headers, body=query.encode())
    assert response.status_code < 500, (response.status_code, response.body[:300])


AUTHORIZE_EXTRAS = st.dictionaries(
    st.sampled_from(["response_type", "scope", "state", "nonce", "prompt", "max_age", "response_mode",
                     "code_challenge", "code_challenge_method", "login_hint", "display", "ui_locales", "claims"]),
    st.one_of(st.text(max_size=30), st.sampled_from(SAMPLES)),
    max_size=6,
)  # fmt: skip
TOKEN_PARAMS = st.dictionaries(
    st.sampled_from(
        [
            "grant_type",
            "code",
            "redirect_uri",
            "code_verifier",
            "refresh_token",
            "scope",
            "client_id",
            "username",
            "password",
            "token",
            "token_type_hint",
        ]
    ),
    st.one_of(st.text(max_size=30), st.sampled_from(SAMPLES)),
    max_size=6,
)


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "1000")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(extras=AUTHORIZE_EXTRAS, method=st.sampled_from(["GET", "POST"]))
def test_authorize_from_a_known_client_never_5xx(app_client, extras, method):
    """Past the client and redirect_uri checks: every later rule gets exercised."""
    params = {"client_id": "fuzz-client", "redirect_uri": "https://rp.example.com/callback", **extras}
    headers = {"host": HOST}
    if method == "GET":
        response = app_client.request("GET", f"/acme/authorize?{urlencode(params)}", headers=headers, body=b"")
    else:
        headers["content-type"] = "application/x-www-form-urlencoded"
        response = app_client.request("POST", "/acme/authorize", headers=headers, body=urlencode(params).encode())
    assert response.status_code in (302, 200, 400), (response.status_code, response.body[:300])


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "1000")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(params=TOKEN_PARAMS, path=st.sampled_from(["/acme/token", "/acme/introspect", "/acme/revoke"]))
def test_token_endpoints_from_an_authenticated_client_never_5xx(app_client, params, path):
    """Past client authentication: every grant's rules, introspection and revocation."""
    headers = {
        "host": HOST,
        "content-type": "application/x-www-form-urlencoded",
        "authorization": "Basic " + CREDENTIALS,
    }
    response = app_client.request("POST", path, headers=headers, body=urlencode(params).encode())
    assert response.status_code in (200, 400, 401), (response.status_code, response.body[:300])
    assert response.headers["Cache-Control"] == "no-store"


LOGOUT_PARAMS = st.dictionaries(
    st.sampled_from(["id_token_hint", "post_logout_redirect_uri", "state", "client_id", "logout_hint", "ui_locales"]),
    st.one_of(st.text(max_size=30), st.sampled_from([*SAMPLES, "https://rp.example.com/bye"])),
    max_size=5,
)


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "1000")) // 2, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(params=LOGOUT_PARAMS, known=st.booleans())
def test_end_session_never_5xx(app_client, params, known):
    if known:
        params = {**params, "client_id": "fuzz-client"}
    response = app_client.request("GET", f"/acme/end-session?{urlencode(params)}", headers={"host": HOST}, body=b"")
    assert response.status_code in (200, 302, 400), (response.status_code, response.body[:300])


METADATA_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20) | st.sampled_from(SAMPLES + HOSTILE_URIS),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=6,
)
METADATA = st.dictionaries(
    st.sampled_from(["redirect_uris", "response_types", "grant_types", "client_name", "token_endpoint_auth_method",
                     "scope", "contacts", "logo_uri", "id_token_signed_response_alg", "backchannel_logout_uri",
                     "frontchannel_logout_session_required", "post_logout_redirect_uris", "jwks", "client_id"]),
    METADATA_VALUES,
    max_size=6,
)  # fmt: skip


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "1000")) // 2, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(metadata=METADATA, valid_uris=st.booleans())
def test_registration_never_5xx(app_client, metadata, valid_uris):
    import json

    if valid_uris:
        metadata = {**metadata, "redirect_uris": ["https://rp.example.com/callback"]}
    headers = {"host": HOST, "content-type": "application/json"}
    response = app_client.request("POST", "/acme/register", headers=headers, body=json.dumps(metadata).encode())
    assert response.status_code in (201, 400), (response.status_code, response.body[:300])


CREDENTIALS = base64.b64encode(b"fuzz-client:" + b"s" * 43).decode()


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "1000")) // 2, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(
    path=st.sampled_from(PATHS),
    method=st.sampled_from(["GET", "POST"]),
    scheme=st.sampled_from(["Basic ", "Bearer ", ""]),
    credentials=st.text(max_size=40),
    cookie=st.text(max_size=40),
    field=st.text(max_size=40),
)
def test_any_text_in_credentials_cookies_tickets_and_csrf_tokens_never_5xx(
    app_client, path, method, scheme, credentials, cookie, field
):
    """Where non-ASCII text once answered 500 (issue 7): Basic credentials, CSRF tokens and
    tickets compared or decoded as if they were ASCII. The CSRF cookie is well-formed, so
    the submitted token really is compared."""
    headers = {
        "host": HOST,
        "authorization": scheme + credentials,
        "cookie": f"op_csrf={'a' * 43}; op_session={cookie}",
        "content-type": "application/x-www-form-urlencoded",
    }
    body = urlencode({"csrf_token": field, "ticket": field, "client_id": "fuzz-client", "token": field})
    response = app_client.request(method, f"{path}?{urlencode({'ticket': field})}", headers=headers, body=body.encode())
    assert response.status_code < 500, (response.status_code, response.body[:300])


SIGNED_IN_PAGES = ["/acme/account", "/acme/account/totp", "/acme/passkeys", "/acme/email"]
PAGE_FIELDS = st.dictionaries(
    st.sampled_from(["action", "password", "current_password", "new_password", "sid", "client_id", "passkey",
                     "credential", "code", "ticket", "confirm"]),
    st.one_of(st.text(max_size=40), st.sampled_from([
        *SAMPLES, "change-password", "end-session", "end-others", "withdraw-consent", "remove-totp",
        "recovery-codes", "remove", "passkey", "confirm", "cancel", "continue", "123456", "x" * 5000,
    ])),
    max_size=5,
)  # fmt: skip


@pytest.fixture
def signed_in(app_client):
    """A browser signed in to the tenant (an OP session, the CSRF pair): the account and
    passkeys pages act for it, so their actions' own rules get the input."""
    from tests.support.browser import Browser
    from tests.unit.flows import obtain_code

    browser = Browser(app_client)
    obtain_code(browser, "fuzz-client")
    page = browser.get("http://op.example.test/acme/passkeys")
    assert page.status_code == 200 and b"Signed in as alice" in page.body
    assert browser.get("http://op.example.test/acme/account").status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.body.decode()).group(1)
    cookies = "; ".join(f"{name}={value}" for name, value in browser.cookies.items())
    return app_client, cookies, token


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "1000")) // 2, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(path=st.sampled_from(SIGNED_IN_PAGES), fields=PAGE_FIELDS, method=st.sampled_from(["GET", "POST"]))
def test_the_signed_in_pages_never_5xx(signed_in, path, fields, method):
    """The account page's actions, its app enrolment, the passkeys page and the email page,
    for a signed-in user, with whatever a form can carry."""
    http, cookies, token = signed_in
    headers = {"host": HOST, "cookie": cookies, "content-type": "application/x-www-form-urlencoded"}
    body = urlencode({**fields, "csrf_token": token}).encode()
    if method == "GET":
        response = http.request("GET", f"{path}?{urlencode(fields)}", headers=headers, body=b"")
    else:
        response = http.request("POST", path, headers=headers, body=body)
    assert response.status_code < 500, (response.status_code, response.body[:300])

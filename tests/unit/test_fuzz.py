"""Hostile input never produces a 5xx: thousands of random requests at every endpoint (Hypothesis)."""

from __future__ import annotations

import base64
import os
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.browser import HOST

NAMES = st.sampled_from(
    [
        "client_id", "redirect_uri", "response_type", "scope", "state", "nonce", "prompt", "max_age",
        "code_challenge", "code_challenge_method", "response_mode", "grant_type", "code", "refresh_token",
        "code_verifier", "client_secret", "access_token", "ticket", "csrf_token", "username", "password",
        "request", "login_hint", "decision", "action",
    ]
)  # fmt: skip
SAMPLES = [
    "code", "openid", "none", "S256", "plain", "query", "form_post", "authorization_code", "refresh_token",
    "https://rp.example.com/callback", "a.b.c", "\x00", "%ff", "é" * 3, "fuzz-client", "openid profile email",
    "login", "consent", "allow", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
]  # fmt: skip
VALUES = st.one_of(st.text(max_size=40), st.sampled_from(SAMPLES))
PARAMS = st.lists(st.tuples(NAMES, VALUES), max_size=8)
HEADERS = st.dictionaries(
    st.sampled_from(["authorization", "cookie", "content-type", "x-forwarded-proto"]),
    st.one_of(
        st.text(max_size=60),
        st.sampled_from(["Basic Og==", "Bearer x", "op_session=a.b", "application/x-www-form-urlencoded"]),
    ),
    max_size=3,
)
PATHS = ["/acme/authorize", "/acme/login", "/acme/consent", "/acme/token", "/acme/userinfo", "/acme/jwks.json",
         "/acme/.well-known/openid-configuration"]  # fmt: skip


@pytest.fixture
def app_client(tenant, user):
    from chalice.test import Client

    from app import app
    from chalicelib.admin.clients import create_client

    create_client(
        tenant.id, name="Fuzz", client_type="confidential", redirect_uris=["https://rp.example.com/callback"],
        client_id="fuzz-client", client_secret="s" * 43,
    )  # fmt: skip
    with Client(app) as test_client:
        yield test_client.http


@settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "1000")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(path=st.sampled_from(PATHS), method=st.sampled_from(["GET", "POST"]), params=PARAMS, headers=HEADERS)
def test_no_5xx(app_client, path, method, params, headers):
    query = urlencode(params)
    request_headers = {"host": HOST, **{k: v for k, v in headers.items() if v.isprintable()}}
    if method == "GET":
        response = app_client.request("GET", f"{path}?{query}", headers=request_headers, body=b"")
    else:
        request_headers.setdefault("content-type", "application/x-www-form-urlencoded")
        response = app_client.request("POST", path, headers=request_headers, body=query.encode())
    assert response.status_code < 500, (response.status_code, response.body[:300])


AUTHORIZE_EXTRAS = st.dictionaries(
    st.sampled_from(["response_type", "scope", "state", "nonce", "prompt", "max_age", "response_mode",
                     "code_challenge", "code_challenge_method", "login_hint", "display", "ui_locales", "claims"]),
    st.one_of(st.text(max_size=30), st.sampled_from(SAMPLES)),
    max_size=6,
)  # fmt: skip
TOKEN_PARAMS = st.dictionaries(
    st.sampled_from(["grant_type", "code", "redirect_uri", "code_verifier", "refresh_token", "scope", "client_id"]),
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
@given(params=TOKEN_PARAMS)
def test_token_from_an_authenticated_client_never_5xx(app_client, params):
    """Past client authentication: every grant's rules get exercised."""
    headers = {
        "host": HOST,
        "content-type": "application/x-www-form-urlencoded",
        "authorization": "Basic " + CREDENTIALS,
    }
    response = app_client.request("POST", "/acme/token", headers=headers, body=urlencode(params).encode())
    assert response.status_code in (200, 400, 401), (response.status_code, response.body[:300])
    assert response.headers["Cache-Control"] == "no-store"


CREDENTIALS = base64.b64encode(b"fuzz-client:" + b"s" * 43).decode()

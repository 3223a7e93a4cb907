"""Hostile input never produces a 5xx: thousands of random requests at every endpoint (Hypothesis)."""

from __future__ import annotations

import base64
import json
import os
import re
import time
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.browser import HOST
from tests.support.hostile import HOSTILE_URIS
from tests.support.request_objects import hostile_objects

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
        "resource",  # RFC 8707, repeatable
        # Request objects (RFC 9101).
        "request_uri",
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
    "http://op.example.test/acme/example", "http://op.example.test/acme", "urn:x", "https://a.example/#f", "a b",
    *hostile_objects("fuzz-client"),
    "urn:ietf:params:oauth:grant-type:device_code", "BCDF-GHJK", "bcdf ghjk", "A" * 24 + "." + "B" * 43,
]  # fmt: skip
VALUES = st.one_of(st.text(max_size=40), st.sampled_from(SAMPLES))
PARAMS = st.lists(st.tuples(NAMES, VALUES), max_size=8)
HEADER_SAMPLES = [
    "Basic Og==", "Bearer x", "op_session=a.b", "application/x-www-form-urlencoded", "application/json",
    # Non-ASCII credentials and cookies: each once answered 500 (issue 7).
    "Basic éé", "Basic " + "ÿ" * 8, "Bearer é", "op_csrf=" + "é" * 30, "op_session=é.é; op_csrf=" + "a" * 43,
    "DPoP a.b.c", "Bearer e30.e30.e30", "bearer  x",
    # DPoP (RFC 9449): the scheme, and proofs that are not.
    "DPoP x", "DPoP é", "e30.e30.e30", "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2In0.e30.AA", "a.b.c, d.e.f",
]  # fmt: skip
HEADERS = st.dictionaries(
    st.sampled_from(["authorization", "cookie", "content-type", "x-forwarded-proto", "dpop"]),
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
         # The example API (chalicelib/web/example_api.py).
         "/acme/example/me", "/nobody/example/me",
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
                                "mfa_policy": "optional", "allow_unsigned_request_objects": True,
                                "resource_servers": ["http://op.example.test/acme/example"]})  # fmt: skip
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
                     "code_challenge", "code_challenge_method", "login_hint", "display", "ui_locales", "claims",
                     "resource", "request", "request_uri"]),
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
            "resource",
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
                     "frontchannel_logout_session_required", "post_logout_redirect_uris", "jwks", "client_id",
                     "request_uris", "request_object_signing_alg", "require_signed_request_object"]),
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


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=5,
)
JWT_HEADER = st.dictionaries(st.sampled_from(["alg", "kid", "typ", "crit", "jku", "cnf"]), JSON_VALUES, max_size=4)
CLAIM_NAMES = ["iss", "aud", "sub", "client_id", "scope", "exp", "iat", "nbf", "jti", "cnf"]
JWT_CLAIMS = st.dictionaries(st.sampled_from(CLAIM_NAMES), JSON_VALUES, max_size=8)


def _segment(value) -> str:
    import json

    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=8,
)


def _proof_parts():
    """A DPoP proof's header and claims, each member right or fuzzed, so every check of
    chalicelib.oidc.dpop is reached: the proof is signed with the key it names when it can be."""
    from tests.support.dpop import jwk

    now = int(time.time())
    header = st.fixed_dictionaries(
        {},
        optional={
            "typ": st.one_of(st.just("dpop+jwt"), JSON),
            "alg": st.one_of(st.sampled_from(["ES256", "RS256", "none", "HS256", "EdDSA"]), JSON),
            "jwk": st.one_of(st.just(jwk("ES256")), st.just(jwk("RS256")), JSON),
            "crit": JSON,
        },
    )
    claims = st.fixed_dictionaries(
        {},
        optional={
            "htm": st.one_of(st.sampled_from(["POST", "GET"]), JSON),
            "htu": st.one_of(
                st.sampled_from(["http://op.example.test/acme/token", "HTTP://OP.example.test:80/acme/userinfo"]), JSON
            ),
            "iat": st.one_of(st.just(now), st.integers(), st.just(10**400), JSON),
            "jti": st.one_of(st.uuids().map(str), JSON),
            "ath": JSON,
            "nonce": JSON,
        },
    )
    return header, claims


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "1000")) // 2, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(data=st.data(), scheme=st.sampled_from(["Bearer", "DPoP", "bearer", "Basic"]), dpop=st.none() | st.text())
def test_the_example_api_never_5xx(app_client, tenant, data, scheme, dpop):
    """Forged access tokens (any header and claims, the tenant's own kid among the choices,
    or the typ and alg it signs with) at the example API: refused with 401, 403 or 400."""
    kid = tenant.keys[0]["kid"]
    header = data.draw(JWT_HEADER)
    if data.draw(st.booleans()):
        header.update(alg="RS256", typ="at+jwt", kid=kid)
    claims = data.draw(JWT_CLAIMS)
    token = ".".join([_segment(header), _segment(claims), data.draw(st.sampled_from(["", "AAAA", "x" * 342]))])
    headers = {"host": HOST, "authorization": f"{scheme} {token}"}
    if dpop is not None and dpop.isprintable():
        headers["dpop"] = dpop
    response = app_client.request("GET", "/acme/example/me", headers=headers, body=b"")
    assert response.status_code in (400, 401, 403), (response.status_code, response.body[:300])


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "1000")) // 2, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(parts=st.tuples(*_proof_parts()), path=st.sampled_from(["/acme/token", "/acme/userinfo"]))
def test_dpop_proofs_of_any_content_never_5xx(app_client, parts, path):
    """RFC 9449 proofs whose members are anything JSON can hold, signed with the test key."""
    from jwt.algorithms import ECAlgorithm

    from tests.support.client_keys import private_key
    from tests.support.dpop import b64

    header, claims = parts
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    signature = ECAlgorithm(ECAlgorithm.SHA256).sign(signing_input.encode(), private_key("EC"))
    headers = {"host": HOST, "dpop": f"{signing_input}.{b64(signature)}"}
    if path.endswith("token"):
        headers.update({"authorization": "Basic " + CREDENTIALS, "content-type": "application/x-www-form-urlencoded"})
        response = app_client.request("POST", path, headers=headers, body=b"grant_type=client_credentials")
    else:
        headers["authorization"] = "DPoP eyJhbGciOiJSUzI1NiJ9.e30.x"
        response = app_client.request("GET", path, headers=headers, body=b"")
    assert response.status_code in (200, 400, 401), (response.status_code, response.body[:300])

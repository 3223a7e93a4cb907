"""The claims request parameter (OIDC Core §5.5) through the routes: claims asked for the ID
token arrive there when a granted scope releases them (through login, consent, the code, the
token endpoint and refreshes), an essential acr steps up, and malformed requests are
invalid_request sent back to the client with nothing written."""

from __future__ import annotations

import json

import jwt
import pyotp
import pytest

from chalicelib.admin import tenants as tenant_admin
from chalicelib.oidc import acr
from tests.unit.flows import authorize, basic, body, callback_params, log_in, obtain_code, post_token, redeem
from tests.unit.test_mfa import SECRET, allow, id_token_of, start

ALICE = "alice@example.com"


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def code_flow(http, browser, client, claims: dict, scope: str = "openid email") -> dict:
    code = obtain_code(browser, client[0].client_id, scope=scope, claims=json.dumps(claims))
    response = redeem(http, client, code)
    assert response.status_code == 200, response.body
    return body(response)


def test_discovery_says_the_claims_parameter_is_supported(http, tenant):
    response = http.get("/acme/.well-known/openid-configuration", headers={"host": "op.example.test"})
    assert json.loads(response.body)["claims_parameter_supported"] is True


@pytest.mark.parametrize(
    "scope, asked, expected",
    [
        # Asked and released by a granted scope: in the ID token.
        ("openid email", {"email": {"essential": True}}, {"email": "alice@example.com"}),
        ("openid email", {"email": None, "email_verified": None}, {"email": ALICE, "email_verified": True}),
        ("openid email profile", {"name": {"value": "Someone Else"}}, {"name": "Alice Example"}),
        # Asked, but no granted scope releases it (consent is per scope): left out, essential or not.
        ("openid", {"email": {"essential": True}}, {}),
        # Asked, granted, but the user has none: left out, not null.
        ("openid phone", {"phone_number": {"essential": True}}, {}),
        # A claim no scope of the tenant releases: ignored.
        ("openid email", {"favourite_colour": {"essential": True}}, {}),
    ],
)
def test_id_token_claims_asked_for_are_released_as_consented(http, browser, client, user, scope, asked, expected):
    tokens = code_flow(http, browser, client, {"id_token": asked}, scope)
    claims = claims_of(tokens["id_token"])
    released = {name: claims[name] for name in ("email", "email_verified", "name", "phone_number") if name in claims}
    assert released == expected
    assert "favourite_colour" not in claims


def test_without_a_claims_request_the_id_token_keeps_to_the_basics(http, browser, client, user):
    code = obtain_code(browser, client[0].client_id, scope="openid email")
    claims = claims_of(body(redeem(http, client, code))["id_token"])
    assert "email" not in claims


def test_userinfo_member_and_refreshed_id_tokens_honour_the_request(http, browser, client, user):
    asked = {"id_token": {"email": None}, "userinfo": {"name": {"essential": True}, "email": None}}
    tokens = code_flow(http, browser, client, asked, "openid email profile offline_access")
    info = http.get(
        "/acme/userinfo", headers={"host": "op.example.test", "authorization": f"Bearer {tokens['access_token']}"}
    )
    assert json.loads(info.body)["name"] == "Alice Example"
    # The refresh grant remembers the request: a refreshed ID token carries email again.
    refreshed = post_token(
        http,
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        basic(client[0].client_id, client[1]),
    )
    assert refreshed.status_code == 200, refreshed.body
    assert claims_of(body(refreshed)["id_token"])["email"] == "alice@example.com"


def test_the_request_survives_the_login_and_consent_pages(http, browser, client, user):
    asked = json.dumps({"id_token": {"email": {"essential": True}}})
    page = browser.follow(authorize(browser, client[0].client_id, scope="openid email", claims=asked))
    consent = log_in(browser, page)
    assert b"Allow" in consent.body
    code = callback_params(allow(browser, consent))["code"]
    assert claims_of(body(redeem(http, client, code))["id_token"])["email"] == "alice@example.com"


def test_implicit_id_token_carries_claims_asked_for(browser, tenant, user):
    from chalicelib.admin import clients as client_admin
    from tests.unit.conftest import REDIRECT_URI

    registered, _ = client_admin.create_client(
        "acme", name="SPA", client_type="confidential", redirect_uris=[REDIRECT_URI], response_types=["id_token token"]
    )
    asked = json.dumps({"id_token": {"email": None}})
    response = browser.follow(
        authorize(
            browser, registered.client_id, response_type="id_token token", nonce="n", scope="openid email", claims=asked
        )
    )
    response = allow(browser, log_in(browser, response))
    assert claims_of(callback_params(response)["id_token"])["email"] == "alice@example.com"


MALFORMED = [
    "not json",
    "[]",
    '"id_token"',
    '{"id_token": []}',
    '{"id_token": "email"}',
    '{"userinfo": {"email": "yes"}}',
    '{"id_token": {"email": {"essential": "true"}}}',
    '{"id_token": {"acr": {"values": "urn:x"}}}',
    '{"id_token": {"acr": {"value": "a", "values": ["a"]}}}',
    '{"id_token": {"email": null, "email": NaN}}',
    '{"id_token": {"x": {"value": "\\ud800"}}}',
    "[" * 40 + "]" * 40,
    json.dumps({"id_token": {f"claim{i}": None for i in range(65)}}),
    json.dumps({"id_token": {"a" * 257: None}}),
    json.dumps({"id_token": {"acr": {"values": ["v"] * 17}}}),
]


@pytest.mark.parametrize("claims", MALFORMED)
def test_a_malformed_claims_parameter_is_invalid_request(browser, client, user, table_items, claims):
    before = table_items()
    response = browser.follow(authorize(browser, client[0].client_id, claims=claims, state="s"))
    params = callback_params(response)
    assert params["error"] == "invalid_request" and params["state"] == "s"
    assert params["error_description"].startswith("claims:")
    assert table_items() == before


def test_an_oversized_claims_parameter_is_invalid_request(browser, client, user, table_items):
    # Longer than any parameter may be: refused before the client is trusted, at the OP.
    before = table_items()
    oversized = json.dumps({"id_token": {"x" * 5000: None}})
    response = browser.follow(authorize(browser, client[0].client_id, claims=oversized))
    assert response.status_code == 400
    assert b"<strong>invalid_request</strong>: parameter claims is too long" in response.body
    assert table_items() == before


def test_unknown_members_are_ignored(http, browser, client, user):
    tokens = code_flow(http, browser, client, {"id_token": {"email": None}, "verified_claims": {"x": 1}})
    assert claims_of(tokens["id_token"])["email"] == "alice@example.com"


def essential_acr(*values: str) -> str:
    return json.dumps({"id_token": {"acr": {"essential": True, "values": list(values)}}})


def test_essential_acr_steps_up_like_acr_values(http, browser, client, user, clock):
    tenant_admin.update_settings("acme", {"mfa_policy": "optional"})
    first = id_token_of(http, client, allow(browser, start(browser, client)))
    assert first["acr"] == acr.SINGLE_FACTOR
    mfa = essential_acr(acr.MULTI_FACTOR)
    none = browser.follow(authorize(browser, client[0].client_id, prompt="none", claims=mfa))
    assert callback_params(none)["error"] == "login_required"
    page = browser.follow(authorize(browser, client[0].client_id, nonce="n", claims=essential_acr(acr.MULTI_FACTOR)))
    assert b"Set up two-step verification" in page.body
    secret = SECRET.search(page.body.decode()).group(1).replace(" ", "")
    shown = browser.submit(page, "enrol", code=pyotp.TOTP(secret).at(clock[0]))
    done = browser.follow(browser.submit(shown, "continue"))
    assert id_token_of(http, client, done)["acr"] == acr.MULTI_FACTOR
    # A multi-factor session asked (essentially) for single-factor gets the value it asked for.
    again = browser.follow(authorize(browser, client[0].client_id, nonce="n", claims=essential_acr(acr.SINGLE_FACTOR)))
    assert id_token_of(http, client, again)["acr"] == acr.SINGLE_FACTOR


def test_a_voluntary_acr_claim_does_not_step_up(http, browser, client, user):
    tenant_admin.update_settings("acme", {"mfa_policy": "optional"})
    voluntary = json.dumps({"id_token": {"acr": {"values": [acr.MULTI_FACTOR]}}})
    claims = id_token_of(http, client, allow(browser, start(browser, client, claims=voluntary)))
    assert claims["acr"] == acr.SINGLE_FACTOR


@pytest.mark.parametrize(
    "mfa_policy, values", [("off", [acr.MULTI_FACTOR]), ("optional", ["urn:unknown"]), ("optional", [])]
)
def test_an_essential_acr_that_cannot_be_met_is_access_denied(browser, client, user, table_items, mfa_policy, values):
    tenant_admin.update_settings("acme", {"mfa_policy": mfa_policy})
    before = table_items()
    claims = json.dumps({"id_token": {"acr": {"essential": True, "values": values}}})
    response = browser.follow(authorize(browser, client[0].client_id, claims=claims))
    if values:
        assert callback_params(response)["error"] == "access_denied"
        assert table_items() == before
    else:  # essential with no value asks for nothing in particular: the login page
        assert response.status_code == 200 and b"Sign in" in response.body

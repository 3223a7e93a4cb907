"""id_token_hint (OIDC Core §3.1.2.1), a ``sub`` asked for with a value (§5.5.1) and
login_hint at the authorization endpoint, through the routes."""

from __future__ import annotations

import json
import time

import jwt
import pytest

from chalicelib.admin import clients as client_admin
from chalicelib.admin import users as user_admin
from chalicelib.keys import jws
from chalicelib.tenancy.resolve import resolve_tenant
from tests.unit.conftest import PASSWORD, REDIRECT_URI
from tests.unit.flows import ISSUER, authorize, body, callback_params, log_in, obtain_code, redeem

REFUSED = "id_token_hint is not an ID token this provider issued to this client"


@pytest.fixture
def bob(tenant):
    return user_admin.create_user(tenant.id, "bob", PASSWORD, {"name": "Bob Example"})


def id_token_for(http, browser, client) -> str:
    """An ID token of the browser's user (signing in as alice if there is no session)."""
    return body(redeem(http, client, obtain_code(browser, client[0].client_id, nonce="n")))["id_token"]


def test_the_session_user_s_hint_signs_in_silently(http, browser, client, user):
    hint = id_token_for(http, browser, client)
    silent = browser.follow(authorize(browser, client[0].client_id, prompt="none", id_token_hint=hint))
    assert "code" in callback_params(silent)


def test_an_expired_hint_is_still_a_hint(http, browser, client, user, clock):
    hint = id_token_for(http, browser, client)
    clock[0] += 3 * 3600  # the ID token expired long ago; the session lives on
    assert jwt.decode(hint, options={"verify_signature": False})["exp"] < clock[0]
    silent = browser.follow(authorize(browser, client[0].client_id, prompt="none", id_token_hint=hint))
    assert "code" in callback_params(silent)


def test_another_user_s_hint_is_login_required_with_prompt_none(http, browser, client, user, bob, table_items):
    from tests.support.browser import Browser

    other = Browser(http)
    bob_page = other.follow(authorize(other, client[0].client_id))
    bobs = callback_params(other.submit(log_in(other, bob_page, "bob"), "allow"))["code"]
    bob_hint = body(redeem(http, client, bobs))["id_token"]
    id_token_for(http, browser, client)  # alice's session in this browser
    before = table_items()
    silent = browser.follow(authorize(browser, client[0].client_id, prompt="none", id_token_hint=bob_hint))
    params = callback_params(silent)
    assert params["error"] == "login_required" and "code" not in params
    assert table_items() == before
    # Without prompt=none: the login page, to sign in as bob.
    page = browser.follow(authorize(browser, client[0].client_id, id_token_hint=bob_hint, nonce="n"))
    assert page.status_code == 200 and b"Sign in" in page.body
    # Alice signing in again does not answer a request for bob.
    refused = log_in(browser, page, "alice")
    assert callback_params(refused)["error"] == "login_required"
    # Bob does: his code, his sub.
    page = browser.follow(authorize(browser, client[0].client_id, id_token_hint=bob_hint, nonce="n"))
    answered = log_in(browser, page, "bob")
    if answered.status_code == 200 and b"Allow" in answered.body:
        answered = browser.submit(answered, "allow")
    tokens = body(redeem(http, client, callback_params(answered)["code"]))
    claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    assert claims["sub"] == bob.sub


def forged(tenant_id: str, claims: dict) -> str:
    """A token signed by the tenant's own key, with the claims a test needs."""
    signer = resolve_tenant(tenant_id).keyring.signer("RS256")
    return jws.encode(claims, signer)


def tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(jwt.utils.base64url_decode(payload))
    claims["sub"] = "someone-else"
    forged_payload = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    return f"{header}.{forged_payload}.{signature}"


@pytest.mark.parametrize(
    "make",
    [
        lambda hint, client_id, now: "not-a-jwt",
        lambda hint, client_id, now: tampered(hint),
        lambda hint, client_id, now: forged("acme", {**_base(client_id, now), "iss": "https://evil.example"}),
        lambda hint, client_id, now: forged("acme", {**_base(client_id, now), "aud": "another-client"}),
        lambda hint, client_id, now: forged("acme", {**_base(client_id, now), "aud": ["another-client", "x"]}),
        lambda hint, client_id, now: forged("acme", {k: v for k, v in _base(client_id, now).items() if k != "sub"}),
        lambda hint, client_id, now: jwt.encode(_base(client_id, now), "s" * 32, algorithm="HS256"),
    ],
    ids=["garbage", "tampered", "issuer", "audience", "audience-list", "no-sub", "hs256-unknown"],
)
def test_a_hint_that_is_not_ours_for_this_client_is_invalid_request(http, browser, client, user, table_items, make):
    hint = id_token_for(http, browser, client)
    bad = make(hint, client[0].client_id, int(time.time()))
    before = table_items()
    response = browser.follow(authorize(browser, client[0].client_id, id_token_hint=bad, state="s"))
    params = callback_params(response)
    assert params == {"error": "invalid_request", "error_description": REFUSED, "state": "s", "iss": ISSUER}
    assert table_items() == before


def _base(client_id: str, now: int) -> dict:
    return {"iss": ISSUER, "sub": "x", "aud": client_id, "iat": now, "exp": now + 600}


def test_an_audience_list_that_includes_the_client_is_a_hint(http, browser, client, user):
    id_token_for(http, browser, client)
    now = int(time.time())
    hint = forged("acme", {**_base(client[0].client_id, now), "sub": user.sub, "aud": [client[0].client_id, "other"]})
    silent = browser.follow(authorize(browser, client[0].client_id, prompt="none", id_token_hint=hint))
    assert "code" in callback_params(silent)


def test_hs256_client_hints_are_checked_with_its_secret(http, browser, tenant, user):
    registered = client_admin.create_client(
        "acme",
        name="HS",
        client_type="confidential",
        redirect_uris=[REDIRECT_URI],
        id_token_signed_response_alg="HS256",
    )
    hint = id_token_for(http, browser, registered)
    assert jwt.get_unverified_header(hint)["alg"] == "HS256"
    silent = browser.follow(authorize(browser, registered[0].client_id, prompt="none", id_token_hint=hint))
    assert "code" in callback_params(silent)


def test_a_sub_asked_for_by_value_behaves_like_a_hint(http, browser, client, user, bob):
    id_token_for(http, browser, client)
    for sub, expected in ((user.sub, "code"), (bob.sub, "error")):
        claims = json.dumps({"id_token": {"sub": {"value": sub}}})
        silent = browser.follow(authorize(browser, client[0].client_id, prompt="none", claims=claims))
        assert expected in callback_params(silent)
    hint = id_token_for(http, browser, client)
    both = json.dumps({"id_token": {"sub": {"value": bob.sub}}})
    response = browser.follow(authorize(browser, client[0].client_id, id_token_hint=hint, claims=both))
    assert callback_params(response)["error"] == "invalid_request"


@pytest.mark.parametrize("hint", ["alice", "nobody-here", '"><script>alert(1)</script>'])
def test_login_hint_prefills_the_username_and_reveals_nothing(browser, client, user, hint):
    page = browser.follow(authorize(browser, client[0].client_id, login_hint=hint))
    assert page.status_code == 200
    text = page.body.decode()
    escaped = hint.replace("&", "&amp;").replace('"', "&#34;").replace("<", "&lt;").replace(">", "&gt;")
    assert f'value="{escaped}"' in text and "<script>alert" not in text
    # The page is the same whether the account exists or not, but for the value itself.
    baseline = browser.follow(authorize(browser, client[0].client_id, login_hint="zzz")).body.decode()
    assert _without_volatile(text).replace(escaped, "zzz") == _without_volatile(baseline)


def _without_volatile(text: str) -> str:
    import re

    return re.sub(r'(nonce|value)="[A-Za-z0-9_\-.=]{16,}"', "", re.sub(r"ticket=[^\"&]+", "", text))

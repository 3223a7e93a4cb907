"""Second factors through the routes: enrolment during sign-in, TOTP and recovery codes after
the password, replay and single use, the abuse limits, amr/acr in ID tokens, step-up through
acr_values, and the password grant's refusal."""

from __future__ import annotations

import html
import json
import re

import jwt
import pyotp
import pytest

from chalicelib.admin import tenants as tenant_admin
from chalicelib.oidc import acr
from chalicelib.store.factors import list_factors
from tests.unit.conftest import PASSWORD
from tests.unit.flows import authorize, callback_params, log_in, post_token, redeem

SECRET = re.compile(r'<code class="secret" id="totp-secret">([A-Z2-7 ]+)</code>')
RECOVERY = re.compile(r"<li><code>([a-z2-7]{5}-[a-z2-7]{5})</code></li>")


def policy(value: str, **more) -> None:
    tenant_admin.update_settings("acme", {"mfa_policy": value, **more})


def start(browser, client, **params):
    """Authorize and give the password: the page that follows (second factor, consent...)."""
    return log_in(browser, browser.follow(authorize(browser, client[0].client_id, nonce="n", **params)))


def enrol(browser, client, clock, **params) -> tuple[str, list[str], object]:
    """Sign in on a tenant that requires a second factor, enrolling: the secret read from the
    page, the recovery codes shown, and the response after them."""
    page = start(browser, client, **params)
    assert page.status_code == 200 and b"Set up two-step verification" in page.body, page.body[:400]
    text = page.body.decode()
    assert 'src="data:image/svg+xml' in text
    secret = SECRET.search(text).group(1).replace(" ", "")
    shown = browser.submit(page, "enrol", code=pyotp.TOTP(secret).at(clock[0]))
    assert shown.status_code == 200 and b"Your recovery codes" in shown.body, shown.body[:400]
    codes = RECOVERY.findall(shown.body.decode())
    return secret, codes, browser.follow(browser.submit(shown, "continue"))


def id_token_of(http, client, response) -> dict:
    if response.status_code == 200 and b"Allow" in response.body:
        raise AssertionError("consent page")
    code = callback_params(response)["code"]
    tokens = json.loads(redeem(http, client, code).body)
    return jwt.decode(tokens["id_token"], options={"verify_signature": False})


def allow(browser, response):
    assert response.status_code == 200 and b"Allow" in response.body, response.body[:400]
    return browser.submit(response, "allow")


def test_required_policy_enrols_during_sign_in_and_the_token_says_mfa(http, browser, client, user, clock, table_items):
    policy("required")
    secret, codes, consent = enrol(browser, client, clock)
    claims = id_token_of(http, client, allow(browser, consent))
    assert claims["amr"] == ["pwd", "otp", "mfa"] and claims["acr"] == acr.MULTI_FACTOR
    assert len(codes) == 10 and len(set(codes)) == 10
    # Nothing readable in the table: the secret sealed, the codes as keyed digests.
    dump = json.dumps(table_items())
    assert secret not in dump and not any(code.replace("-", "") in dump for code in codes)
    assert "op_mfa" not in browser.cookies
    methods = sorted(factor.method for factor in list_factors("acme", user.sub))
    assert methods == ["recovery", "totp"]


def test_totp_after_the_password_and_no_replay_of_the_same_step(http, browser, client, user, clock):
    from tests.support.browser import Browser

    policy("required")
    secret, _, consent = enrol(browser, client, clock)
    allow(browser, consent)
    clock[0] += 60
    other = Browser(http)
    page = start(other, client, prompt="login")
    assert page.status_code == 200 and b"Two-step verification" in page.body
    code = pyotp.TOTP(secret).at(clock[0])
    done = other.follow(other.submit(page, "verify", code=code))
    claims = id_token_of(http, client, done)  # consent remembered from the first sign-in
    assert claims["acr"] == acr.MULTI_FACTOR and claims["amr"] == ["pwd", "otp", "mfa"]
    # The same code again (another browser, same 30 s): refused.
    third = Browser(http)
    page = start(third, client)
    again = third.submit(page, "verify", code=code)
    assert again.status_code == 401 and b"That code is not right" in again.body


def test_recovery_code_signs_in_once(http, browser, client, user, clock):
    from tests.support.browser import Browser

    policy("required")
    _, codes, consent = enrol(browser, client, clock)
    allow(browser, consent)
    first = Browser(http)
    page = start(first, client)
    done = first.follow(first.submit(page, "verify", code=codes[3].upper()))
    assert id_token_of(http, client, done)["amr"] == ["pwd", "otp", "mfa"]
    second = Browser(http)
    page = start(second, client)
    refused = second.submit(page, "verify", code=codes[3])
    assert refused.status_code == 401 and b"That code is not right" in refused.body


def test_wrong_codes_hit_the_account_limit(http, browser, client, user, clock):
    from tests.support.browser import Browser

    policy("required", mfa_attempts_per_account=3)
    secret, _, consent = enrol(browser, client, clock)  # the confirming code counted: 1
    allow(browser, consent)
    other = Browser(http)
    page = start(other, client)
    for _ in range(2):
        page = other.submit(page, "verify", code="000000")
        assert page.status_code == 401
    limited = other.submit(page, "verify", code=pyotp.TOTP(secret).at(clock[0] + 30))
    assert limited.status_code == 429 and b"Too many attempts" in limited.body
    assert "op_session" not in other.cookies


def test_step_up_through_acr_values_from_a_password_session(http, browser, client, user, clock):
    policy("optional")
    consent = start(browser, client)
    claims = id_token_of(http, client, allow(browser, consent))
    assert claims["amr"] == ["pwd"] and claims["acr"] == acr.SINGLE_FACTOR
    # prompt=none cannot step up
    none = browser.follow(authorize(browser, client[0].client_id, prompt="none", acr_values=acr.MULTI_FACTOR))
    assert callback_params(none)["error"] == "login_required"
    # The same session, asked for more: enrolment (no factor yet), no password.
    page = browser.follow(authorize(browser, client[0].client_id, nonce="n", acr_values=acr.MULTI_FACTOR))
    assert b"Set up two-step verification" in page.body
    secret = SECRET.search(page.body.decode()).group(1).replace(" ", "")
    shown = browser.submit(page, "enrol", code=pyotp.TOTP(secret).at(clock[0]))
    done = browser.follow(browser.submit(shown, "continue"))
    claims = id_token_of(http, client, done)  # consent remembered
    assert claims["acr"] == acr.MULTI_FACTOR and claims["amr"] == ["pwd", "otp", "mfa"]
    # Later sign-ins through this session report how it was established.
    silent = browser.follow(authorize(browser, client[0].client_id, nonce="n", prompt="none"))
    assert id_token_of(http, client, silent)["acr"] == acr.MULTI_FACTOR


def test_optional_policy_without_a_factor_is_password_only(http, browser, client, user):
    policy("optional")
    claims = id_token_of(http, client, allow(browser, start(browser, client)))
    assert claims["acr"] == acr.SINGLE_FACTOR


@pytest.mark.parametrize("cookie", [None, "garbage", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"])
def test_the_second_step_is_bound_to_the_browser(http, browser, client, user, clock, cookie):
    policy("required")
    page = start(browser, client)
    if cookie is None:
        browser.cookies.pop("op_mfa")
    else:
        browser.cookies["op_mfa"] = cookie
    refused = browser.submit(page, "enrol", code="123456")
    assert refused.status_code == 400 and b"expired" in refused.body


def test_the_pending_sign_in_expires(http, browser, client, user, clock):
    policy("required")
    page = start(browser, client)
    clock[0] += 601
    assert browser.submit(page, "enrol", code="123456").status_code == 400


def test_second_step_form_needs_the_csrf_token(http, browser, client, user, clock):
    policy("required")
    page = start(browser, client)
    ticket = html.unescape(re.search(r'name="ticket" value="([^"]+)"', page.body.decode()).group(1))
    forged = browser.post("http://op.example.test/acme/mfa", {"ticket": ticket, "code": "123456"})
    assert forged.status_code == 403


@pytest.mark.parametrize(
    ("mfa_policy", "values"),
    [
        ("off", [acr.SINGLE_FACTOR]),
        ("optional", [acr.SINGLE_FACTOR, acr.MULTI_FACTOR]),
        ("required", list(acr.SUPPORTED)),
    ],
)
def test_discovery_lists_the_acr_values_the_tenant_can_reach(http, tenant, mfa_policy, values):
    policy(mfa_policy)
    response = http.get("/acme/.well-known/openid-configuration", headers={"host": "op.example.test"})
    document = json.loads(response.body)
    assert document["acr_values_supported"] == values
    assert {"acr", "amr"} <= set(document["claims_supported"])


def test_password_grant_is_refused_when_a_second_factor_is_required(http, client, user):
    from chalicelib.admin import clients as client_admin

    tenant_admin.update_settings("acme", {"grant_type_password_enable": True, "mfa_policy": "required"})
    legacy = client_admin.create_client(
        "acme", name="Legacy", client_type="confidential", response_types=[], grant_types=["password"]
    )
    from tests.unit.flows import basic

    data = {"grant_type": "password", "username": "alice", "password": PASSWORD, "scope": "openid"}
    response = post_token(http, data, basic(legacy[0].client_id, legacy[1]))
    assert response.status_code == 400 and json.loads(response.body)["error"] == "invalid_grant"


def test_max_age_re_authenticates_with_both_factors(http, browser, client, user, clock):
    policy("required")
    secret, _, consent = enrol(browser, client, clock)
    allow(browser, consent)
    clock[0] += 120
    page = browser.follow(authorize(browser, client[0].client_id, nonce="n", max_age="60"))
    page = log_in(browser, page)
    assert page.status_code == 200 and b"Two-step verification" in page.body
    done = browser.follow(browser.submit(page, "verify", code=pyotp.TOTP(secret).at(clock[0])))
    claims = id_token_of(http, client, done)
    assert claims["auth_time"] == clock[0] and claims["acr"] == acr.MULTI_FACTOR


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("9" * 10_000, 400),  # past the boundary's field size: refused before the limits see it
        ("9" * 500, 401),
        ("١٢٣٤٥٦", 401),  # Arabic-Indic digits are not the app's digits
        ("\x00\x01", 401),
        ("12345678901234567890", 401),
        ("-----", 401),
        (" ", 401),
    ],
)
def test_hostile_codes_are_refused_without_a_session(http, browser, client, user, clock, code, status):
    from tests.support.browser import Browser

    policy("required")
    _, _, consent = enrol(browser, client, clock)
    allow(browser, consent)
    other = Browser(http)
    page = start(other, client)
    refused = other.submit(page, "verify", code=code)
    assert refused.status_code == status
    assert status != 401 or b"That code is not right" in refused.body
    assert "op_session" not in other.cookies

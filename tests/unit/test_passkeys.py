"""Passkeys through the routes, answered by a software authenticator (tests/support/
authenticator.py) and verified by the ``webauthn`` library: registration on the user's own
page and during enrolment, usernameless sign-in, a passkey after the password, amr/acr in
the ID token, single use of an assertion, a cloned authenticator, removal, hostile answers,
the abuse limits, and tenant isolation."""

from __future__ import annotations

import html
import json
import re

import pytest

from chalicelib.admin import tenants as tenant_admin
from chalicelib.admin import users as user_admin
from chalicelib.oidc import acr
from chalicelib.store import passkeys as store
from tests.support.authenticator import SoftAuthenticator
from tests.support.browser import BASE, Browser
from tests.unit.conftest import PASSWORD
from tests.unit.flows import authorize, log_in
from tests.unit.test_mfa import allow, id_token_of, policy

OPTIONS = re.compile(r'data-options="([^"]*)"')
PASSKEYS = f"{BASE}/acme/passkeys"


def options_of(page) -> dict:
    found = OPTIONS.search(page.body.decode())
    assert found, page.body[:400]
    return json.loads(html.unescape(found.group(1)))


def login_page(browser, client, **params):
    page = browser.follow(authorize(browser, client[0].client_id, nonce="n", **params))
    assert page.status_code == 200 and b"Sign in" in page.body, page.body[:300]
    return page


def register_on_own_page(browser, client, key: SoftAuthenticator):
    """Alice signs in with her password, opens her passkeys page and adds one."""
    allow(browser, log_in(browser, login_page(browser, client)))
    page = browser.get(PASSKEYS)
    assert page.status_code == 200 and b"You have no passkeys yet" in page.body
    added = browser.submit(page, "passkey", credential=key.create(options_of(page)))
    assert added.status_code == 200 and b"Your passkey was added" in added.body, added.body[:600]
    return added


def sign_in_with_passkey(browser, client, key: SoftAuthenticator, **params):
    page = login_page(browser, client, **params)
    return browser.submit(page, "passkey", credential=key.get(options_of(page)))


def consent(browser, response):
    """Through the consent page where it is asked (not for a consent remembered)."""
    return allow(browser, response) if response.status_code == 200 and b"Allow" in response.body else response


@pytest.fixture
def key():
    return SoftAuthenticator(origin=BASE)


def test_register_on_own_page_then_sign_in_without_a_username(http, browser, client, user, key, table_items):
    policy("optional")
    added = register_on_own_page(browser, client, key)
    assert b"Kept on one device" in added.body and b"not used yet" in added.body
    listed = store.list_passkeys("acme", user.sub)
    assert [(p.sign_count, p.device_bound, p.transports) for p in listed] == [(0, True, frozenset({"internal"}))]
    # A new browser: no password, no username, the passkey alone (user verification: two factors).
    fresh = Browser(http)
    response = fresh.follow(sign_in_with_passkey(fresh, client, key))
    claims = id_token_of(http, client, consent(fresh, response))
    assert claims["sub"] == user.sub and claims["amr"] == ["hwk", "user", "mfa"] and claims["acr"] == acr.MULTI_FACTOR
    assert "op_webauthn" not in fresh.cookies and "op_session" in fresh.cookies
    assert [p.sign_count for p in store.list_passkeys("acme", user.sub)] == [1]
    # Only public values in the table.
    private = key.credentials[0].key.private_numbers().private_value
    assert str(private) not in json.dumps(table_items())


def test_a_synced_passkey_says_software_key(http, browser, client, user):
    policy("optional")
    synced = SoftAuthenticator(origin=BASE, backup_eligible=True, counting=False)
    register_on_own_page(browser, client, synced)
    fresh = Browser(http)
    claims = id_token_of(http, client, consent(fresh, fresh.follow(sign_in_with_passkey(fresh, client, synced))))
    assert claims["amr"] == ["swk", "user", "mfa"]


def test_an_assertion_is_used_once_and_a_cloned_counter_is_refused(http, browser, client, user, key):
    policy("optional")
    register_on_own_page(browser, client, key)
    replayer = Browser(http)
    page = login_page(replayer, client)
    saved_cookies = dict(replayer.cookies)
    answer = key.get(options_of(page))
    first = replayer.submit(page, "passkey", credential=answer)
    assert first.status_code == 302
    replayer.cookies = saved_cookies  # the same browser state, the same answer again
    again = replayer.submit(page, "passkey", credential=answer)
    assert again.status_code == 401 and b"That passkey was not accepted" in again.body
    # A clone: a second copy of the key whose counter lags behind the original's.
    key.credentials[0].count = 0
    clone = Browser(http)
    refused = sign_in_with_passkey(clone, client, key)
    assert refused.status_code == 401 and "op_session" not in clone.cookies
    assert [p.sign_count for p in store.list_passkeys("acme", user.sub)] == [1]


def test_a_counter_that_stays_zero_still_signs_in_each_time(http, browser, client, user):
    policy("optional")
    platform = SoftAuthenticator(origin=BASE, counting=False)
    register_on_own_page(browser, client, platform)
    for _ in range(2):
        fresh = Browser(http)
        assert sign_in_with_passkey(fresh, client, platform).status_code == 302


def test_a_passkey_as_the_second_factor_after_the_password(http, browser, client, user, key):
    policy("required")
    # Enrolment during sign-in: the page offers a passkey next to the authenticator app.
    page = log_in(browser, login_page(browser, client))
    assert b"Set up two-step verification" in page.body and b"Create a passkey instead" in page.body
    options = options_of(page)
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["rp"]["id"] == "op.example.test" and not options["excludeCredentials"]
    asked = browser.follow(browser.submit(page, "passkey", credential=key.create(options)))
    claims = id_token_of(http, client, allow(browser, asked))
    assert claims["amr"] == ["pwd", "hwk", "user", "mfa"] and claims["acr"] == acr.MULTI_FACTOR
    # Next time: the password, then the passkey (no authenticator app: no code field).
    other = Browser(http)
    second = log_in(other, login_page(other, client))
    assert b"Use your passkey" in second.body and b'name="code"' not in second.body
    assert [c["id"] for c in options_of(second)["allowCredentials"]] == [
        store.list_passkeys("acme", user.sub)[0].credential_id
    ]
    response = other.follow(other.submit(second, "passkey", credential=key.get(options_of(second))))
    assert id_token_of(http, client, consent(other, response))["amr"] == ["pwd", "hwk", "user", "mfa"]


def test_someone_elses_passkey_is_no_second_factor(http, browser, client, user, key):
    policy("required")
    user_admin.create_user("acme", "bob", PASSWORD, {"name": "Bob"})
    bobs = SoftAuthenticator(origin=BASE)
    page = log_in(browser, login_page(browser, client), username="bob")
    browser.follow(browser.submit(page, "passkey", credential=bobs.create(options_of(page))))
    alices = Browser(http)
    page = log_in(alices, login_page(alices, client))
    alices.follow(alices.submit(page, "passkey", credential=key.create(options_of(page))))
    again = Browser(http)
    second = log_in(again, login_page(again, client))  # Alice's password, Bob's passkey
    refused = again.submit(second, "passkey", credential=bobs.get(options_of(second) | {"rpId": "op.example.test"}))
    assert refused.status_code == 401 and "op_session" not in again.cookies


def test_a_removed_passkey_no_longer_signs_in(http, browser, client, user, key):
    policy("optional")
    added = register_on_own_page(browser, client, key)
    removed = _remove(browser, added)
    assert removed.status_code == 200 and b"The passkey was removed" in removed.body
    assert store.list_passkeys("acme", user.sub) == []
    fresh = Browser(http)
    refused = sign_in_with_passkey(fresh, client, key)
    assert refused.status_code == 401 and "op_session" not in fresh.cookies
    # Removing it again: nothing to remove.
    assert _remove(browser, added).status_code == 404


def _remove(browser, page):
    from tests.support.forms import parse_forms

    form = next(form for form in parse_forms(page.body.decode()) if "passkey" in form.fields)
    return browser.post(form.action, form.submission("remove"))


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        ("", 401),
        ("not json", 401),
        ("[" * 4000, 401),  # nesting deeper than the parser's recursion limit
        (json.dumps({"id": "x", "response": {"userHandle": "!!"}}), 401),
        (json.dumps({"id": 5, "response": {"userHandle": "YWxpY2U"}}), 401),
        (json.dumps({"id": "A", "rawId": "A", "type": "public-key", "response": {"userHandle": "\u00e9"}}), 401),
        (json.dumps({"id": "A", "rawId": "B", "type": "public-key", "response": {"userHandle": "YWxpY2U"}}), 401),
        # Every form field is at most 4 KiB at the boundary (a passkey's answer is ~1 KiB).
        ("x" * 20000, 400),
    ],
)
def test_hostile_answers_are_refused_without_a_server_error(http, browser, client, user, key, answer, status):
    policy("optional")
    page = login_page(browser, client)
    refused = browser.submit(page, "passkey", credential=answer)
    assert refused.status_code == status and "op_session" not in browser.cookies
    assert status == 400 or b"That passkey was not accepted" in refused.body


@pytest.mark.parametrize("where", ["origin", "rp"])
def test_an_answer_for_another_origin_or_rp_is_refused(http, browser, client, user, key, where):
    policy("optional")
    register_on_own_page(browser, client, key)
    fresh = Browser(http)
    page = login_page(fresh, client)
    options = options_of(page)
    if where == "origin":
        answer = key.get(options, origin="https://evil.example")
    else:
        key.credentials[0].rp_id = "evil.example"
        answer = key.get(options | {"rpId": "evil.example"})
    assert fresh.submit(page, "passkey", credential=answer).status_code == 401


def test_an_answer_without_user_verification_is_refused(http, browser, client, user, key):
    policy("optional")
    register_on_own_page(browser, client, key)
    key.user_verified = False
    assert sign_in_with_passkey(Browser(http), client, key).status_code == 401


def test_wrong_answers_run_into_the_abuse_limit(http, browser, client, user, key):
    policy("optional", mfa_attempts_per_account=2)
    register_on_own_page(browser, client, key)  # the registration is counted: one left
    fresh = Browser(http)
    page = login_page(fresh, client)
    wrong = json.loads(key.get(options_of(page)))
    wrong["response"]["signature"] = wrong["response"]["signature"][:-4] + "AAAA"
    assert fresh.submit(page, "passkey", credential=json.dumps(wrong)).status_code == 401
    limited = sign_in_with_passkey(fresh, client, key)  # right, but one too many
    assert limited.status_code == 429 and b"Too many attempts" in limited.body


def test_the_page_without_a_session_and_forms_without_csrf(http, browser, client, user, key):
    policy("optional")
    page = browser.get(PASSKEYS)
    assert page.status_code == 200 and b"Sign in to an application" in page.body and b"data-options" not in page.body
    assert browser.post(PASSKEYS, {"action": "passkey", "credential": "{}"}).status_code in (401, 403)
    added = register_on_own_page(browser, client, key)
    forged = browser.post(PASSKEYS, {"action": "remove", "passkey": store.list_passkeys("acme", user.sub)[0].name})
    assert forged.status_code == 403 and len(store.list_passkeys("acme", user.sub)) == 1
    assert added.headers["Content-Security-Policy"].count("'unsafe-inline'") == 0


def test_no_passkeys_where_second_factors_are_off(http, browser, client, user):
    page = login_page(browser, client)
    assert b"Sign in with a passkey" not in page.body and "op_webauthn" not in browser.cookies
    refused = browser.submit(page, "passkey", credential="{}")
    assert refused.status_code == 401 and b"Wrong username or password" in refused.body


def test_another_tenants_passkey_does_not_sign_in_here(http, browser, client, user, key):
    policy("optional")
    register_on_own_page(browser, client, key)
    other = tenant_admin.create_tenant("globex", "Globex")
    tenant_admin.update_settings(other.id, {"mfa_policy": "optional"})
    from chalicelib.admin import clients as client_admin
    from tests.unit.conftest import REDIRECT_URI

    registered, _ = client_admin.create_client(other.id, name="Globex App", client_type="confidential",
                                               redirect_uris=[REDIRECT_URI])  # fmt: skip
    user_admin.create_user(other.id, "alice", PASSWORD, {"name": "Alice"})
    fresh = Browser(http)
    page = fresh.follow(authorize(fresh, registered.client_id, tenant="globex", nonce="n"))
    refused = fresh.submit(page, "passkey", credential=key.get(options_of(page)))
    assert refused.status_code == 401 and "op_session" not in fresh.cookies


def test_an_app_and_a_passkey_are_both_offered_after_the_password(http, browser, client, user, key, clock):
    import pyotp

    from chalicelib.accounts import factors

    policy("optional")
    register_on_own_page(browser, client, key)
    secret = factors.new_secret()
    assert factors.enrol("acme", user.sub, user.epoch, secret, pyotp.TOTP(secret).at(clock[0]), clock[0])
    other = Browser(http)
    second = log_in(other, login_page(other, client))
    assert b'name="code"' in second.body and b"Use your passkey" in second.body
    response = other.follow(other.submit(second, "passkey", credential=key.get(options_of(second))))
    assert id_token_of(http, client, consent(other, response))["amr"] == ["pwd", "hwk", "user", "mfa"]


def test_the_password_grant_refuses_a_user_with_a_passkey(http, browser, client, user, key):
    from chalicelib.admin import clients as client_admin
    from tests.unit.flows import basic, post_token

    policy("optional", grant_type_password_enable=True)
    register_on_own_page(browser, client, key)
    legacy, secret = client_admin.create_client(
        "acme", name="Legacy", client_type="confidential", response_types=[], grant_types=["password"]
    )
    data = {"grant_type": "password", "username": "alice", "password": PASSWORD, "scope": "openid"}
    response = post_token(http, data, basic(legacy.client_id, secret))
    assert response.status_code == 400 and json.loads(response.body)["error"] == "invalid_grant"


@pytest.mark.parametrize(("change", "signs_in"), [("disabled", False), ("new password", True)])
def test_a_disabled_user_signs_in_with_no_passkey_and_a_new_password_ends_only_sessions(
    http, browser, client, user, key, change, signs_in
):
    """A new password (an operator's, or a reset by mail) ends the user's sessions but keeps
    the other credentials, as it keeps an authenticator app: a passkey someone else added is
    removed on the page or by the operator's reset-second-factor. A disabled user signs in
    with nothing."""
    policy("optional")
    register_on_own_page(browser, client, key)
    if change == "disabled":
        user_admin.set_active("acme", "alice", False)
    else:
        user_admin.set_password("acme", "alice", PASSWORD + "!")
    # The session from before the change no longer opens the passkeys page.
    assert b"Sign in to an application" in browser.get(PASSKEYS).body
    fresh = Browser(http)
    response = sign_in_with_passkey(fresh, client, key)
    assert (response.status_code, "op_session" in fresh.cookies) == ((302, True) if signs_in else (401, False))


def test_of_two_uses_racing_with_one_counter_value_one_wins(http, browser, client, user, key):
    policy("optional")
    register_on_own_page(browser, client, key)
    (passkey,) = store.list_passkeys("acme", user.sub)
    assert store.use_passkey("acme", user.sub, user.epoch, passkey, 1, 1000, 1)
    assert not store.use_passkey("acme", user.sub, user.epoch, passkey, 1, 2000, 1)  # the counter moved
    (used,) = store.list_passkeys("acme", user.sub)
    assert not store.use_passkey("acme", user.sub, user.epoch, used, 2, 1000, 2)  # an older challenge
    assert store.use_passkey("acme", user.sub, user.epoch, used, 2, 3000, 2)
    assert not store.use_passkey("acme", user.sub, user.epoch + 1, used, 3, 4000, 3)  # another epoch's sign-in
    # Another tenant cannot see it, use it or remove it.
    assert store.get_passkey("globex", user.sub, passkey.credential_id) is None
    assert not store.remove_passkey("globex", user.sub, passkey.name)
    assert store.get_passkey("acme", user.sub, passkey.credential_id) is not None


def test_deleting_the_user_deletes_the_passkeys(http, browser, client, user, key):
    policy("optional")
    register_on_own_page(browser, client, key)
    user_admin.delete_user("acme", "alice")
    assert store.list_passkeys("acme", user.sub) == []

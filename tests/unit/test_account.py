"""The account page through the app's routes: signing in through the tenant's own flow, the
password change (epoch moved, other sessions ended, this browser kept), the authenticator app
(enrol, remove, renew recovery codes) with recent authentication, ending sessions,
withdrawing a consent (its refresh tokens refused), CSRF and the limits."""

from __future__ import annotations

import dataclasses
import json
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest

from chalicelib.account import signin
from chalicelib.accounts import passwords
from chalicelib.admin import clients as client_admin
from chalicelib.admin import tenants as tenant_admin
from chalicelib.oidc import interaction
from chalicelib.settings import settings
from chalicelib.store import users as user_store
from chalicelib.store.factors import list_factors
from tests.support.browser import Browser
from tests.support.forms import parse_forms
from tests.unit import flows
from tests.unit.conftest import PASSWORD, REDIRECT_URI

ISSUER = "https://op.example.test/acme"
ACCOUNT = f"{ISSUER}/account"
NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture(autouse=True)
def https_issuer(monkeypatch):
    """The account client's redirect URI is the provider's own, which must be https outside
    this machine (as in the console's tests)."""
    from chalicelib.web import routes

    monkeypatch.setattr(routes, "settings", dataclasses.replace(settings, public_base_url="https://op.example.test"))


def sign_in(browser: Browser, password: str = PASSWORD):
    """Open the account page, sign in on the tenant's login page, land on the account page."""
    return flows.log_in(browser, browser.follow(browser.get(ACCOUNT)), password=password)


@pytest.fixture
def account(http, user, clock):
    browser = Browser(http)
    page = sign_in(browser)
    assert page.status_code == 200 and b"Your account" in page.body, page.body[:400]
    return browser


def post(browser: Browser, page, button: str, **values: str):
    """Press ``button`` in the page's form that has it."""
    form = next(f for f in parse_forms(page.body.decode()) if button in {value for _, value in f.buttons})
    return browser.post(form.action, form.submission(button, **values))


def sessions(table_items, sub: str) -> list[dict]:
    return [i for i in table_items() if i["sk"]["S"].startswith("session#") and i["sub"]["S"] == sub]


def password_is(password: str) -> bool:
    return passwords.verify_password(user_store.get_login("acme", "alice").password_hash, password)


def events(caplog, name: str) -> list[dict]:
    found = [json.loads(r.getMessage()) for r in caplog.records if r.name == "oidc.events"]
    return [event for event in found if event["event"] == name]


def test_without_a_session_the_page_sends_the_browser_to_sign_in(http, tenant, table_items):
    browser = Browser(http)
    start = browser.get(ACCOUNT)
    location = urlsplit(start.headers["Location"])
    query = {name: values[0] for name, values in parse_qs(location.query).items()}
    assert f"https://{location.netloc}{location.path}" == f"{ISSUER}/authorize"
    assert query["client_id"] == "account" and query["redirect_uri"] == f"{ACCOUNT}/callback"
    assert query["code_challenge_method"] == "S256" and query["code_challenge"] != signin.ACCOUNT.verifier(
        "acme", query["state"]
    )
    cookie = next(c for c in start.headers["Set-Cookie"] if c.startswith(signin.FLOW_COOKIE))
    assert "Path=/acme/account" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert [i["sk"]["S"] for i in table_items() if i["pk"]["S"] == "acme"] == ["client#account", "tenant"]
    for path in ("/totp",):
        assert urlsplit(browser.get(f"{ACCOUNT}{path}").headers["Location"]).path == "/acme/authorize"


def test_sign_in_lands_on_the_page_and_spends_the_code(http, user, table_items):
    browser = Browser(http)
    page = sign_in(browser)
    assert page.status_code == 200 and b"Signed in as Alice Example" in page.body
    assert b"This browser" in page.body and b"Authenticator app: off" in page.body
    assert signin.FLOW_COOKIE not in browser.cookies
    codes = [i for i in table_items() if i["sk"]["S"].startswith("code#")]
    assert codes and all("used_at" in code for code in codes)  # redeemed, not left lying
    assert client_admin.get_client("acme", "account").require_consent is False


@pytest.mark.parametrize(
    "cookie, state",
    [(None, "s" * 43), ("a" * 43, "b" * 43), ("a" * 43, None), ("a" * 43, "é" * 43)],
)
def test_a_callback_that_is_not_this_browsers_is_refused(http, user, table_items, cookie, state):
    browser = Browser(http)
    if cookie:
        browser.cookies[signin.FLOW_COOKIE] = cookie
    before = table_items()
    response = browser.get(f"{ACCOUNT}/callback", {"code": "x", **({"state": state} if state else {})})
    assert response.status_code == 400 and b"This sign-in has expired" in response.body
    assert table_items() == before


def test_a_password_change_ends_other_sessions_and_keeps_this_one(http, account, user, client, table_items, caplog):
    other = Browser(http)
    flows.obtain_code(other, client[0].client_id)  # alice, signed in elsewhere to an application
    assert len(sessions(table_items, user.sub)) == 2
    page = account.follow(account.get(ACCOUNT))
    old_cookie = account.cookies[interaction.SESSION_COOKIE]
    done = post(account, page, "change-password", current_password=PASSWORD, new_password=NEW_PASSWORD)
    assert done.status_code == 302 and done.headers["Location"] == f"{ACCOUNT}?done=password-changed"
    assert account.cookies[interaction.SESSION_COOKIE] != old_cookie
    [kept] = sessions(table_items, user.sub)
    assert int(kept["epoch"]["N"]) == user_store.get_user("acme", user.sub).epoch == user.epoch + 1
    page = account.get(ACCOUNT + "?done=password-changed")
    assert page.status_code == 200 and b"Your password is changed" in page.body
    assert urlsplit(other.get(ACCOUNT).headers["Location"]).path == "/acme/authorize"  # the other one is out
    assert password_is(NEW_PASSWORD)
    [changed] = events(caplog, "account_password_changed")
    assert changed["sub"] == user.sub and changed["sessions_ended"] == 2
    assert len(events(caplog, "account_session_ended")) == 2


@pytest.mark.parametrize(
    "current, new, status, words",
    [
        ("not the password", NEW_PASSWORD, 401, b"Your current password is not right"),
        ("", NEW_PASSWORD, 401, b"Your current password is not right"),
        (PASSWORD, "short", 400, b"must have 8 to 1024 characters"),
        (PASSWORD, "x" * 1025, 400, b"must have 8 to 1024 characters"),
        (PASSWORD, PASSWORD, 400, b"is the one you have now"),
    ],
)
def test_a_refused_password_change_changes_nothing(account, user, table_items, current, new, status, words):
    page = account.get(ACCOUNT)
    before = table_items()
    refused = post(account, page, "change-password", current_password=current, new_password=new)
    assert refused.status_code == status and words in refused.body
    assert table_items() == before
    assert account.get(ACCOUNT).status_code == 200  # still signed in


def test_wrong_current_passwords_run_into_the_login_limits(account, tenant, user, table_items):
    tenant_admin.update_settings(tenant.id, {"login_attempts_per_device": 3, "login_attempts_per_account": 3})
    from chalicelib.tenancy.resolve import forget

    forget()
    page = account.get(ACCOUNT)
    statuses = [
        post(account, page, "change-password", current_password="wrong", new_password=NEW_PASSWORD).status_code
        for _ in range(5)
    ]
    assert statuses[:3] == [401] * 3 and statuses[3:] == [429, 429]
    limited = post(account, page, "change-password", current_password=PASSWORD, new_password=NEW_PASSWORD)
    assert limited.status_code == 429 and b"Too many attempts" in limited.body
    assert password_is(PASSWORD)  # unchanged


@pytest.mark.parametrize("button", ["change-password", "end-others", "withdraw-consent", "remove-totp"])
def test_forms_without_this_browsers_csrf_token_are_refused(account, table_items, button):
    before = table_items()
    fields = {"action": button, "current_password": PASSWORD, "new_password": NEW_PASSWORD}
    for token in ({}, {"csrf_token": "forged"}):
        response = account.post(ACCOUNT, {**fields, **token})
        assert response.status_code == 403 and b"not sent from this site" in response.body
    assert table_items() == before


def test_a_post_without_a_session_does_nothing_but_send_to_sign_in(http, user, table_items):
    browser = Browser(http)
    page = browser.follow(browser.get(ACCOUNT))  # the login page: it sets the CSRF cookie
    token = next(f for f in parse_forms(page.body.decode())).fields["csrf_token"]
    before = [i for i in table_items() if not i["sk"]["S"].startswith("client#")]
    response = browser.post(ACCOUNT, {"csrf_token": token, "action": "end-others"})
    assert urlsplit(response.headers["Location"]).path == "/acme/authorize"
    assert [i for i in table_items() if not i["sk"]["S"].startswith("client#")] == before


@pytest.fixture
def optional_mfa(tenant):
    """A tenant that asks for an authenticator app's code of the users who have one."""
    from chalicelib.tenancy.resolve import forget

    tenant_admin.update_settings(tenant.id, {"mfa_policy": "optional"})
    forget()


def test_no_app_is_offered_where_the_tenant_never_asks_for_one(account, user, table_items):
    page = account.get(ACCOUNT)
    assert b"Authenticator app: off" in page.body and b"Set up an authenticator app" not in page.body
    assert b"does not ask for a code from an app" in page.body
    assert account.get(f"{ACCOUNT}/totp").headers["Location"] == ACCOUNT
    assert list_factors("acme", user.sub) == []


def enrol(browser: Browser, clock) -> tuple[str, list[str]]:
    page = browser.get(f"{ACCOUNT}/totp")
    assert page.status_code == 200 and b"Set up two-step verification" in page.body
    secret = page.body.decode().split('id="totp-secret">')[1].split("<")[0].replace(" ", "")
    wrong = post(browser, page, "enrol", code="000000" if pyotp.TOTP(secret).at(clock[0]) != "000000" else "111111")
    assert wrong.status_code == 401 and b"That code is not right" in wrong.body
    done = post(browser, page, "enrol", code=pyotp.TOTP(secret).at(clock[0]))
    assert done.status_code == 200 and b"Save these codes now" in done.body
    codes = [part.split("<")[0] for part in done.body.decode().split("<li><code>")[1:]]
    assert len(codes) == 10
    assert post(browser, done, "continue").headers["Location"] == f"{ACCOUNT}?done=totp-enrolled"
    return secret, codes


def test_enrol_then_remove_the_app_with_recent_authentication(account, optional_mfa, user, clock, caplog):
    enrol(account, clock)
    page = account.get(ACCOUNT)
    assert b"Authenticator app: on" in page.body and b"10 recovery codes left" in page.body
    assert b'name="password"' not in page.body  # signed in just now: no password asked
    assert len(events(caplog, "account_totp_enrolled")) == 1
    assert account.get(f"{ACCOUNT}/totp").status_code == 302  # one app at a time
    removed = post(account, page, "remove-totp")
    assert removed.headers["Location"] == f"{ACCOUNT}?done=totp-removed"
    assert list_factors("acme", user.sub) == [] and len(events(caplog, "account_totp_removed")) == 1


def test_after_five_minutes_removing_the_app_asks_for_the_password(account, optional_mfa, user, clock, table_items):
    enrol(account, clock)
    clock[0] += 301
    page = account.get(ACCOUNT)
    assert b'name="password"' in page.body
    before = table_items()
    for password in ("", "not the password"):
        refused = post(account, page, "remove-totp", password=password)
        assert refused.status_code == 401 and b"Your current password is not right" in refused.body
    assert table_items() == before and len(list_factors("acme", user.sub)) == 2
    assert post(account, page, "remove-totp", password=PASSWORD).status_code == 302
    assert list_factors("acme", user.sub) == []


def test_new_recovery_codes_replace_the_old(http, account, optional_mfa, user, client, clock, caplog):
    _, old = enrol(account, clock)
    renewed = post(account, account.get(ACCOUNT), "recovery-codes")
    assert renewed.status_code == 200 and b"Save these codes now" in renewed.body
    new = [part.split("<")[0] for part in renewed.body.decode().split("<li><code>")[1:]]
    assert len(new) == 10 and not set(new) & set(old)
    assert len(events(caplog, "account_recovery_codes_renewed")) == 1

    def second_step(code: str):
        browser = Browser(http)
        page = flows.log_in(browser, browser.follow(flows.authorize(browser, client[0].client_id)))
        return browser.submit(page, "verify", code=code)

    assert second_step(old[0]).status_code == 401
    assert second_step(new[0]).status_code in (200, 302)


def test_an_enrolment_form_from_another_session_or_too_old_is_refused(http, account, optional_mfa, user, clock):
    page = account.get(f"{ACCOUNT}/totp")
    other = Browser(http)
    sign_in(other)
    form = next(f for f in parse_forms(page.body.decode()))
    ticket = form.fields["ticket"]
    stolen = other.post(form.action, {**form.fields, "csrf_token": _token(other), "ticket": ticket, "code": "1"})
    assert stolen.status_code == 400 and b"This page has expired" in stolen.body
    clock[0] += 601
    late = post(account, page, "enrol", code="123456")
    assert late.status_code == 400 and list_factors("acme", user.sub) == []


def _token(browser: Browser) -> str:
    return next(f for f in parse_forms(browser.get(ACCOUNT).body.decode())).fields["csrf_token"]


def test_ending_another_session_and_all_others(http, account, user, client, table_items, caplog):
    browsers = [Browser(http) for _ in range(3)]
    for browser in browsers:
        flows.obtain_code(browser, client[0].client_id)
    page = account.get(ACCOUNT)
    assert page.body.count(b"Another browser") == 3 and b"Acme Web" in page.body
    ended = post(account, page, "end-session")  # the first other session's form
    assert ended.headers["Location"] == f"{ACCOUNT}?done=session-ended"
    assert len(sessions(table_items, user.sub)) == 3
    again = account.post(ACCOUNT, next(f for f in parse_forms(page.body.decode()) if "sid" in f.fields).submission(
        "end-session"))  # fmt: skip
    assert again.status_code == 409 and b"That has ended already" in again.body
    assert post(account, account.get(ACCOUNT), "end-others").headers["Location"] == f"{ACCOUNT}?done=sessions-ended"
    assert len(sessions(table_items, user.sub)) == 1
    assert account.get(ACCOUNT).status_code == 200
    assert all(urlsplit(b.get(ACCOUNT).headers["Location"]).path == "/acme/authorize" for b in browsers)
    assert len(events(caplog, "account_session_ended")) == 3


def test_withdrawing_a_consent_revokes_the_clients_refresh_tokens(http, account, user, tenant, caplog):
    registered, secret = client_admin.create_client(
        tenant.id, name="Photo Book", client_type="confidential", redirect_uris=[REDIRECT_URI],
        grant_types=["authorization_code", "refresh_token"],
    )  # fmt: skip
    code = flows.obtain_code(account, registered.client_id, scope="openid email")
    tokens = flows.body(flows.redeem(http, (registered, secret), code))
    assert "refresh_token" in tokens
    bearer = {"host": "op.example.test", "authorization": f"Bearer {tokens['access_token']}"}
    assert http.get("/acme/userinfo", headers=bearer).status_code == 200
    page = account.get(ACCOUNT)
    assert b"Photo Book" in page.body and b"Allowed " in page.body
    withdrawn = post(account, page, "withdraw-consent")
    assert withdrawn.headers["Location"] == f"{ACCOUNT}?done=consent-withdrawn"
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    refused = flows.post_token(http, refresh, flows.basic(registered.client_id, secret))
    assert refused.status_code == 400 and flows.body(refused)["error"] == "invalid_grant"
    assert http.get("/acme/userinfo", headers=bearer).status_code == 401  # the grant's access tokens die with it
    assert b"You have not allowed any application yet" in account.get(ACCOUNT).body
    [event] = events(caplog, "account_consent_withdrawn")
    assert event["client_id"] == registered.client_id and event["grants_revoked"] == 1
    again = post(account, page, "withdraw-consent")
    assert again.status_code == 409


def test_another_tenants_session_opens_nothing(http, account, user):
    tenant_admin.create_tenant("other", "Other")
    response = account.get("https://op.example.test/other/account")
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/other/authorize"


@pytest.mark.parametrize(
    "fields, status",
    [
        ({"action": "unknown"}, 400),
        ({"action": "end-session", "sid": "x" * 5000}, 400),
        ({"action": "end-session", "sid": "\u00e9" * 300}, 409),
        ({"action": "withdraw-consent", "client_id": "\u00e9" * 300}, 409),
        ({"action": "withdraw-consent", "client_id": "a\u0000b"}, 409),
        ({"action": "change-password", "current_password": PASSWORD, "new_password": ["a" * 9, "b" * 9]}, 400),
    ],
)
def test_hostile_fields_get_a_4xx_and_change_nothing(account, table_items, fields, status):
    token = _token(account)
    before = table_items()
    from urllib.parse import urlencode

    body = urlencode({"csrf_token": token, **fields}, doseq=True)
    response = account.send("POST", ACCOUNT, body, "application/x-www-form-urlencoded")
    assert response.status_code == status, response.body[:300]
    assert table_items() == before


@pytest.mark.parametrize(
    "ticket, words",
    [("", b"This page has expired"), ("junk", b"This page has expired"), ("\u00e9" * 50, b"This page has expired"),
     ("A" * 5000, b"ticket is too long")],
)  # fmt: skip
def test_a_forged_enrolment_form_is_refused(account, optional_mfa, user, ticket, words):
    token = _token(account)
    response = account.post(f"{ACCOUNT}/totp", {"csrf_token": token, "ticket": ticket, "code": "123456"})
    assert response.status_code == 400 and words in response.body
    assert list_factors("acme", user.sub) == []


def test_the_account_store_reaches_one_tenants_items_only(http, account, user, tenant, clock):
    """Another tenant's call with the same sub and client id finds and removes nothing."""
    from chalicelib.store import account as store

    registered, secret = client_admin.create_client(
        tenant.id, name="Photo Book", client_type="confidential", redirect_uris=[REDIRECT_URI],
        grant_types=["authorization_code", "refresh_token"],
    )  # fmt: skip
    flows.redeem(http, (registered, secret), flows.obtain_code(account, registered.client_id))
    tenant_admin.create_tenant("other", "Other")
    assert len(store.live_grants("acme", user.sub, registered.client_id, clock[0])) == 1
    assert store.live_grants("other", user.sub, registered.client_id, clock[0]) == []
    assert not store.remove_totp("other", user.sub, user.epoch)
    assert not store.replace_recovery_codes("other", user.sub, user.epoch, {"x"}, clock[0])


def test_opening_the_account_page_signed_out_reads_nothing_once_its_client_is_known(http, user, monkeypatch):
    """Anyone may open the page: once the container knows the built-in client, a visit makes
    no DynamoDB call before the redirect to sign in (it used to make a consistent read)."""
    from tests.unit.test_tenant_templates import Dispatched

    for _ in range(2):  # the first visit makes the client (an admin write empties the caches)
        assert Browser(http).get(ACCOUNT).status_code == 302
    dispatched = Dispatched(monkeypatch)
    again = Browser(http).get(ACCOUNT)
    assert again.status_code == 302 and again.headers["Location"].startswith(f"{ISSUER}/authorize?")
    assert dispatched.operations == []

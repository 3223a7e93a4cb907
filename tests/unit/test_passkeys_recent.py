"""Adding and removing passkeys are sensitive changes: within five minutes of the session's
sign-in they go ahead; later the passkeys page asks for the password first (counted as a
login attempt), which opens its changes for five minutes, the account page's rule
(chalicelib/accounts/recent.py)."""

from __future__ import annotations

import pytest

from chalicelib.admin import tenants as tenant_admin
from chalicelib.store import passkeys as store
from tests.support.authenticator import SoftAuthenticator
from tests.support.browser import BASE
from tests.support.forms import parse_forms
from tests.unit.conftest import PASSWORD
from tests.unit.test_mfa import allow, policy
from tests.unit.test_passkeys import PASSKEYS, login_page, options_of
from tests.unit.test_passkeys import register_on_own_page as register

ASKED = b"You signed in more than 5 minutes ago"


@pytest.fixture
def key():
    return SoftAuthenticator(origin=BASE)


def signed_in(browser, client):
    from tests.unit.flows import log_in

    allow(browser, log_in(browser, login_page(browser, client)))


def passkey_field(page) -> str | None:
    """The passkey a page's remove form names (None: the page offers no removal)."""
    forms = [form for form in parse_forms(page.body.decode()) if "passkey" in form.fields]
    return forms[0].fields["passkey"] if forms else None


def add(browser, page, credential: str):
    form = next(form for form in parse_forms(page.body.decode()) if "credential" in form.fields)
    return browser.post(form.action, form.submission("passkey", credential=credential))


def confirm(browser, page, password: str = PASSWORD):
    form = next(form for form in parse_forms(page.body.decode()) if form.fields.get("password") is not None)
    return browser.post(form.action, form.submission("confirm", password=password))


@pytest.mark.parametrize(("age", "allowed"), [(0, True), (299, True), (301, False), (86400, False)])
def test_adding_a_passkey_needs_a_recent_sign_in(http, browser, client, user, key, clock, age, allowed):
    policy("optional")
    signed_in(browser, client)
    page = browser.get(PASSKEYS)
    options = options_of(page)  # offered at sign-in time...
    clock[0] += age  # ...and answered this much later
    answer = add(browser, page, key.create(options))
    if allowed:
        assert answer.status_code == 200 and b"Your passkey was added" in answer.body
        assert len(store.list_passkeys("acme", user.sub)) == 1
    else:
        assert answer.status_code == 401 and ASKED in answer.body and b'value="confirm"' in answer.body
        assert b"data-options" not in answer.body and store.list_passkeys("acme", user.sub) == []


@pytest.mark.parametrize(("age", "allowed"), [(0, True), (300, True), (301, False)])
def test_removing_a_passkey_needs_a_recent_sign_in(http, browser, client, user, key, clock, age, allowed):
    policy("optional")
    added = register(browser, client, key)
    name = passkey_field(added)
    clock[0] += age
    answer = browser.post(PASSKEYS, {"csrf_token": _csrf(added), "action": "remove", "passkey": name})
    if allowed:
        assert answer.status_code == 200 and b"The passkey was removed" in answer.body
        assert store.list_passkeys("acme", user.sub) == []
    else:
        assert answer.status_code == 401 and ASKED in answer.body
        assert [p.name for p in store.list_passkeys("acme", user.sub)] == [name]


def _csrf(page) -> str:
    return next(iter(parse_forms(page.body.decode()))).fields["csrf_token"]


def test_an_old_session_sees_the_password_form_instead_of_the_changes(http, browser, client, user, key, clock):
    policy("optional")
    register(browser, client, key)
    clock[0] += 301
    page = browser.get(PASSKEYS)
    body = page.body.decode()
    assert page.status_code == 200 and "To add or remove a passkey, type your password again." in body
    assert "data-options" not in body and passkey_field(page) is None and "Passkey added" in body


def test_the_password_opens_the_changes_for_five_minutes(http, browser, client, user, key, clock):
    policy("optional")
    register(browser, client, key)
    clock[0] += 3600
    opened = confirm(browser, browser.get(PASSKEYS))
    assert opened.status_code == 200 and passkey_field(opened) is not None
    second = add(browser, opened, key.create(options_of(opened)))
    assert second.status_code == 200 and b"Your passkey was added" in second.body
    clock[0] += 120  # still within five minutes of the password
    first = store.list_passkeys("acme", user.sub)[0].name
    removed = browser.post(PASSKEYS, {"csrf_token": _csrf(second), "action": "remove", "passkey": first})
    assert removed.status_code == 200 and b"The passkey was removed" in removed.body
    clock[0] += 181  # five minutes and a second after the password
    last = store.list_passkeys("acme", user.sub)[0].name
    refused = browser.post(PASSKEYS, {"csrf_token": _csrf(second), "action": "remove", "passkey": last})
    assert refused.status_code == 401 and ASKED in refused.body
    assert [p.name for p in store.list_passkeys("acme", user.sub)] == [last]


def test_a_wrong_password_opens_nothing_and_is_counted_as_a_login_attempt(http, browser, client, user, key, clock):
    policy("optional")
    tenant_admin.update_settings("acme", {"login_attempts_per_device": 2, "login_attempts_per_account": 2})
    register(browser, client, key)
    clock[0] += 301
    page = browser.get(PASSKEYS)
    answers = [confirm(browser, page, "not the password") for _ in range(3)]
    assert [answer.status_code for answer in answers] == [401, 401, 429]
    assert b"Your current password is not right." in answers[0].body
    assert b"Too many attempts. Try again in" in answers[2].body
    for answer in answers:
        assert b"data-options" not in answer.body and passkey_field(answer) is None
    # Limited: even the right password waits now.
    assert confirm(browser, page).status_code == 429


def test_a_confirmation_is_for_its_own_user_only(http, browser, client, user, key, clock):
    """The sealed confirmation names its user: another account's browser cannot use it."""
    from chalicelib.admin import users as user_admin
    from tests.support.browser import Browser
    from tests.unit.flows import log_in

    policy("optional")
    user_admin.create_user("acme", "bob", PASSWORD, {"email": "bob@example.com"})
    bob = Browser(http)
    allow(bob, log_in(bob, login_page(bob, client), "bob"))
    register(browser, client, key)
    clock[0] += 301  # both sessions are old now
    opened = confirm(browser, browser.get(PASSKEYS))
    assert opened.status_code == 200 and passkey_field(opened) is not None
    bob.cookies["op_webauthn"] = browser.cookies["op_webauthn"]  # alice's confirmation, stolen
    page = bob.get(PASSKEYS)
    assert page.status_code == 200 and b"type your password again" in page.body and b"data-options" not in page.body

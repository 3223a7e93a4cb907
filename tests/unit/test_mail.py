"""Mail through SES (moto in-process): forgot password and its reset link, email
verification, self-service sign-up; the same answers for known and unknown accounts, the
abuse limits on each form, single-use and short-lived links stored only as digests."""

from __future__ import annotations

import json
import re

import boto3
import pytest

from chalicelib.admin import tenants as tenant_admin
from chalicelib.admin import users as user_admin
from chalicelib.mail import jobs, messages
from chalicelib.store import users
from chalicelib.tenancy.settings import TenantSettings
from tests.support.browser import BASE, Browser
from tests.unit.conftest import PASSWORD
from tests.unit.flows import authorize, log_in, obtain_code

SENDER = "no-reply@acme.example.com"
NEW_PASSWORD = "a brand new passphrase"
LINK = re.compile(r"(http://op\.example\.test/acme/[a-z/]+\?token=([A-Za-z0-9_-]{43}))")


@pytest.fixture
def mail(tenant):
    """The tenant sends from an address of a domain verified in (moto's) SES."""
    boto3.client("sesv2").create_email_identity(EmailIdentity="acme.example.com")
    tenant_admin.update_settings(tenant.id, {"mail_sender": SENDER})
    return tenant


def sent() -> list:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses import ses_backends

    return list(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)


def link_of(message) -> tuple[str, str]:
    match = LINK.search(message.body)
    assert match, message.body
    return match.group(1), match.group(2)


def visible(response) -> str:
    """A page's words, without what differs per request (the CSRF token, the CSP nonce)."""
    text = response.body.decode()
    return re.sub(r'(value|nonce)="[^"]*"', "", text)


def forgot(browser: Browser, username: str):
    page = browser.get(f"{BASE}/acme/password/forgot")
    assert page.status_code == 200
    return browser.submit(page, username=username)


def test_a_forgotten_password_is_reset_by_a_mailed_single_use_link(http, mail, user, consumer, table_items, logged):
    browser = Browser(http)
    answer = forgot(browser, "ALICE")
    assert answer.status_code == 200 and "Check your email" in answer.body.decode()
    assert consumer.drain() == 1
    [message] = sent()
    assert message.source == SENDER and message.destinations["ToAddresses"] == ["alice@example.com"]
    assert message.subject == "Reset your Acme password" and "within 15 minutes" in message.body
    url, token = link_of(message)
    assert url.startswith("http://op.example.test/acme/password/reset?token=")
    assert token not in json.dumps(table_items())  # stored as a digest only
    landing = browser.get(url)
    assert landing.status_code == 200 and landing.headers["Referrer-Policy"] == "no-referrer"
    assert "history.replaceState" in landing.body.decode()
    epoch = users.get_login("acme", "alice").epoch
    done = browser.submit(landing, password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    assert done.status_code == 200 and "Password changed" in done.body.decode()
    login = users.get_login("acme", "alice")
    assert login.epoch == epoch + 1  # every session and grant from before has ended
    from chalicelib.accounts.passwords import verify_password

    assert verify_password(login.password_hash, NEW_PASSWORD) and not verify_password(login.password_hash, PASSWORD)
    replay = browser.submit(landing, password="another passphrase", confirm="another passphrase")
    assert replay.status_code == 400 and "expired or has been used" in replay.body.decode()
    assert browser.get(url).status_code == 400
    assert not any(token in line for line in map(str, logged))


def test_the_forgot_form_answers_alike_for_known_and_unknown_accounts(http, mail, user, consumer):
    known, unknown = forgot(Browser(http), "alice"), forgot(Browser(http), "nobody")
    assert (known.status_code, visible(known)) == (unknown.status_code, visible(unknown))
    assert consumer.drain() == 2
    assert [m.destinations["ToAddresses"] for m in sent()] == [["alice@example.com"]]


@pytest.mark.parametrize(
    ("password", "confirm", "error"),
    [
        ("short", "short", "at least 8 characters"),
        (NEW_PASSWORD, NEW_PASSWORD + "!", "not the same"),
        ("x" * 1025, "x" * 1025, "at most 1024 characters"),
    ],
)
def test_a_new_password_breaking_the_rule_is_refused_and_the_link_still_works(
    http, mail, user, consumer, password, confirm, error
):
    browser = Browser(http)
    forgot(browser, "alice")
    consumer.drain()
    landing = browser.get(link_of(sent()[0])[0])
    refused = browser.submit(landing, password=password, confirm=confirm)
    assert refused.status_code == 400 and error in refused.body.decode()
    done = browser.submit(refused, password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    assert done.status_code == 200 and "Password changed" in done.body.decode()


def test_an_expired_reset_link_is_refused(http, mail, user, consumer, clock):
    browser = Browser(http)
    clock[0] -= 3 * 3600  # the request now, the consumer's clock (real time) later: move the pages ahead
    forgot(browser, "alice")
    consumer.drain()
    clock[0] += 3 * 3600 + 901
    url, _ = link_of(sent()[0])
    assert browser.get(url).status_code == 400


def test_a_reset_link_dies_when_the_password_changes_otherwise(http, mail, user, consumer):
    browser = Browser(http)
    forgot(browser, "alice")
    consumer.drain()
    landing = browser.get(link_of(sent()[0])[0])
    user_admin.set_password("acme", "alice", "set by an admin meanwhile")
    refused = browser.submit(landing, password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    assert refused.status_code == 400


@pytest.mark.parametrize("typed", ["", "x" * 300])
def test_the_forgot_form_refuses_what_names_no_account(http, mail, consumer, typed):
    answer = forgot(Browser(http), typed)
    assert answer.status_code == 400 and consumer.drain() == 0


def test_forgot_password_is_limited_per_account_and_per_source(http, mail, user, consumer):
    tenant_admin.update_settings("acme", {"mail_requests_per_account": 2, "mail_requests_per_source": 3})
    statuses = [forgot(Browser(http), "alice").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]  # the account: known and unknown alike
    assert [forgot(Browser(http), "nobody").status_code for _ in range(3)] == [200, 429, 429]  # then the source
    assert consumer.drain() == 3


def test_a_token_that_is_no_token_is_refused_without_a_read(http, mail):
    for token in ("", "short", "é" * 43, "A" * 44):
        assert Browser(http).get(f"{BASE}/acme/password/reset", {"token": token}).status_code == 400


def sign_in(http, client) -> Browser:
    browser = Browser(http)
    obtain_code(browser, client[0].client_id)
    return browser


def test_email_verification_sets_email_verified(http, mail, client, consumer):
    user_admin.create_user("acme", "alice", PASSWORD, {"email": "alice@example.com", "email_verified": False})
    browser = sign_in(http, client)
    page = browser.get(f"{BASE}/acme/email")
    assert page.status_code == 200 and "is not confirmed yet" in page.body.decode()
    assert browser.submit(page).status_code == 200
    consumer.drain()
    [message] = sent()
    assert message.destinations["ToAddresses"] == ["alice@example.com"]
    landing = browser.get(link_of(message)[0])
    assert Browser(http).get(link_of(message)[0]).status_code == 200  # opening it uses nothing up
    done = browser.submit(landing)
    assert done.status_code == 200 and "is confirmed" in done.body.decode()
    assert users.get_user("acme", users.get_login("acme", "alice").sub).claims["email_verified"] is True
    assert browser.submit(landing).status_code == 400  # used


def test_a_verification_link_for_an_address_changed_since_does_nothing(http, mail, client, consumer):
    user_admin.create_user("acme", "alice", PASSWORD, {"email": "alice@example.com", "email_verified": False})
    browser = sign_in(http, client)
    browser.submit(browser.get(f"{BASE}/acme/email"))
    consumer.drain()
    landing = browser.get(link_of(sent()[0])[0])
    user_admin.update_claims("acme", "alice", {"email": "alice@elsewhere.example"})
    assert browser.submit(landing).status_code == 400
    assert users.get_user("acme", users.get_login("acme", "alice").sub).claims["email_verified"] is False


def test_the_email_page_needs_a_session(http, mail):
    assert Browser(http).get(f"{BASE}/acme/email").status_code == 401


def signup(browser: Browser, email: str, password: str = PASSWORD, **claims: str):
    page = browser.get(f"{BASE}/acme/signup")
    assert page.status_code == 200, page.body[:300]
    return browser.submit(page, email=email, password=password, confirm=password, **claims)


def test_sign_up_is_off_by_default(http, tenant):
    assert Browser(http).get(f"{BASE}/acme/signup").status_code == 404
    assert "Create an account" not in Browser(http).get(f"{BASE}/acme/password/forgot").body.decode()


def test_sign_up_creates_the_account_only_from_the_mailed_link(http, mail, client, consumer):
    tenant_admin.update_settings("acme", {"signup_enable": True, "signup_claims": ["name", "given_name"]})
    browser = Browser(http)
    answer = signup(browser, "Bob@Example.com", name="Bob Builder", given_name="Bob")
    assert answer.status_code == 200 and "Check your email" in answer.body.decode()
    consumer.drain()
    [message] = sent()
    assert message.destinations["ToAddresses"] == ["bob@example.com"]
    assert users.get_login("acme", "bob@example.com") is None  # not before the link
    landing = browser.get(link_of(message)[0])
    done = browser.submit(landing)
    assert done.status_code == 200 and "Your account is ready" in done.body.decode()
    login = users.get_login("acme", "bob@example.com")
    claims = users.get_user("acme", login.sub).claims
    assert claims == {"email": "bob@example.com", "email_verified": True, "name": "Bob Builder", "given_name": "Bob"}
    assert browser.submit(landing).status_code == 400  # single use
    newcomer = Browser(http)
    signed_in = log_in(newcomer, newcomer.follow(authorize(newcomer, client[0].client_id)), "bob@example.com")
    assert signed_in.status_code == 200 and "Allow" in signed_in.body.decode()  # past the password, at consent


def test_sign_up_with_a_taken_address_answers_alike_and_writes_to_its_owner(http, mail, consumer):
    tenant_admin.update_settings("acme", {"signup_enable": True})
    user_admin.create_user("acme", "carol@example.com", PASSWORD, {"email": "carol@example.com"})
    taken, free = signup(Browser(http), "carol@example.com"), signup(Browser(http), "dave@example.com")
    assert (taken.status_code, visible(taken).replace("carol", "dave")) == (free.status_code, visible(free))
    consumer.drain()
    by_address = {m.destinations["ToAddresses"][0]: m for m in sent()}
    assert (
        "already has one" in by_address["carol@example.com"].body
        and "token=" not in by_address["carol@example.com"].body
    )
    assert "create the account" in by_address["dave@example.com"].body


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"email": "not an address"}, "valid email address"),
        ({"email": "e@example.com", "confirm": "other"}, "not the same"),
        ({"email": "e@example.com", "name": "n" * 300}, "at most 256"),
    ],
)
def test_sign_up_refuses_bad_fields_and_queues_nothing(http, mail, consumer, fields, error):
    tenant_admin.update_settings("acme", {"signup_enable": True})
    browser = Browser(http)
    page = browser.get(f"{BASE}/acme/signup")
    answer = browser.submit(page, **{"password": PASSWORD, "confirm": PASSWORD, **fields})
    assert answer.status_code == 400 and error in answer.body.decode()
    assert consumer.drain() == 0


def test_sign_up_is_limited_per_address(http, mail, consumer):
    tenant_admin.update_settings("acme", {"signup_enable": True, "mail_requests_per_account": 1})
    assert [signup(Browser(http), "eve@example.com").status_code for _ in range(2)] == [200, 429]


@pytest.mark.parametrize(
    "settings",
    [
        {"mail_sender": "not an address"},
        {"mail_sender": "a@b"},
        {"mail_sender": "x@example.com\r\nBcc: victim@example.com"},
        {"mail_sender": 7},
        {"signup_claims": ["email_verified"]},
        {"signup_claims": "name"},
        {"reset_link_expire": 7200},
        {"mail_requests_per_account": 0},
        {"signup_enable": "yes"},
    ],
)
def test_mail_settings_are_validated(settings):
    with pytest.raises(ValueError):
        TenantSettings.from_mapping(settings)


def test_mail_is_dropped_without_a_sender_and_for_malformed_jobs(mail, consumer):
    tenant_admin.update_settings("acme", {"mail_sender": None})
    jobs.enqueue(jobs.Job("reset", "acme", "http://op.example.test/acme", "alice"))
    jobs.enqueue(jobs.Job("reset", "acme", "http://op.example.test/acme", "alice"))
    from chalicelib.outbound import queue

    queue.enqueue("oidc-backchannel", ['{"mail": "spam"}'])
    assert consumer.drain() == 3 and consumer.outcomes == {"handled": 3} and sent() == []


@pytest.mark.parametrize("template", ["reset.txt", "verify.txt", "signup.txt", "signup_exists.txt"])
def test_every_message_names_the_tenant_and_holds_its_link(template):
    subject, text = messages.render(
        template, tenant="Acme & Co", link="https://x/l", username="u", minutes=15, email="e"
    )
    assert "Acme & Co" in subject and "https://x/l" in text and text.endswith("Acme & Co\n")


def test_a_sender_ses_has_not_verified_is_refused_for_good(http, tenant, user, consumer, caplog):
    """SES's MessageRejected is final: the job ends (an event says so) instead of coming back."""
    import logging

    caplog.set_level(logging.INFO, logger="oidc.events")
    tenant_admin.update_settings(tenant.id, {"mail_sender": "no-reply@unverified.example.org"})
    forgot(Browser(http), "alice")
    assert consumer.drain() == 1 and consumer.outcomes == {"handled": 1} and sent() == []
    lines = [json.loads(record.getMessage()) for record in caplog.records if record.name == "oidc.events"]
    assert {"event": "mail_refused", "mail": "reset", "reason": "MessageRejected"}.items() <= lines[-1].items()


@pytest.mark.parametrize("path", ["password/reset", "email/verify", "signup/confirm"])
def test_every_link_form_is_limited_per_source(http, mail, path):
    """Guessed tokens cost the guesser: each link's form counts its source before the token."""
    tenant_admin.update_settings("acme", {"signup_enable": True, "mail_requests_per_source": 2})
    browser = Browser(http)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', browser.get(f"{BASE}/acme/password/forgot").body.decode())
    form = {"csrf_token": csrf.group(1), "token": "A" * 43, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    statuses = [browser.post(f"{BASE}/acme/{path}", form).status_code for _ in range(3)]
    assert statuses == [400, 400, 429]


def test_asking_for_a_verification_link_is_limited_per_account(http, mail, client, consumer):
    tenant_admin.update_settings("acme", {"mail_requests_per_account": 1})
    user_admin.create_user("acme", "alice", PASSWORD, {"email": "alice@example.com"})
    browser = sign_in(http, client)
    page = browser.get(f"{BASE}/acme/email")
    assert [browser.submit(page).status_code for _ in range(2)] == [200, 429]
    assert consumer.drain() == 1


def test_a_reset_lifts_the_lockout_strangers_caused(http, mail, user, client, consumer):
    tenant_admin.update_settings("acme", {"login_attempts_per_account": 2, "login_free_failures": 10})
    stranger = Browser(http)
    for _ in range(2):
        log_in(stranger, stranger.follow(authorize(stranger, client[0].client_id)), password="a wrong guess")
    owner = Browser(http)
    locked = log_in(owner, owner.follow(authorize(owner, client[0].client_id)), password=PASSWORD)
    assert locked.status_code == 429
    forgot(owner, "alice")
    consumer.drain()
    owner.submit(owner.get(link_of(sent()[0])[0]), password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    signed_in = log_in(owner, owner.follow(authorize(owner, client[0].client_id)), password=NEW_PASSWORD)
    assert signed_in.status_code == 200 and "Allow" in signed_in.body.decode()

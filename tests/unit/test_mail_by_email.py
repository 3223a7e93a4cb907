"""Forgot password by email address: the form takes a username or an address; the queue's
consumer finds the accounts with that address through their email lookup items (a Query,
never a Scan), kept by every write of a user's email claim in the profile's own transaction;
accounts sharing an address each get their link; the answer is the same whatever exists."""

from __future__ import annotations

import os

import boto3
import pytest
from click.testing import CliRunner

from chalicelib.admin import users as user_admin
from chalicelib.admin.cli import cli
from chalicelib.store import emails, users
from tests.support.browser import BASE, Browser
from tests.unit.conftest import PASSWORD
from tests.unit.test_admin_api import call
from tests.unit.test_admin_api import key as key  # a fixture: an admin key of the tenant's
from tests.unit.test_mail import NEW_PASSWORD, forgot, link_of, sent, visible
from tests.unit.test_mail import mail as mail  # a fixture: the tenant sends through (moto's) SES

pytestmark = pytest.mark.usefixtures("mail")


def lookups(table_items) -> list[tuple[str, str]]:
    """The email lookup items: (key, sub)."""
    items = [item for item in table_items() if item["sk"]["S"].startswith(emails.PREFIX)]
    return [(item["sk"]["S"], item["sub"]["S"]) for item in items]


def recipients() -> list[str]:
    return sorted(message.destinations["ToAddresses"][0] for message in sent())


@pytest.mark.parametrize("typed", ["alice@example.com", "ALICE@Example.COM", " alice@example.com "])
def test_the_forgot_form_finds_the_account_by_its_email_address(http, user, consumer, typed):
    browser = Browser(http)
    assert forgot(browser, typed).status_code == 200
    assert consumer.drain() == 1
    [message] = sent()
    assert message.destinations["ToAddresses"] == ["alice@example.com"] and "account alice." in message.body
    done = browser.submit(browser.get(link_of(message)[0]), password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    assert done.status_code == 200 and "Password changed" in done.body.decode()
    from chalicelib.accounts.passwords import verify_password

    assert verify_password(users.get_login("acme", "alice").password_hash, NEW_PASSWORD)


def test_the_answer_is_the_same_for_a_known_and_an_unknown_address(http, user, consumer):
    known, unknown = forgot(Browser(http), "alice@example.com"), forgot(Browser(http), "nobody@example.com")
    assert (known.status_code, visible(known)) == (unknown.status_code, visible(unknown))
    assert consumer.drain() == 2 and recipients() == ["alice@example.com"]


def test_accounts_sharing_an_address_each_get_their_own_link(http, user, consumer):
    user_admin.create_user("acme", "alice-work", PASSWORD, {"email": "Alice@example.com"})
    user_admin.create_user("acme", "bob", PASSWORD, {"email": "bob@example.com"})
    browser = Browser(http)
    forgot(browser, "alice@example.com")
    assert consumer.drain() == 1
    by_account = {("account alice." in m.body, "account alice-work." in m.body): m for m in sent()}
    assert set(by_account) == {(True, False), (False, True)}  # one each, naming its account
    assert recipients() == ["Alice@example.com", "alice@example.com"]  # each profile's own spelling
    work = by_account[(False, True)]
    browser.submit(browser.get(link_of(work)[0]), password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    from chalicelib.accounts.passwords import verify_password

    assert verify_password(users.get_login("acme", "alice-work").password_hash, NEW_PASSWORD)
    assert verify_password(users.get_login("acme", "alice").password_hash, PASSWORD)  # the other link is unused


def test_a_disabled_account_gets_no_link_by_address(http, user, consumer):
    user_admin.set_active("acme", "alice", False)
    forgot(Browser(http), "alice@example.com")
    assert consumer.drain() == 1 and sent() == []


def test_the_lookup_follows_the_claim_through_the_admin_api(http, key, consumer, table_items):
    """Create, change, remove the address, delete the user: the lookup items follow in the
    profile's transactions, keyed by a digest of the address (never the address)."""
    _, carol = call(http, "POST", "/users", key, {"username": "carol", "password": PASSWORD,
                                                  "claims": {"email": "carol@example.com"}})  # fmt: skip
    [(sk, sub)] = lookups(table_items)
    assert sub == carol["sub"] and "carol" not in sk and sk.endswith("#" + carol["sub"])
    call(http, "PATCH", "/users/carol", key, {"claims": {"email": "carol@elsewhere.example"}})
    assert [s for _, s in lookups(table_items)] == [carol["sub"]] and lookups(table_items)[0][0] != sk
    forgot(Browser(http), "carol@example.com")
    forgot(Browser(http), "carol@elsewhere.example")
    assert consumer.drain() == 2 and recipients() == ["carol@elsewhere.example"]
    call(http, "PATCH", "/users/carol", key, {"claims": {"name": "Carol"}})  # the address stays
    assert len(lookups(table_items)) == 1
    call(http, "PATCH", "/users/carol", key, {"claims": {"email": None}})
    assert lookups(table_items) == []
    call(http, "PATCH", "/users/carol", key, {"claims": {"email": "carol@example.com"}})
    assert len(lookups(table_items)) == 1
    assert call(http, "DELETE", "/users/carol", key)[0].status_code == 204
    assert lookups(table_items) == []


def test_a_write_from_a_stale_read_moves_no_lookup(user, table_items):
    """Two writers read alice; the second one's change (from the old version) is refused,
    and the lookup stays the first one's."""
    read = users.get_user("acme", user.sub, consistent=True)
    assert users.update_user(read, claims={**read.claims, "email": "first@example.com"}) is not None
    assert users.update_user(read, claims={**read.claims, "email": "second@example.com"}) is None
    assert [u.username for u in users.find_by_email("acme", "first@example.com")] == ["alice"]
    assert users.find_by_email("acme", "second@example.com") == [] == users.find_by_email("acme", "alice@example.com")
    assert len(lookups(table_items)) == 1


def test_users_from_before_the_lookup_are_found_after_the_backfill(http, user, consumer, table_items):
    [(sk, _)] = lookups(table_items)
    boto3.client("dynamodb").delete_item(TableName=os.environ["TABLE_NAME"], Key={"pk": {"S": "acme"}, "sk": {"S": sk}})
    forgot(Browser(http), "alice@example.com")
    assert consumer.drain() == 1 and sent() == []  # no lookup: nobody found by address
    result = CliRunner().invoke(cli, ["users", "backfill-emails", "acme"], catch_exceptions=False)
    assert result.exit_code == 0 and '"indexed": 1' in result.output and '"users": 1' in result.output
    assert lookups(table_items) == [(sk, user.sub)]
    forgot(Browser(http), "alice@example.com")
    assert consumer.drain() == 1 and recipients() == ["alice@example.com"]


def test_a_sign_up_with_an_address_another_account_has_writes_to_its_owner(http, user, consumer):
    from chalicelib.admin import tenants as tenant_admin
    from tests.unit.test_mail import signup

    tenant_admin.update_settings("acme", {"signup_enable": True})
    assert signup(Browser(http), "alice@example.com").status_code == 200
    consumer.drain()
    [message] = sent()
    assert message.destinations["ToAddresses"] == ["alice@example.com"] and "already has one" in message.body
    assert users.get_login("acme", "alice@example.com") is None


def test_a_hostile_email_claim_is_filed_without_a_fault(http, key, table_items):
    """Whatever string an admin stores as an address (a lone surrogate, 2,000 characters)
    writes the user; an address too long for a key is simply not filed."""
    for name, email in (("s", "\ud800@example.com"), ("long", "x" * 2000 + "@example.com")):
        response, _ = call(http, "POST", "/users", key, {"username": name, "password": PASSWORD,
                                                         "claims": {"email": email}})  # fmt: skip
        assert response.status_code in (201, 400), response.body
    assert all(len(sk) < 200 for sk, _ in lookups(table_items))


def test_the_forgot_page_says_it_takes_either(http):
    page = Browser(http).get(f"{BASE}/acme/password/forgot")
    assert "Username or email address" in page.body.decode()

"""Abuse limits on password guessing: per account (alike for unknown accounts), per source,
back-off, the owner's browser spared, unlock; at the login page and the password grant."""

from __future__ import annotations

import html
import json
import re
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from chalice import local

from chalicelib.admin import tenants as tenant_admin
from chalicelib.admin import users as user_admin
from tests.support.browser import HOST, Browser
from tests.unit.conftest import PASSWORD
from tests.unit.flows import authorize, basic, log_in

WINDOW = 900


def attempt(browser: Browser, client_id: str, username: str, password: str) -> tuple[int, str]:
    page = browser.follow(authorize(browser, client_id, prompt="login"))
    response = browser.submit(page, "login", username=username, password=password)
    error = re.search(r'<p class="error"[^>]*>([^<]*)</p>', response.body.decode())
    return response.status_code, html.unescape(error.group(1)) if error else ""


def guesses(http, client_id: str, username: str, clock: list[int]) -> list[tuple[int, str]]:
    """Wrong passwords, waiting out each back-off, until the window's limit stops them."""
    browser, seen = Browser(http), []
    while len(seen) < 30:
        status, message = attempt(browser, client_id, username, "wrong password")
        seen.append((status, message))
        if status == 429:
            if message != "Too many attempts. Try again in 1 minute.":
                break  # not a back-off: the window is full
            clock[0] += 60
    return seen


def test_known_and_unknown_accounts_are_limited_alike(http, client, user, clock):
    start = clock[0]
    known = guesses(http, client[0].client_id, "alice", clock)
    clock[0] = start + 2 * WINDOW  # the same point of a later window
    unknown = guesses(http, client[0].client_id, "nobody-here", clock)
    assert known == unknown
    statuses = [status for status, _ in known]
    assert statuses[:4] == [401] * 4  # three free failures, and a fourth that starts the back-off
    assert statuses.count(401) == 10  # the window's limit, whatever the pace
    assert known[4:-1] == [(429, "Too many attempts. Try again in 1 minute."), (401, "Wrong username or password.")] * 6
    assert known[-1] == (429, "Too many attempts. Try again in 9 minutes.")
    assert all(message == "Wrong username or password." for status, message in known if status == 401)


def test_a_burst_is_cut_at_the_limit_and_the_lock_costs_a_hash(http, client, user, clock, monkeypatch):
    from chalicelib.accounts import passwords

    browser = Browser(http)
    statuses = [attempt(browser, client[0].client_id, "alice", "wrong password")[0] for _ in range(3)]
    verified = []
    monkeypatch.setattr(passwords, "verify_password", lambda *args: verified.append(args) or False)
    statuses += [attempt(browser, client[0].client_id, "alice", "wrong password")[0] for _ in range(3)]
    assert statuses == [401, 401, 401, 401, 429, 429]
    assert len(verified) == 3  # refused attempts still verify (the dummy hash): same cost, same time


def test_the_owners_browser_is_not_locked_out_by_strangers(http, client, user, clock):
    owner = Browser(http)
    assert b"Allow" in log_in(owner, owner.follow(authorize(owner, client[0].client_id))).body
    assert "op_device" in owner.cookies
    stranger = Browser(http)
    for _ in range(10):
        attempt(stranger, client[0].client_id, "alice", "wrong password")
        clock[0] += 61
    assert attempt(stranger, client[0].client_id, "alice", PASSWORD)[0] == 429
    assert attempt(Browser(http), client[0].client_id, "alice", PASSWORD)[0] == 429  # any new browser
    assert attempt(owner, client[0].client_id, "alice", PASSWORD)[0] == 302  # the owner's own: signed in

    clock[0] += WINDOW  # the next window: strangers may try again
    assert attempt(stranger, client[0].client_id, "alice", PASSWORD)[0] == 302


def test_a_device_cookie_for_another_account_or_forged_does_not_help(http, client, user, clock):
    user_admin.create_user("acme", "bob", PASSWORD)
    browser = Browser(http)
    log_in(browser, browser.follow(authorize(browser, client[0].client_id)), username="bob")
    device = browser.cookies["op_device"]
    for _ in range(10):
        attempt(Browser(http), client[0].client_id, "alice", "wrong password")
        clock[0] += 61
    assert attempt(browser, client[0].client_id, "alice", PASSWORD)[0] == 429  # bob's device, not alice's
    browser.cookies["op_device"] = device[:-2] + ("AA" if device[-2:] != "AA" else "BB")
    assert attempt(browser, client[0].client_id, "bob", PASSWORD)[0] == 302  # bob is not limited...
    browser.cookies["op_device"] = "é" * 10
    assert attempt(browser, client[0].client_id, "alice", PASSWORD)[0] == 429  # ...and junk is no device


def test_one_source_trying_many_accounts_is_stopped(http, client, user, clock, monkeypatch):
    tenant_admin.update_settings("acme", {"login_attempts_per_source": 5})
    for name in ("a1", "a2", "a3", "a4", "a5"):
        assert attempt(Browser(http), client[0].client_id, name, "Summer2026!")[0] == 401
    assert attempt(Browser(http), client[0].client_id, "alice", PASSWORD)[0] == 429
    monkeypatch.setattr(local.LambdaEventConverter, "LOCAL_SOURCE_IP", "198.51.100.7")
    assert attempt(Browser(http), client[0].client_id, "alice", PASSWORD)[0] == 302  # another source


def test_an_admin_unlocks_the_account_over_the_api_and_the_cli(http, client, user, clock):
    from click.testing import CliRunner

    from chalicelib.admin.cli import cli

    for _ in range(10):
        attempt(Browser(http), client[0].client_id, "alice", "wrong password")
        clock[0] += 61
    assert attempt(Browser(http), client[0].client_id, "alice", PASSWORD)[0] == 429
    key, _ = tenant_admin.issue_admin_key("acme")
    headers = {"host": HOST, "authorization": f"Bearer {key}", "content-type": "application/json"}
    unlocked = http.post("/admin/tenants/acme/users/ALICE/unlock", headers=headers, body="{}")
    assert unlocked.status_code == 200 and json.loads(unlocked.body)["counters_cleared"] == 1
    assert attempt(Browser(http), client[0].client_id, "alice", PASSWORD)[0] == 302
    assert http.post("/admin/tenants/acme/users/nobody/unlock", headers=headers, body="{}").status_code == 404

    for _ in range(10):
        attempt(Browser(http), client[0].client_id, "alice", "wrong password")
        clock[0] += 61
    result = CliRunner().invoke(cli, ["users", "unlock", "acme", "alice"])
    assert result.exit_code == 0 and json.loads(result.output)["status"] == "unlocked"
    assert attempt(Browser(http), client[0].client_id, "alice", PASSWORD)[0] == 302


@pytest.fixture
def password_client(tenant, user):
    from chalicelib.admin import clients as client_admin

    tenant_admin.update_settings(tenant.id, {"grant_type_password_enable": True})
    return client_admin.create_client(
        tenant.id, name="Legacy", client_type="confidential", response_types=[], grant_types=["password"]
    )


def password_grant(http, client, username: str, password: str) -> tuple[int, dict]:
    registered, secret = client
    body = urlencode({"grant_type": "password", "username": username, "password": password, "scope": "openid"})
    headers = {"host": HOST, "content-type": "application/x-www-form-urlencoded"}
    response = http.post(
        "/acme/token", headers={**headers, "authorization": basic(registered.client_id, secret)}, body=body
    )
    return response.status_code, json.loads(response.body)


def test_the_password_grant_is_limited_alike_for_known_and_unknown_accounts(http, password_client, clock):
    def run(username: str) -> list[tuple[int, dict]]:
        seen = []
        for _ in range(12):
            seen.append(password_grant(http, password_client, username, "wrong password"))
            clock[0] += 61
        return seen

    start = clock[0]
    known = run("alice")
    clock[0] = start + 2 * WINDOW
    assert run("nobody-here") == known
    assert known[0] == (400, {"error": "invalid_grant", "error_description": "wrong username or password"})
    assert known[-1] == (400, {"error": "invalid_grant", "error_description": "too many attempts: try again later"})
    clock[0] = start + 4 * WINDOW
    assert password_grant(http, password_client, "alice", PASSWORD)[0] == 200


def test_attempts_at_a_locked_account_still_spend_the_sources_and_then_cost_no_hash(
    http, client, user, clock, monkeypatch
):
    """One address hammering a locked account: each refused attempt is charged to the source,
    so the source runs out too; from then on no password hash is computed for it (the
    hashing one address can ask for is bounded), and other accounts are refused to it."""
    from chalicelib.accounts import passwords

    tenant_admin.update_settings("acme", {"login_attempts_per_source": 12, "login_free_failures": 1000})
    browser = Browser(http)
    assert [attempt(browser, client[0].client_id, "alice", "wrong")[0] for _ in range(10)] == [401] * 10
    hashes, real = [], passwords.verify_password
    monkeypatch.setattr(passwords, "verify_password", lambda *args: hashes.append(1) or real(*args))
    assert [attempt(browser, client[0].client_id, "alice", "wrong")[0] for _ in range(5)] == [429] * 5
    assert len(hashes) == 2  # the source's 11th and 12th attempts; after that, none
    assert attempt(browser, client[0].client_id, "bob", "wrong")[0] == 429  # the source is spent


def test_the_password_grant_is_counted_per_client_not_per_address(http, password_client, clock):
    """The client's server relays all its users' attempts: strangers typing wrong passwords
    into the client's form must not lock its other users out."""
    tenant_admin.update_settings("acme", {"login_attempts_per_source": 5})
    for n in range(8):
        assert password_grant(http, password_client, f"nobody{n}", "guess")[1]["error_description"] == (
            "wrong username or password"
        )
    assert password_grant(http, password_client, "alice", PASSWORD)[0] == 200
    tenant_admin.update_settings("acme", {"login_attempts_per_client": 10})
    for n in range(2):
        password_grant(http, password_client, f"other{n}", "guess")
    assert password_grant(http, password_client, "alice", PASSWORD)[1] == {
        "error": "invalid_grant",
        "error_description": "too many attempts: try again later",
    }


def test_every_spelling_of_a_name_shares_one_counter(http, client, tenant, clock):
    """NFKC and case folding are applied until stable: "ß" + combining caron and "sš" are one
    name, one login, one counter."""
    user_admin.create_user(tenant.id, "s\u0161", PASSWORD)
    for _ in range(10):
        attempt(Browser(http), client[0].client_id, "ß\u030c", "wrong")
        clock[0] += 61
    assert attempt(Browser(http), client[0].client_id, "s\u0161", PASSWORD)[0] == 429
    clock[0] += WINDOW
    assert attempt(Browser(http), client[0].client_id, "ß\u030c", PASSWORD)[0] == 302


def test_self_registered_clients_are_no_new_budget_for_one_address(http, tenant, user, clock):
    """A tenant that opens the password grant to self-registered clients: an address that
    registers clients one after another is still counted as itself."""
    from tests.unit.test_registration_policy import register

    tenant_admin.update_settings(
        tenant.id,
        {
            "client_registration": "open",
            "grant_type_password_enable": True,
            "registration_grant_types": ["authorization_code", "refresh_token", "password"],
            "login_attempts_per_source": 5,
        },
    )
    checked = 0
    for n in range(3):
        registered = json.loads(register(http, f"Sprayer {n}", grant_types=["password"], response_types=[]).body)
        credentials = (SimpleNamespace(client_id=registered["client_id"]), registered["client_secret"])
        for m in range(5):
            _, answer = password_grant(http, credentials, f"victim{n}{m}", "Summer2026!")
            checked += answer["error_description"] == "wrong username or password"
    assert checked == 5

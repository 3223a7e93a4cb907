"""Deleting a user deletes what the user left behind: its sessions (the browser's cookie
opens nothing, and its item is gone from the table), its grants (refresh tokens) and its
consents, and its account's abuse-limit counters; another user's are untouched."""

from __future__ import annotations

import json
import logging

import pytest
from click.testing import CliRunner

from chalicelib.admin import clients as client_admin
from chalicelib.admin import tenants as tenant_admin
from chalicelib.admin import users as user_admin
from chalicelib.admin.cli import cli
from chalicelib.limits.login import account_prefix
from chalicelib.opaque import digest
from chalicelib.store.limits import PREFIX as LIMIT
from tests.support.browser import Browser
from tests.unit.conftest import PASSWORD, REDIRECT_URI
from tests.unit.flows import authorize, basic, body, callback_params, log_in, obtain_code, post_token, redeem

HOST = "op.example.test"


def by_api(http, username: str, key: str, if_match: str | None = None):
    headers = {"host": HOST, "authorization": f"Bearer {key}", **({"if-match": if_match} if if_match else {})}
    response = http.request("DELETE", f"/admin/tenants/acme/users/{username}", headers=headers, body="")
    return response.status_code, f"api-key:{digest(key)[:12]}"


def by_cli(http, username: str, key: str):
    """The operator's way; answered 204 here when the command says the user is deleted."""
    result = CliRunner().invoke(cli, ["users", "delete", "acme", username], catch_exceptions=False)
    done = result.exit_code == 0 and json.loads(result.output)["status"] == "deleted"
    return 204 if done else result.exit_code, "cli"


def mine(items: list[dict], sub: str, username: str) -> list[dict]:
    """The items that belong to a user: named by sub or keyed by it, and its account counters."""
    counters = LIMIT + account_prefix("acme", username)
    return [
        item
        for item in items
        if item.get("sub", {}).get("S") == sub
        or item["sk"]["S"].endswith(f"#{sub}")
        or f"#{sub}#" in item["sk"]["S"]
        or item["sk"]["S"].startswith(counters)
    ]


def sign_in(browser: Browser, client_id: str, username: str) -> str:
    page = log_in(browser, browser.follow(authorize(browser, client_id)), username=username)
    return callback_params(browser.submit(page, "allow"))["code"]


def refresh(http, client, token: str):
    return post_token(
        http, {"grant_type": "refresh_token", "refresh_token": token}, basic(client[0].client_id, client[1])
    )


@pytest.fixture
def bob(tenant):
    return user_admin.create_user("acme", "bob", PASSWORD)


@pytest.mark.parametrize("delete", [by_api, by_cli], ids=["admin api", "cli"])
def test_the_users_sessions_grants_and_consents_are_gone(http, browser, client, user, bob, table_items, caplog, delete):
    caplog.set_level(logging.INFO, logger="oidc.events")
    second = client_admin.create_client("acme", name="Other", client_type="confidential", redirect_uris=[REDIRECT_URI])
    tokens = body(redeem(http, client, obtain_code(browser, client[0].client_id)))
    other_tokens = body(redeem(http, second, obtain_code(browser, second[0].client_id)))
    phone = Browser(http)  # a second session of alice's
    obtain_code(phone, client[0].client_id)
    bob_tokens = body(redeem(http, client, sign_in(Browser(http), client[0].client_id, "bob")))
    key = tenant_admin.issue_admin_key("acme")[0]
    before = table_items(limits=True)
    kinds = sorted(item["kind"]["S"] for item in mine(before, user.sub, "alice"))
    assert kinds == ["consent", "consent", "email", "grant", "grant", "limit", "login", "session", "session", "user"]

    status, actor = delete(http, "alice", key)

    assert status == 204
    after = table_items(limits=True)
    assert mine(after, user.sub, "alice") == []
    assert mine(after, bob.sub, "bob") == mine(before, bob.sub, "bob") != []
    assert [item for item in after if item not in before] == []  # nothing else written
    for refresh_token, registered in ((tokens["refresh_token"], client), (other_tokens["refresh_token"], second)):
        refused = refresh(http, registered, refresh_token)
        assert (refused.status_code, body(refused)["error"]) == (400, "invalid_grant")
    silent = callback_params(authorize(browser, client[0].client_id, prompt="none"))
    assert silent["error"] == "login_required"  # the cookie opens nothing: its session is gone
    assert refresh(http, client, bob_tokens["refresh_token"]).status_code == 200
    events = [json.loads(r.getMessage()) for r in caplog.records if r.name == "oidc.events"]
    deleted = [e for e in events if e["event"] == "user_deleted"]
    assert deleted == [{"event": "user_deleted", "tenant": "acme", "actor": actor, "sub": user.sub, "items": 10}]


def test_a_stale_delete_deletes_nothing(http, browser, client, user, table_items):
    obtain_code(browser, client[0].client_id)
    key = tenant_admin.issue_admin_key("acme")[0]
    before = table_items(limits=True)
    assert by_api(http, "alice", key, if_match=f'"{user.version + 5}"')[0] == 412
    assert table_items(limits=True) == before  # the user, its sessions and all stay


def test_deleting_a_user_leaves_other_tenants_alone(http, browser, client, user, table_items):
    tenant_admin.create_tenant("globex", "Globex")
    twin = user_admin.create_user("globex", "alice", PASSWORD)
    obtain_code(browser, client[0].client_id)
    theirs = [item for item in table_items(limits=True) if item["pk"]["S"] == "globex"]
    user_admin.delete_user("acme", "alice")
    assert [item for item in table_items(limits=True) if item["pk"]["S"] == "globex"] == theirs
    assert user_admin.get_user_by_username("globex", "alice") == twin


def test_a_deletion_that_stopped_midway_is_finished_by_running_it_again(
    http, browser, client, user, table_items, monkeypatch
):
    """A Lambda timeout in the sweep leaves a disabled user (signing in refused, its session
    dead) whose deletion a second run finishes, leaving nothing of it."""
    from chalicelib.store import lifecycle

    refresh_token = body(redeem(http, client, obtain_code(browser, client[0].client_id)))["refresh_token"]
    assert mine(table_items(), user.sub, "alice")
    swept = lifecycle.delete_keys

    def timeout(keys):
        raise TimeoutError("the function's time is up")

    monkeypatch.setattr(lifecycle, "delete_keys", timeout)
    with pytest.raises(TimeoutError):
        user_admin.delete_user("acme", "alice")
    assert user_admin.get_user_by_username("acme", "alice").active is False
    assert refresh(http, client, refresh_token).status_code == 400  # ended by the disable
    monkeypatch.setattr(lifecycle, "delete_keys", swept)
    assert user_admin.delete_user("acme", "alice") >= 4
    assert mine(table_items(), user.sub, "alice") == []

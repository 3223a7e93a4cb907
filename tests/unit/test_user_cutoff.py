"""A disabled or deleted user, or one an admin gave a new password, gets nothing more from
what began before: no refreshed tokens, no code redeemed, no token from a consent page left
open, no silent sign-in on a session that was open (an attacker who was in is out). It goes
by the user's epoch, not the clock: a sign-in in the very second of a reset works."""

from __future__ import annotations

import json

import pytest

from chalicelib import hooks
from chalicelib.admin import clients as client_admin
from chalicelib.admin import users as user_admin
from tests.unit.conftest import PASSWORD, REDIRECT_URI
from tests.unit.flows import authorize, basic, body, callback_params, log_in, obtain_code, post_token, redeem

NEW_PASSWORD = "a brand new password"
CUT_OFFS = {
    "disabled": lambda: user_admin.set_active("acme", "alice", False),
    "deleted": lambda: user_admin.delete_user("acme", "alice"),
    "new password": lambda: user_admin.set_password("acme", "alice", NEW_PASSWORD),
}


def refresh(http, client, token: str):
    return post_token(
        http, {"grant_type": "refresh_token", "refresh_token": token}, basic(client[0].client_id, client[1])
    )


@pytest.mark.parametrize("cut_off", CUT_OFFS.values(), ids=CUT_OFFS.keys())
def test_refresh_tokens_die_with_the_user(http, browser, client, user, cut_off):
    tokens = body(redeem(http, client, obtain_code(browser, client[0].client_id)))
    cut_off()
    refused = refresh(http, client, tokens["refresh_token"])
    assert refused.status_code == 400 and body(refused)["error"] == "invalid_grant"
    assert refresh(http, client, tokens["refresh_token"]).status_code == 400  # and the grant is revoked


@pytest.mark.parametrize("password_changed", [False, True], ids=["disabled", "new password"])
def test_an_open_session_signs_nobody_in_after_the_cut_off(http, browser, client, user, password_changed):
    obtain_code(browser, client[0].client_id)  # signed in, consent remembered
    if password_changed:
        user_admin.set_password("acme", "alice", NEW_PASSWORD)
    else:
        user_admin.set_active("acme", "alice", False)
        user_admin.set_active("acme", "alice", True)  # enabled again: the old session stays void
    silent = callback_params(authorize(browser, client[0].client_id, prompt="none"))
    assert silent["error"] == "login_required"


@pytest.mark.parametrize("cut_off", ["disabled", "new password"])
def test_a_code_issued_before_the_cut_off_is_refused(http, browser, client, user, table_items, cut_off):
    code = obtain_code(browser, client[0].client_id)
    CUT_OFFS[cut_off]()
    before = table_items()
    refused = redeem(http, client, code)
    assert refused.status_code == 400 and body(refused)["error"] == "invalid_grant"
    assert table_items() == before  # one transaction: the code not spent, no grant stored


@pytest.mark.parametrize("response_type", ["id_token", "code id_token"])
@pytest.mark.parametrize("cut_off", ["disabled", "new password"])
def test_a_consent_page_left_open_yields_nothing_after_the_cut_off(browser, tenant, user, response_type, cut_off):
    rp, _ = client_admin.create_client(
        tenant.id,
        name="Hybrid",
        client_type="confidential",
        redirect_uris=[REDIRECT_URI],
        response_types=[response_type],
    )
    consent = log_in(browser, browser.follow(authorize(browser, rp.client_id, response_type=response_type, nonce="n")))
    assert b"Allow" in consent.body
    CUT_OFFS[cut_off]()
    answer = browser.submit(consent, "allow")
    assert not (answer.status_code == 302 and answer.headers["Location"].startswith(REDIRECT_URI))
    assert b"Sign in" in browser.follow(answer).body  # back to the login page


def test_a_sign_in_in_the_very_second_of_a_reset_works(http, browser, client, user, monkeypatch):
    from chalicelib.web import routes

    now = int(routes.clock())
    monkeypatch.setattr(routes, "clock", lambda: now)
    user_admin.set_password("acme", "alice", NEW_PASSWORD)
    consent = log_in(browser, browser.follow(authorize(browser, client[0].client_id)), password=NEW_PASSWORD)
    code = callback_params(browser.submit(consent, "allow"))["code"]
    assert redeem(http, client, code).status_code == 200


def test_introspection_sees_a_refresh_token_die_with_a_new_password(http, browser, client, tenant, user):
    from tests.unit.test_grants_and_tokens import introspect

    api = client_admin.create_client(
        tenant.id,
        name="API",
        client_type="confidential",
        response_types=[],
        grant_types=["client_credentials"],
        scopes=["token_introspection", client[0].client_id],
    )
    tokens = body(redeem(http, client, obtain_code(browser, client[0].client_id)))
    assert introspect(http, tokens["refresh_token"], api)["active"] is True
    user_admin.set_password("acme", "alice", NEW_PASSWORD)
    assert introspect(http, tokens["refresh_token"], api) == {"active": False}
    assert introspect(http, tokens["access_token"], api) == {"active": False}


@pytest.fixture
def fixed_subs(monkeypatch):
    """The deployment's generate_sub hook of tests/support/hooks_example.py: a sub derived
    from the username, so a user deleted and created again gets the same sub."""
    import dataclasses

    from chalicelib.settings import settings

    monkeypatch.setattr(hooks, "settings", dataclasses.replace(settings, hooks_module="tests.support.hooks_example"))
    hooks.forget()
    yield
    hooks.forget()


def test_a_user_created_again_under_the_same_sub_inherits_nothing(http, browser, client, tenant, fixed_subs):
    first = user_admin.create_user(tenant.id, "alice", PASSWORD)
    tokens = body(redeem(http, client, obtain_code(browser, client[0].client_id)))
    user_admin.delete_user("acme", "alice")
    second = user_admin.create_user(tenant.id, "alice", "someone else's password")
    assert second.sub == first.sub
    assert refresh(http, client, tokens["refresh_token"]).status_code == 400
    silent = callback_params(authorize(browser, client[0].client_id, prompt="none"))
    assert silent["error"] == "login_required"
    assert (
        json.loads(
            http.get(
                "/acme/userinfo",
                headers={"host": "op.example.test", "authorization": f"Bearer {tokens['access_token']}"},
            ).body
        )["error"]
        == "invalid_token"
    )

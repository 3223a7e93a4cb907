"""A disabled or deleted user, or one an admin gave a new password, gets nothing more from
what began before: no refreshed tokens, no code redeemed, no silent sign-in on a session
that was open (an attacker who was in is out)."""

from __future__ import annotations

import pytest

from chalicelib.admin import users as user_admin
from tests.unit.flows import authorize, basic, body, callback_params, obtain_code, post_token, redeem


@pytest.fixture
def later(monkeypatch):
    """Move the requests' clock past the second in which the admin acted."""
    from chalicelib.web import routes

    def move(seconds: int = 2) -> None:
        now = routes.clock() + seconds
        monkeypatch.setattr(routes, "clock", lambda: now)

    return move


def refresh(http, client, token: str):
    return post_token(
        http, {"grant_type": "refresh_token", "refresh_token": token}, basic(client[0].client_id, client[1])
    )


@pytest.mark.parametrize(
    "cut_off",
    [
        lambda: user_admin.set_active("acme", "alice", False),
        lambda: user_admin.delete_user("acme", "alice"),
        lambda: user_admin.set_password("acme", "alice", "a brand new password"),
    ],
    ids=["disabled", "deleted", "new password"],
)
def test_refresh_tokens_die_with_the_user(http, browser, client, user, later, cut_off):
    tokens = body(redeem(http, client, obtain_code(browser, client[0].client_id)))
    cut_off()
    later()
    refused = refresh(http, client, tokens["refresh_token"])
    assert refused.status_code == 400 and body(refused)["error"] == "invalid_grant"
    assert refresh(http, client, tokens["refresh_token"]).status_code == 400  # and the grant is revoked


@pytest.mark.parametrize("password_changed", [False, True], ids=["disabled", "new password"])
def test_an_open_session_signs_nobody_in_after_the_cut_off(http, browser, client, user, later, password_changed):
    obtain_code(browser, client[0].client_id)  # signed in, consent remembered
    if password_changed:
        user_admin.set_password("acme", "alice", "a brand new password")
    else:
        user_admin.set_active("acme", "alice", False)
        user_admin.set_active("acme", "alice", True)  # enabled again: the old session stays void
    later()
    silent = callback_params(authorize(browser, client[0].client_id, prompt="none"))
    assert silent["error"] == "login_required"


def test_a_code_issued_before_the_user_was_disabled_is_refused(http, browser, client, user, later, table_items):
    code = obtain_code(browser, client[0].client_id)
    user_admin.set_active("acme", "alice", False)
    later()
    before = table_items()
    refused = redeem(http, client, code)
    assert refused.status_code == 400 and body(refused)["error"] == "invalid_grant"
    assert table_items() == before  # one transaction: the code not spent, no grant stored

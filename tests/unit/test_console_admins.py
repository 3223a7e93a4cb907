"""Who administers a tenant (and so may use its console): a flag on the user, set by the
CLI's ``users update --admin`` and the admin API's ``admin`` field, like every other change
of a user (conditional, versioned)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from chalicelib.admin import tenants as tenant_admin
from chalicelib.admin import users as user_admin
from chalicelib.admin.cli import cli
from tests.unit.test_admin_api import call


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_the_cli_makes_a_user_an_administrator_and_back(user):
    assert not user.admin
    code, output = run("users", "update", "acme", "alice", "--admin")
    assert code == 0 and json.loads(output) == {"username": "alice", "admin": True, "active": True}
    changed = user_admin.get_user_by_username("acme", "alice")
    assert changed.admin and changed.version == user.version + 1 and changed.claims == user.claims
    code, output = run("users", "update", "acme", "alice", "--no-admin", "--disabled")
    assert code == 0 and json.loads(output) == {"username": "alice", "admin": False, "active": False}
    assert not user_admin.get_user_by_username("acme", "alice").admin


@pytest.mark.parametrize(
    "args, message",
    [
        (("users", "update", "acme", "alice"), "give --admin/--no-admin or --active/--disabled"),
        (("users", "update", "acme", "nobody", "--admin"), "error: no user nobody in tenant acme"),
    ],
)
def test_the_cli_refuses_in_one_line(user, table_items, args, message):
    before = table_items()
    code, output = run(*args)
    assert code == 2 and message in output and "Traceback" not in output
    assert table_items() == before


def test_the_admin_api_sets_the_flag(http, user):
    key = tenant_admin.issue_admin_key("acme", "tests")[0]
    response, shown = call(http, "PATCH", "/users/alice", key, {"admin": True})
    assert response.status_code == 200 and shown["admin"] is True
    assert call(http, "GET", "/users/alice", key)[1]["admin"] is True
    _, shown = call(http, "PATCH", "/users/alice", key, {"admin": False, "claims": {"name": "Alice"}})
    assert shown["admin"] is False and shown["claims"]["name"] == "Alice"


@pytest.mark.parametrize("value", ["yes", 1, None, [], {}])
def test_the_admin_api_takes_only_true_or_false(http, user, table_items, value):
    key = tenant_admin.issue_admin_key("acme", "tests")[0]
    before = table_items()
    response, body = call(http, "PATCH", "/users/alice", key, {"admin": value})
    assert response.status_code == 400 and body["error_description"] == "active and admin are true or false"
    assert table_items() == before

"""The provisioning CLI, as an operator runs it."""

from __future__ import annotations

import json

from click.testing import CliRunner

from chalicelib.admin.cli import cli
from chalicelib.store import clients, tenants, users


def run(*args: str, input: str | None = None):
    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
    return result.exit_code, result.output


def test_provisioning_a_tenant_end_to_end():
    code, output = run("tenants", "create", "shop", "--name", "Shop", "--setting", "token_expire=900")
    assert code == 0 and json.loads(output)["status"] == "created"
    assert tenants.get_tenant("shop").settings == {"token_expire": 900, "key_backend": "envelope"}

    code, output = run(
        "clients", "create", "shop", "--name", "Shop web", "--type", "confidential",
        "--redirect-uri", "https://shop.example/cb", "--no-require-consent",
    )  # fmt: skip
    created = json.loads(output)
    assert code == 0 and len(created["client_secret"]) >= 43
    client = clients.get_client("shop", created["client_id"])
    assert client.require_consent is False and client.secret_hash != created["client_secret"]

    code, output = run(
        "users", "create", "shop", "bob", "--claim", "email=bob@shop.example", input="pass-word-1\npass-word-1\n"
    )
    assert code == 0 and "pass-word-1" not in output  # prompted for, never echoed
    sub = json.loads(output[output.index("{") :])["sub"]
    assert users.get_login("shop", "bob").sub == sub
    assert users.get_user("shop", sub).claims == {"email": "bob@shop.example"}

    code, output = run("keys", "rotate", "shop", "--alg", "ES256")
    assert code == 0 and json.loads(output)["alg"] == "ES256"
    assert {key["alg"] for key in tenants.get_tenant("shop").keys} == {"RS256", "ES256"}


def test_keys_rotate_migrate_and_run_the_schedule_from_the_cli():
    """An operator's rotation and migration: published first, signing once the schedule's
    run comes after the pre-publication time; the old key retired once its tokens expired."""
    run("tenants", "create", "shop", "--name", "Shop", "--setting", "key_prepublish_seconds=1800")
    (first,) = json.loads(run("keys", "list", "shop")[1])
    assert first["backend"] == "envelope" and first["status"] == "active"
    code, output = run("keys", "migrate", "shop", "--to", "secretsmanager")
    (new,) = json.loads(output)
    assert code == 0 and new["status"] == "next" and new["backend"] == "secretsmanager"
    later = new["activates_at"]
    assert json.loads(run("keys", "run-schedule", "--at", str(later - 1))[1])["steps"] == []
    steps = json.loads(run("keys", "run-schedule", "--at", str(later))[1])["steps"]
    assert steps == [["key_activated", "shop", new["kid"]]]
    retires = next(key for key in json.loads(run("keys", "list", "shop")[1]) if key["kid"] == first["kid"])[
        "retires_at"
    ]
    assert json.loads(run("keys", "run-schedule", "--at", str(retires))[1])["steps"] == [
        ["key_retired", "shop", first["kid"]]
    ]
    listed = json.loads(run("keys", "list", "shop")[1])
    assert [(key["kid"], key["status"]) for key in listed] == [(first["kid"], "retired"), (new["kid"], "active")]
    assert tenants.get_tenant("shop").settings["key_backend"] == "secretsmanager"
    code, output = run("keys", "retire", "shop", new["kid"])
    assert code == 2 and output.startswith("error: rotate before retiring")


def test_refusals_are_one_line_and_exit_2():
    code, output = run("tenants", "create", "admin", "--name", "Reserved")
    assert code == 2 and output.startswith("error: tenant ids are lowercase slugs")


def test_exists_ok_makes_seeding_idempotent():
    for _ in range(2):
        assert run("tenants", "create", "demo", "--name", "Demo", "--exists-ok")[0] == 0
        assert run(
            "clients", "create", "demo", "--name", "Web", "--type", "public",
            "--redirect-uri", "http://127.0.0.1/cb", "--client-id", "web", "--exists-ok",
        )[0] == 0  # fmt: skip
        assert run("users", "create", "demo", "alice", "--password", "pass-word-1", "--exists-ok")[0] == 0
    assert len(clients.list_clients("demo")) == 1


def test_a_machine_client_needs_no_response_type(tenant):
    code, output = run(
        "clients", "create", "acme", "--name", "Reports", "--type", "confidential", "--grant-type", "client_credentials"
    )  # fmt: skip
    assert code == 0, output
    client = clients.get_client("acme", json.loads(output)["client_id"])
    assert (client.response_types, client.grant_types, client.redirect_uris) == ((), ("client_credentials",), ())
    # Asking for a browser flow as well still needs its grant type and a redirect URI.
    code, output = run(
        "clients", "create", "acme", "--name", "Mixed", "--type", "confidential",
        "--grant-type", "client_credentials", "--response-type", "code",
    )  # fmt: skip
    assert code == 2 and output == "error: the response types need the grant types authorization_code\n"


def test_keys_list_and_users_list(tenant, user):
    code, output = run("keys", "list", "acme")
    (key,) = json.loads(output)
    assert code == 0 and set(key) == {"kid", "alg", "backend", "status", "created_at"} and key["status"] == "active"
    code, output = run("users", "list", "acme")
    page = json.loads(output)
    assert code == 0 and [u["username"] for u in page["users"]] == ["alice"] and page["next"] is None


def test_tenants_show_leaves_out_the_keys_sealed_material(tenant):
    """What lands in a terminal, a CI log or a ticket: the keys' ids, algorithms, backends
    and statuses, never their sealed private keys, wrapped data keys or AWS references."""
    code, output = run("tenants", "show", "acme")
    shown = json.loads(output)
    assert code == 0 and shown["id"] == "acme" and [key["kid"] for key in shown["keys"]] == [tenant.keys[0]["kid"]]
    assert set(shown["keys"][0]) <= {"kid", "alg", "backend", "status", "created_at", "activated_at"}
    assert not any(key in output for key in ("sealed_key", "wrapped_key", '"ref"'))

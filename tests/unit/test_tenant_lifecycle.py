"""The operator's tenant lifecycle through the CLI: list (paged), export, delete with all
its data (resumable, key material scheduled for deletion, other tenants untouched)."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import time
from urllib.parse import urlencode

import boto3
import pytest
from click.testing import CliRunner

from chalicelib.admin import clients as client_admin
from chalicelib.admin import keys as key_admin
from chalicelib.admin import lifecycle
from chalicelib.admin import tenants as tenant_admin
from chalicelib.admin import users as user_admin
from chalicelib.admin.cli import cli
from chalicelib.opaque import b64url
from chalicelib.settings import settings
from chalicelib.store.models import TenantItem, connection
from chalicelib.store.versions import put_new
from tests.unit.conftest import PASSWORD, REDIRECT_URI
from tests.unit.flows import FORM, basic, body, obtain_code, redeem

HOST = {"host": "op.example.test"}
SECRET_FIELDS = ("secret_hash", "secret_ciphertext", "registration_token_hash", "password_hash")


def run(*args: str, input: str | None = None):
    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture
def quick(monkeypatch):
    """A deployment whose containers trust their tenant copies for 0.2 s, so a deletion's
    wait for them (and its second sweep) is short."""
    monkeypatch.setattr(lifecycle, "deployment", dataclasses.replace(settings, cache_ttl_seconds=0.2))


def test_tenants_are_listed_page_by_page(tenant):
    for name in ("delta", "bravo", "charlie", "echo"):
        tenant_admin.create_tenant(name, name.title())
    lifecycle.disable_tenant("charlie")
    seen, after = [], []
    while True:
        code, output = run("tenants", "list", "--limit", "2", *after)
        page = json.loads(output)
        assert code == 0 and len(page["tenants"]) <= 2
        seen += [(t["id"], t["status"]) for t in page["tenants"]]
        if page["next"] is None:
            break
        after = ["--after", page["next"]]
    assert seen == [
        ("acme", "active"), ("bravo", "active"), ("charlie", "disabled"), ("delta", "active"), ("echo", "active"),
    ]  # fmt: skip


BAD_TOKENS = {
    "empty": "",
    "not base64url": "a+b/c",
    "padded": b64url(b"acme") + "==",
    "not a tenant id": b64url(b"Not A Tenant"),
    "reserved id": b64url(b"admin"),
    "binary": b64url(b"\xff\xfe\x00"),
    "huge": "A" * 10_000,
    "not ascii": "acmé",
}


@pytest.mark.parametrize("token", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
def test_a_page_token_we_did_not_issue_is_refused_in_one_line(tenant, token):
    code, output = run("tenants", "list", "--after", token)
    assert (code, output) == (2, "error: the page token is the next value of a previous page\n")


@pytest.mark.parametrize("limit", ["0", "1001", "-5"])
def test_an_absurd_page_size_is_refused(tenant, limit):
    assert run("tenants", "list", "--limit", limit) == (2, "error: the page size is 1 to 1000\n")


def test_tenants_from_before_the_directory_are_backfilled_once(tenant):
    legacy = TenantItem("legacy", "tenant", name="Legacy", created_at=1, settings={}, keys=[])
    assert put_new(legacy)  # as tenants were created before the directory
    assert [t["id"] for t in lifecycle.list_tenants()["tenants"]] == ["acme"]
    assert json.loads(run("tenants", "backfill-directory")[1]) == {"tenants": 2, "added": 1}
    assert json.loads(run("tenants", "backfill-directory")[1]) == {"tenants": 2, "added": 0}
    assert [t["id"] for t in lifecycle.list_tenants()["tenants"]] == ["acme", "legacy"]


def test_the_export_has_settings_clients_templates_and_users_and_no_secret(aws, tenant, client, user, table_items):
    from chalicelib.admin import templates as template_admin
    from tests.unit.test_templating import ERROR

    tenant_admin.update_settings("acme", {"token_expire": 900})
    template_admin.put_template("acme", "error", ERROR)
    hs256, hs_secret = client_admin.create_client(
        "acme", name="Legacy app", client_type="confidential", redirect_uris=["https://legacy.example/cb"],
        id_token_signed_response_alg="HS256",
    )  # fmt: skip
    for n in range(100):  # more than a page of users
        user_admin.create_user("acme", f"user{n:03}", PASSWORD)
    code, output = run("tenants", "export", "acme")
    exported = json.loads(output)
    assert code == 0 and exported["format"] == "oidc-tenant-export/1"
    assert exported["tenant"]["settings"] == {"key_backend": "envelope", "token_expire": 900}
    assert exported["tenant"]["status"] == "active" and exported["tenant"]["name"] == "Acme"
    assert sorted(c["client_id"] for c in exported["clients"]) == sorted([client[0].client_id, hs256.client_id])
    assert exported["templates"] == {"error": ERROR}
    users = {user["username"]: user for user in exported["users"]}
    assert len(exported["users"]) == len(users) == 101 and users["alice"]["claims"]["email"] == "alice@example.com"
    assert set(users["alice"]) == {
        "sub",
        "username",
        "claims",
        "active",
        "admin",
        "created_at",
        "updated_at",
        "version",
    }
    stored = [item[field]["S"] for item in table_items() for field in SECRET_FIELDS if field in item]
    assert len(stored) >= 104  # two secret hashes, a ciphertext, 101 password hashes
    leaked = [value for value in (*stored, client[1], hs_secret, PASSWORD) if value in output]
    assert leaked == [] and not any(field in output for field in SECRET_FIELDS)


def populate(http, browser, tenant_id: str, client) -> dict:
    """A tenant in use: a signed-in browser, a consent, a grant with a refresh token, an
    admin key, abuse-limit counters (the login's)."""
    tenant_admin.issue_admin_key(tenant_id)
    tokens = body(redeem(http, client, obtain_code(browser, client[0].client_id)))
    assert "refresh_token" in tokens
    return tokens


def partition(aws, tenant_id: str) -> list[dict]:
    items = aws.query(
        TableName=os.environ["TABLE_NAME"], KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": tenant_id}},
    )["Items"]  # fmt: skip
    return sorted(items, key=lambda item: item["sk"]["S"])


@pytest.fixture
def two_tenants(http, browser, client, user):
    """acme (an envelope key, a KMS one and a Secrets Manager one) and globex, both in use."""
    from tests.support.browser import Browser

    key_admin.rotate_key("acme", "ES256", "kms")
    key_admin.rotate_key("acme", "PS256", "secretsmanager")
    tenant_admin.create_tenant("globex", "Globex")
    other, other_secret = client_admin.create_client(
        "globex", name="G", client_type="confidential", redirect_uris=client[0].redirect_uris
    )
    user_admin.create_user("globex", "alice", PASSWORD)
    populate(http, browser, "acme", client)
    other_browser = Browser(http)
    code = obtain_code(other_browser, other.client_id, tenant="globex")
    other_tokens = body(
        token_at(
            http, "globex", (other, other_secret), grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI
        )
    )
    return (other, other_secret), other_tokens


def token_at(http, tenant_id: str, client, **data: str):
    registered, secret = client
    return http.post(
        f"/{tenant_id}/token",
        headers={**HOST, "content-type": FORM, "authorization": basic(registered.client_id, secret)},
        body=urlencode(data),
    )


def key_state(key: dict) -> str:
    """What KMS or Secrets Manager says of a tenant key's material."""
    if key["backend"] == "kms":
        return boto3.client("kms").describe_key(KeyId=key["ref"])["KeyMetadata"]["KeyState"]
    described = boto3.client("secretsmanager").describe_secret(SecretId=key["ref"])
    return "PendingDeletion" if "DeletedDate" in described else "Enabled"


def test_deleting_a_tenant_removes_all_its_data_and_nothing_else(aws, http, two_tenants, quick, caplog):
    caplog.set_level(logging.INFO, logger="oidc.events")
    other_client, other_tokens = two_tenants
    acme_keys, globex_keys = (tenant_admin.get_tenant(tenant_id).keys for tenant_id in ("acme", "globex"))
    assert {key["backend"] for key in acme_keys} == {"envelope", "secretsmanager", "kms"}
    globex_before = partition(aws, "globex")
    kinds = {item["kind"]["S"] for item in partition(aws, "acme")}
    assert {"tenant", "client", "user", "login", "session", "consent", "grant", "admin-key", "limit"} <= kinds

    code, output = run("tenants", "delete", "acme", "--recovery-days", "7", input="y\n")
    assert code == 0 and "Delete tenant acme" in output
    result = json.loads(output[output.index("{") :])
    assert result["status"] == "deleted" and result["items_deleted"] >= len(kinds) + 1

    assert partition(aws, "acme") == []
    assert [t["id"] for t in lifecycle.list_tenants()["tenants"]] == ["globex"]
    assert partition(aws, "globex") == globex_before
    # An envelope key's material was in the tenant record; the others are AWS resources.
    assert [key_state(key) for key in acme_keys if key["backend"] != "envelope"] == ["PendingDeletion"] * 2
    assert result["keys"] == {
        key["kid"]: "nothing to do" if key["backend"] == "envelope" else "scheduled in 7 days" for key in acme_keys
    }
    assert [key["backend"] for key in globex_keys] == ["envelope"]
    assert tenant_admin.get_tenant("globex").keys == globex_keys
    assert [alias for alias in boto3.client("kms").list_aliases()["Aliases"] if "acme" in alias["AliasName"]] == []
    assert http.get("/acme/.well-known/openid-configuration", headers=HOST).status_code == 404
    assert http.get("/globex/.well-known/openid-configuration", headers=HOST).status_code == 200
    refreshed = token_at(
        http, "globex", other_client, grant_type="refresh_token", refresh_token=other_tokens["refresh_token"]
    )
    assert refreshed.status_code == 200
    events = [json.loads(r.getMessage()) for r in caplog.records if r.name == "oidc.events"]
    assert [(e["tenant"], e["actor"]) for e in events if e["event"] == "tenant_deleted"] == [("acme", "cli")]


class Crash(Exception):
    """The process dies (Lambda timeout, a killed terminal) in the middle of a deletion."""


def test_a_deletion_that_stopped_midway_is_finished_by_running_it_again(aws, http, two_tenants, quick, monkeypatch):
    monkeypatch.setattr("chalicelib.store.lifecycle.PAGE", 3)  # several pages, so it can stop between them
    events = connection().client.meta.events
    calls = []

    def crash_on_the_third_batch(**_):
        calls.append(1)
        if len(calls) == 3:
            raise Crash()

    events.register("before-call.dynamodb.BatchWriteItem", crash_on_the_third_batch)
    try:
        with pytest.raises(Crash):
            lifecycle.delete_tenant("acme")
    finally:
        events.unregister("before-call.dynamodb.BatchWriteItem", crash_on_the_third_batch)
    left = partition(aws, "acme")
    record = [item for item in left if item["sk"]["S"] == "tenant"]
    assert len(left) > 1 and record[0]["status"] == {"S": "deleting"}  # the record goes last
    # Meanwhile it serves nothing, and nothing new is written for it.
    assert http.get("/acme/.well-known/openid-configuration", headers=HOST).status_code == 404
    assert run("users", "create", "acme", "bob", "--password", PASSWORD) == (2, "error: tenant acme is being deleted\n")
    assert lifecycle.list_tenants()["tenants"][0] == {**lifecycle.list_tenants()["tenants"][0], "status": "deleting"}
    with pytest.raises(lifecycle.AdminError, match="being deleted"):
        lifecycle.enable_tenant("acme")

    assert json.loads(run("tenants", "delete", "acme", "--yes")[1])["status"] == "deleted"
    assert partition(aws, "acme") == []
    assert run("tenants", "delete", "acme", "--yes") == (2, "error: no tenant acme\n")


def test_a_straggling_write_from_a_warm_container_is_swept_after_the_wait(aws, tenant, user):
    """A container that still has the tenant cached may write (a session, a counter) after
    the first sweep; the deletion waits out the cache lifetime and sweeps again."""
    import threading

    deletion = threading.Thread(target=lifecycle.delete_tenant, args=("acme",), kwargs={"grace": 1.0})
    started = time.monotonic()
    deletion.start()
    while [item["sk"]["S"] for item in partition(aws, "acme")] != ["tenant"]:  # the first sweep is done
        assert time.monotonic() - started < 1.0, "the first sweep took the whole wait"
        time.sleep(0.01)
    late = {"pk": {"S": "acme"}, "sk": {"S": "session#late"}, "kind": {"S": "session"}}
    aws.put_item(TableName=os.environ["TABLE_NAME"], Item=late)  # a warm container, still serving
    deletion.join()
    assert time.monotonic() - started >= 1.0
    assert partition(aws, "acme") == []


@pytest.mark.parametrize("days", ["6", "31"])
def test_the_recovery_window_is_what_aws_accepts(tenant, days):
    code, output = run("tenants", "delete", "acme", "--yes", "--recovery-days", days)
    assert code == 2 and "7<=x<=30" in output
    assert tenant_admin.get_tenant("acme").status == "active"


def test_deletion_asks_first(aws, tenant):
    code, output = run("tenants", "delete", "acme", input="n\n")
    assert code == 1 and "Aborted" in output
    assert partition(aws, "acme") != []

"""An operator disables, then deletes, a tenant that is in use, with the CLI in this process
while the dev server (another process, with its own tenant cache) serves RPs over HTTP, and
moto's server plays DynamoDB, KMS and Secrets Manager. Measured: how long the server goes
on serving a tenant after it was disabled (the cache bound, CACHE_TTL_SECONDS)."""

from __future__ import annotations

import json
import time
import uuid

import boto3
import pytest
import requests
from click.testing import CliRunner

from chalicelib.admin import clients as client_admin
from chalicelib.admin import keys as key_admin
from chalicelib.admin import tenants as tenant_admin
from chalicelib.admin import users as user_admin
from chalicelib.admin.cli import cli
from chalicelib.settings import settings as deployment
from tests.integration.conftest import ARTIFACTS, PASSWORD


def run(*args: str) -> dict:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def key_state(key: dict) -> str:
    if key["backend"] == "kms":
        return boto3.client("kms").describe_key(KeyId=key["ref"])["KeyMetadata"]["KeyState"]
    return (
        "PendingDeletion"
        if "DeletedDate" in boto3.client("secretsmanager").describe_secret(SecretId=key["ref"])
        else "Enabled"
    )


@pytest.fixture
def in_use(provider):
    """A tenant with keys on both backends, a user, and tokens an RP holds."""
    tenant_id = f"gone-{uuid.uuid4().hex[:10]}"
    tenant_admin.create_tenant(tenant_id, "Short-lived", key_backend="kms")
    key_admin.rotate_key(tenant_id, "ES256", "secretsmanager")
    tenant_admin.update_settings(tenant_id, {"grant_type_password_enable": True})
    client, secret = client_admin.create_client(
        tenant_id, name="Legacy", client_type="confidential", response_types=[],
        grant_types=["password", "refresh_token"],
    )  # fmt: skip
    user_admin.create_user(tenant_id, "alice", PASSWORD)
    issuer = f"{provider}/{tenant_id}"
    grant = {"grant_type": "password", "username": "alice", "password": PASSWORD, "scope": "openid"}
    tokens = requests.post(f"{issuer}/token", data=grant, auth=(client.client_id, secret), timeout=10).json()
    assert "refresh_token" in tokens, tokens
    return tenant_id, issuer, (client.client_id, secret), tokens


def test_a_disabled_then_deleted_tenant_over_http(provider, in_use):
    tenant_id, issuer, auth, tokens = in_use
    bearer = {"authorization": f"Bearer {tokens['access_token']}"}
    assert requests.get(f"{issuer}/userinfo", headers=bearer, timeout=10).status_code == 200  # cached by the server
    keys = tenant_admin.get_tenant(tenant_id).keys

    assert run("tenants", "disable", tenant_id) == {"tenant": tenant_id, "status": "disabled"}
    disabled_at = time.monotonic()
    while requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10).status_code == 200:
        time.sleep(0.25)
    served_for = time.monotonic() - disabled_at
    assert served_for <= deployment.cache_ttl_seconds + 1
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    answers = [
        requests.post(f"{issuer}/token", data=refresh, auth=auth, timeout=10),
        requests.get(f"{issuer}/userinfo", headers=bearer, timeout=10),
        requests.get(f"{issuer}/jwks.json", timeout=10),
    ]
    assert [(a.status_code, a.json()["error"]) for a in answers] == [(403, "tenant_disabled")] * 3
    page = requests.get(f"{issuer}/authorize", params={"client_id": auth[0]}, timeout=10)
    assert page.status_code == 403 and "text/html" in page.headers["Content-Type"] and "tenant_disabled" in page.text

    started = time.monotonic()
    deleted = run("tenants", "delete", tenant_id, "--yes", "--recovery-days", "7")
    took = time.monotonic() - started
    assert deleted["status"] == "deleted" and set(deleted["keys"]) == {key["kid"] for key in keys}
    left = boto3.client("dynamodb").query(
        TableName=deployment.table_name, KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": tenant_id}},
    )["Items"]  # fmt: skip
    assert left == []
    assert [key_state(key) for key in keys] == ["PendingDeletion", "PendingDeletion"]
    assert requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10).status_code == 404
    assert tenant_id not in [t["id"] for t in run("tenants", "list", "--limit", "1000")["tenants"]]
    ARTIFACTS.mkdir(exist_ok=True)
    figures = {
        "served_after_disable_s": round(served_for, 2),
        "delete_s": round(took, 2),
        "items": deleted["items_deleted"],
    }
    (ARTIFACTS / "tenant-lifecycle.json").write_text(json.dumps(figures, indent=2))

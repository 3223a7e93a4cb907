"""The provisioning CLI as a person runs it against ``make run``: ``./oidc``, with the
environment ``make run`` writes (here, one pointing at this suite's emulation and server).

Every problem reaching AWS is one line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests

from tests.emulator_memory import free_port
from tests.integration.conftest import EMULATOR, PASSWORD, ROOT, client_admin, key_admin, tenant_admin, user_admin
from tests.support.dev_env import BASE_ENV, dev_environment


def oidc(tmp_path: Path, environment: dict[str, str] | None, *args: str) -> subprocess.CompletedProcess:
    """``./oidc args`` with ``environment`` as its .local/env (None: there is none)."""
    env_file = tmp_path / "env"
    if environment is not None:
        env_file.write_text(json.dumps(environment))
    env = {**BASE_ENV, "HOME": str(tmp_path), "OIDC_DEV_ENV": str(env_file)}
    return subprocess.run(["./oidc", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


@pytest.fixture
def dev(provider):
    return dev_environment(EMULATOR.url, provider)


@pytest.fixture
def demo(provider):
    """A tenant and its user, made through the admin code (as the seed does)."""
    tenant = tenant_admin.create_tenant(f"cli-{uuid.uuid4().hex[:10]}", "CLI")
    user_admin.create_user(tenant.id, "alice", PASSWORD, {"email": "alice@example.com"})
    return tenant


def one_line_failure(result: subprocess.CompletedProcess, status: int, message: str) -> None:
    assert (result.returncode, result.stdout) == (status, "")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith(f"error: {message}"), result.stderr


def without(environment: dict[str, str], *names: str) -> dict[str, str]:
    return {name: value for name, value in environment.items() if name not in names}


@pytest.mark.parametrize(
    "change, status, message",
    [
        # make run has never run here: no environment file.
        (None, 1, "no "),
        # make run is not running (its emulation's port is closed).
        ({"AWS_ENDPOINT_URL": "http://127.0.0.1:{closed}"}, 1, "cannot reach AWS at http://127.0.0.1:"),
        # Another stage's table, or setup never created it.
        ({"TABLE_NAME": "no-such-table"}, 1, "no DynamoDB table no-such-table here"),
        # No credentials at all (and no credentials file: HOME is empty).
        ({"-": "AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN"}, 1, "no AWS credentials"),
        # No region.
        ({"-": "AWS_DEFAULT_REGION AWS_REGION"}, 1, "no AWS region"),
        # An admin refusal: the user does not exist.
        ({}, 2, "no user nobody in tenant"),
    ],
)
def test_problems_are_one_line_and_a_non_zero_exit(tmp_path, dev, demo, change, status, message):
    environment = None
    if change is not None:
        drop = change.get("-", "").split()
        set_ = {name: value.format(closed=free_port()) for name, value in change.items() if name != "-"}
        environment = {**without(dev, *drop), **set_}
    one_line_failure(oidc(tmp_path, environment, "users", "unlock", demo.id, "nobody"), status, message)


def test_refused_credentials_are_one_line(tmp_path, dev):
    """An emulation that checks credentials (moto's IAM), as AWS does, refusing unknown keys."""
    command = [sys.executable, "-m", "infra.emulator", "--port", "0"]
    strict = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "0"}
    )
    try:
        environment = {**dev, "AWS_ENDPOINT_URL": strict.stdout.readline().strip()}
        result = oidc(tmp_path, environment, "keys", "list", "demo")
    finally:
        strict.terminate()
        strict.wait(timeout=10)
    one_line_failure(result, 1, "AWS refused the credentials (")


def test_users_list_pages_through_every_user(tmp_path, dev, demo):
    for number in range(100):  # with alice, 101: two pages of at most 100
        user_admin.create_user(demo.id, f"user{number:03}", PASSWORD, {})
    first = oidc(tmp_path, dev, "users", "list", demo.id)
    assert first.returncode == 0, first.stderr
    page = json.loads(first.stdout)
    assert len(page["users"]) == 100 and page["next"]
    second = oidc(tmp_path, dev, "users", "list", demo.id, "--after", page["next"])
    last = json.loads(second.stdout)
    assert len(last["users"]) == 1 and last["next"] is None
    names = {user["username"] for user in page["users"] + last["users"]}
    assert names == {"alice", *(f"user{number:03}" for number in range(100))}
    assert set(last["users"][0]) == {
        "sub",
        "username",
        "claims",
        "active",
        "created_at",
        "updated_at",
        "version",
        "admin",
    }


def test_keys_list_shows_each_key_and_its_status(tmp_path, dev, demo):
    rotated = key_admin.rotate_key(demo.id, "ES256")  # a first ES256 key: it signs at once
    result = oidc(tmp_path, dev, "keys", "list", demo.id)
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    first = demo.keys[0]
    assert [(key["kid"], key["alg"], key["backend"], key["status"], key["created_at"]) for key in listed] == [
        (first["kid"], "RS256", "envelope", "active", first["created_at"]),
        (rotated["kid"], "ES256", "envelope", "active", rotated["created_at"]),
    ]
    assert not any("sealed" in name or "wrapped" in name or "ciphertext" in name for key in listed for name in key)


def test_users_unlock_lets_a_locked_out_owner_back_in(tmp_path, dev, demo, provider):
    # Four attempts an account and window: past them every attempt is refused until the window
    # ends, however slowly the machine answers (a back-off of 1 s could run out on a loaded one).
    tenant_admin.update_settings(demo.id, {"grant_type_password_enable": True, "login_attempts_per_account": 4})
    client, secret = client_admin.create_client(
        demo.id, name="Legacy", client_type="confidential", response_types=[], grant_types=["password"]
    )
    token = f"{provider}/{demo.id}/token"
    grant = {"grant_type": "password", "username": "alice", "scope": "openid"}

    def attempt(password: str) -> requests.Response:
        return requests.post(token, data={**grant, "password": password}, auth=(client.client_id, secret), timeout=30)

    for number in range(12):  # guess until a guess is refused
        if attempt(f"guess {number}").json().get("error_description") == "too many attempts: try again later":
            break
    refused = attempt(PASSWORD)
    assert refused.status_code == 400 and refused.json()["error_description"] == "too many attempts: try again later"
    result = oidc(tmp_path, dev, "users", "unlock", demo.id, "alice")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["status"] == "unlocked" and answer["counters_cleared"] >= 1
    assert attempt(PASSWORD).status_code == 200


def client_credentials(provider: str, tenant: str, client_id: str, secret: str) -> requests.Response:
    data = {"grant_type": "client_credentials"}
    return requests.post(f"{provider}/{tenant}/token", data=data, auth=(client_id, secret), timeout=30)


def test_a_machine_client_is_created_with_one_command(tmp_path, dev, demo, provider):
    """client_credentials only: no browser, so no response type and no redirect URI."""
    result = oidc(
        tmp_path, dev, "clients", "create", demo.id, "--name", "Reports", "--type", "confidential",
        "--grant-type", "client_credentials",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    created = json.loads(result.stdout)
    stored = client_admin.get_client(demo.id, created["client_id"])
    assert (stored.response_types, stored.grant_types, stored.redirect_uris) == ((), ("client_credentials",), ())
    answer = client_credentials(provider, demo.id, created["client_id"], created["client_secret"])
    assert answer.status_code == 200 and answer.json()["token_type"] == "Bearer"


def test_a_machine_client_over_the_admin_api(demo, provider):
    key, _ = tenant_admin.issue_admin_key(demo.id)
    body = {"name": "Reports", "client_type": "confidential", "grant_types": ["client_credentials"]}
    created = requests.post(
        f"{provider}/admin/tenants/{demo.id}/clients", json=body, headers={"Authorization": f"Bearer {key}"}, timeout=30
    )
    assert created.status_code == 201, created.text
    view = created.json()
    assert (view["response_types"], view["grant_types"], view["redirect_uris"]) == ([], ["client_credentials"], [])
    answer = client_credentials(provider, demo.id, view["client_id"], view["client_secret"])
    assert answer.status_code == 200

"""Concurrent admin writes over HTTP (issue 7, item 6): nothing is lost, nothing deleted
comes back.

Admins' PATCHes race through the dev server's threads to moto's server, as several Lambda
containers would race to DynamoDB; a key rotation runs in this process with the CLI's code
meanwhile. Each request starts at a barrier, so they overlap. A connection refused before
any request was read is sent again (the machine is shared; that request never reached the
provider); any HTTP answer, 409 included, is kept and checked."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
import requests

from chalicelib.admin import clients as client_admin
from chalicelib.admin import keys as key_admin
from chalicelib.admin import tenants as tenant_admin
from chalicelib.settings import settings as deployment
from chalicelib.store.clients import get_client
from tests.integration.conftest import REDIRECT_URI

SETTINGS = {
    "code_expire": 300,
    "token_expire": 900,
    "idtoken_expire": 300,
    "skip_consent_expire": 30,
    "idtoken_include_claims": True,
    "session_management_enable": True,
    "grant_type_password_enable": True,
    "introspection_validate_audience_scope": False,
    "client_registration": "token",
    "refresh_token_expire": 86400,
    "session_expire": 86400,
    "interaction_expire": 900,
    "require_pkce": "all",
    "allow_plain_pkce": False,
    "branding": {"display_name": "Raced", "primary_color": "#112233"},
}
CLIENT_FIELDS = {
    "name": "Raced Web",
    "website_url": "https://rp.example.com/",
    "terms_url": "https://rp.example.com/terms",
    "contact_email": "dev@rp.example.com",
    "logo_uri": "https://rp.example.com/logo.png",
    "require_consent": False,
    "reuse_consent": False,
    "frontchannel_logout_session_required": True,
    "backchannel_logout_session_required": True,
    "post_logout_redirect_uris": ["http://localhost:3000/bye"],
    "scopes": ["openid", "email"],
}


def send(method: str, url: str, **kwargs) -> requests.Response:
    for _attempt in range(5):
        try:
            return requests.request(method, url, timeout=30, **kwargs)
        except requests.ConnectionError:
            continue
    raise RuntimeError("the provider refused every connection")


def together(*calls):
    """Run the calls in parallel threads, released at once; their results, in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


@pytest.fixture
def admin(provider):
    """A fresh tenant and a function calling its admin API."""
    tenant = tenant_admin.create_tenant(f"race-{uuid.uuid4().hex[:10]}", "Races", key_backend="secretsmanager")
    key = tenant_admin.issue_admin_key(tenant.id, "races")[0]
    base = f"{provider}/admin/tenants/{tenant.id}"

    def call(method: str, path: str = "", payload=None) -> requests.Response:
        return send(method, base + path, json=payload, headers={"authorization": f"Bearer {key}"})

    call.tenant_id = tenant.id
    return call


def patches(admin, path: str, bodies: list[dict]):
    return [lambda body=body: admin("PATCH", path, body).status_code for body in bodies]


def test_concurrent_patches_of_different_settings_all_land(admin):
    version = admin("GET").json()["version"]
    statuses = together(*patches(admin, "", [{"settings": {name: value}} for name, value in SETTINGS.items()]))
    assert statuses == [200] * len(SETTINGS)
    tenant = admin("GET").json()
    assert {name: tenant["settings"].get(name) for name in SETTINGS} == SETTINGS
    assert tenant["version"] == version + len(SETTINGS)  # each PATCH wrote exactly once


def test_concurrent_patches_of_different_client_fields_all_land(admin):
    client, _ = client_admin.create_client(
        admin.tenant_id, name="Web", client_type="confidential", redirect_uris=[REDIRECT_URI]
    )
    path = f"/clients/{client.client_id}"
    statuses = together(*patches(admin, path, [{name: value} for name, value in CLIENT_FIELDS.items()]))
    assert statuses == [200] * len(CLIENT_FIELDS)
    shown = admin("GET", path).json()
    assert {name: shown[name] for name in CLIENT_FIELDS} == CLIENT_FIELDS
    assert shown["version"] == client.version + len(CLIENT_FIELDS)


def key_secrets(tenant_id: str) -> list[str]:
    prefix = f"{deployment.key_secret_prefix}{tenant_id}/"
    listed = boto3.client("secretsmanager").list_secrets(Filters=[{"Key": "name", "Values": [prefix]}])
    return [secret["Name"] for secret in listed["SecretList"]]


@pytest.mark.parametrize("round_", range(3))
def test_a_key_rotation_racing_settings_patches_loses_neither(admin, provider, round_):
    version = admin("GET").json()["version"]
    chosen = dict(list(SETTINGS.items())[round_ * 4 : round_ * 4 + 8])
    rotation = [lambda: key_admin.rotate_key(admin.tenant_id, immediately=True)]
    results = together(*rotation, *patches(admin, "", [{"settings": {name: value}} for name, value in chosen.items()]))
    key, statuses = results[0], results[1:]
    assert statuses == [200] * len(chosen)
    tenant = admin("GET").json()
    assert {name: tenant["settings"].get(name) for name in chosen} == chosen
    assert tenant["version"] == version + len(chosen) + 1
    active = [published["kid"] for published in tenant["keys"] if published["status"] == "active"]
    assert active == [key["kid"]]
    jwks = send("GET", f"{provider}/{admin.tenant_id}/jwks.json").json()
    assert key["kid"] in {published["kid"] for published in jwks["keys"]}
    assert len(key_secrets(admin.tenant_id)) == 2  # the first key and this one: no orphan


def race_registration_updates_and_delete(admin, provider, delay: float) -> list[int]:
    """A self-registered client PUTs its registration (RFC 7592) four times at once while
    the admin deletes it, ``delay`` seconds later: the statuses of the PUTs."""
    token = uuid.uuid4().hex + uuid.uuid4().hex
    client, _ = client_admin.create_client(
        admin.tenant_id, name="Self-registered", client_type="confidential",
        redirect_uris=[REDIRECT_URI], registration_token=token,
    )  # fmt: skip
    uri = f"{provider}/{admin.tenant_id}/register/{client.client_id}"
    metadata = {"client_id": client.client_id, "redirect_uris": [REDIRECT_URI], "client_name": "Back again?"}
    bearer = {"authorization": f"Bearer {token}"}
    puts = [lambda: send("PUT", uri, json=metadata, headers=bearer).status_code] * 4

    def delete() -> int:
        time.sleep(delay)
        return admin("DELETE", f"/clients/{client.client_id}").status_code

    deletion, *statuses = together(delete, *puts)
    # A PUT that kept losing races to the others gets the documented 409 (nothing written);
    # seen once in CI out of 80 PUTs. What matters is below: the client stays deleted.
    assert deletion == 204 and set(statuses) <= {200, 401, 409}
    assert admin("GET", f"/clients/{client.client_id}").status_code == 404
    assert send("GET", uri, headers=bearer).status_code == 401
    assert get_client(admin.tenant_id, client.client_id) is None
    return statuses


def test_registration_updates_racing_the_admins_delete_never_bring_the_client_back(admin, provider):
    # The delete starts 0 to 38 ms after the PUTs, so it lands before, among and after them.
    races = [race_registration_updates_and_delete(admin, provider, delay=number * 0.002) for number in range(20)]
    print(f"registration PUTs racing a delete, 20 races: {dict(Counter(status for race in races for status in race))}")

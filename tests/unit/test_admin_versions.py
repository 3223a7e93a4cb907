"""Versions over HTTP: the admin API's ETags and If-Match (412), its 409 when a change keeps
losing its race, RFC 7592 management racing the admin's delete, and the CLI's error line."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from chalicelib.admin import clients as client_admin
from chalicelib.admin import tenants as tenant_admin
from chalicelib.admin import users as user_admin
from chalicelib.admin.cli import cli
from chalicelib.admin.optimistic import ATTEMPTS
from chalicelib.store.clients import get_client
from tests.unit.conftest import PASSWORD, REDIRECT_URI
from tests.unit.races import always, intruding
from tests.unit.test_admin_api import call
from tests.unit.test_registration import HOST, METADATA, send


@pytest.fixture
def key(tenant):
    client_admin.create_client(
        tenant.id, name="Web", client_type="confidential", redirect_uris=[REDIRECT_URI], client_id="web"
    )
    user_admin.create_user(tenant.id, "alice", PASSWORD)
    return tenant_admin.issue_admin_key(tenant.id, "tests")[0]


def patch(http, key, path, payload, if_match=None):
    headers = {"host": HOST, "content-type": "application/json", "authorization": f"Bearer {key}"}
    if if_match is not None:
        headers["if-match"] = if_match
    response = http.request("PATCH", f"/admin/tenants/acme{path}", headers=headers, body=json.dumps(payload))
    return response, json.loads(response.body)


# (resource, a change, another change)
RESOURCES = [
    ("", {"settings": {"code_expire": 300}}, {"settings": {"token_expire": 900}}),
    ("/clients/web", {"name": "Web 2"}, {"logo_uri": "https://rp.example.com/l.png"}),
    ("/users/alice", {"claims": {"name": "Alice"}}, {"active": False}),
]


@pytest.mark.parametrize(("path", "change", "other"), RESOURCES)
def test_etags_and_if_match(http, key, table_items, path, change, other):
    response, shown = call(http, "GET", path, key)
    etag = response.headers["ETag"]
    assert etag == f'"{shown["version"]}"'

    response, changed = patch(http, key, path, change, if_match=etag)
    assert response.status_code == 200 and changed["version"] == shown["version"] + 1
    assert response.headers["ETag"] == f'"{changed["version"]}"' != etag
    before = table_items()
    for stale in (etag, f"W/{response.headers['ETag']}", '"x"', f"{response.headers['ETag']}, {etag}"):
        response, refused = patch(http, key, path, other, if_match=stale)
        assert response.status_code == 412 and refused["error"] == "precondition_failed"
    assert table_items() == before  # nothing written
    assert patch(http, key, path, other, if_match="*")[0].status_code == 200


@pytest.mark.parametrize("path", ["/clients/web", "/users/alice"])
def test_a_delete_with_a_stale_etag_deletes_nothing(http, key, path):
    etag = call(http, "GET", path, key)[0].headers["ETag"]
    patch(http, key, path, {"claims": {"name": "A"}} if "users" in path else {"name": "A"})
    response = http.request("DELETE", f"/admin/tenants/acme{path}", headers={
        "host": HOST, "authorization": f"Bearer {key}", "if-match": etag,
    })  # fmt: skip
    assert response.status_code == 412 and call(http, "GET", path, key)[0].status_code == 200


@pytest.mark.parametrize(("path", "change", "other"), RESOURCES)
def test_a_patch_that_keeps_losing_its_race_is_409(http, key, path, change, other):
    version = call(http, "GET", path, key)[1]["version"]
    other_admin = {
        "": lambda: tenant_admin.update_settings("acme", other["settings"]),
        "/clients/web": lambda: client_admin.update_client("acme", "web", **other),
        "/users/alice": lambda: user_admin.set_active("acme", "alice", other["active"]),
    }[path]
    with always(other_admin):
        response, refused = patch(http, key, path, change)
    assert response.status_code == 409 and refused["error"] == "conflict"
    shown = call(http, "GET", path, key)[1]
    assert shown["version"] == version + ATTEMPTS  # the other admin's writes, none of this one's


@pytest.fixture
def registered(http, tenant):
    tenant_admin.update_settings(tenant.id, {"client_registration": "open"})
    created = json.loads(send(http, "POST", "/acme/register", METADATA).body)
    uri = f"/acme/register/{created['client_id']}"
    return created["client_id"], uri, created["registration_access_token"]


def test_a_registration_update_racing_the_admins_delete_leaves_it_deleted(http, registered, table_items):
    client_id, uri, token = registered
    changed = {**METADATA, "client_id": client_id, "client_name": "Back from the dead"}
    with intruding(lambda: client_admin.delete_client("acme", client_id)) as deleted:
        response = send(http, "PUT", uri, changed, token=token)
    assert deleted and response.status_code == 401 and json.loads(response.body)["error"] == "invalid_token"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert get_client("acme", client_id) is None
    assert not [item for item in table_items() if item["sk"]["S"] == f"client#{client_id}"]
    assert send(http, "GET", uri, token=token).status_code == 401


def test_a_registration_update_racing_a_re_registration_under_the_same_id_is_refused(http, registered):
    client_id, uri, token = registered

    def replace_client() -> None:
        client_admin.delete_client("acme", client_id)
        client_admin.create_client(
            "acme", name="Someone else's", client_type="confidential", redirect_uris=[REDIRECT_URI],
            client_id=client_id, registration_token="another token",
        )  # fmt: skip

    with intruding(replace_client):
        response = send(http, "PUT", uri, {**METADATA, "client_id": client_id}, token=token)
    assert response.status_code == 401 and get_client("acme", client_id).name == "Someone else's"


def test_a_registration_update_that_keeps_losing_is_409(http, registered):
    client_id, uri, token = registered
    with always(lambda: client_admin.update_client("acme", client_id, logo_uri="https://rp.example.com/l.png")):
        response = send(http, "PUT", uri, {**METADATA, "client_id": client_id, "client_name": "X"}, token=token)
    assert response.status_code == 409 and json.loads(response.body)["error"] == "conflict"
    assert get_client("acme", client_id).name == METADATA["client_name"]


def test_a_registration_delete_racing_an_admin_change_still_deletes(http, registered):
    client_id, uri, token = registered
    with intruding(lambda: client_admin.update_client("acme", client_id, name="Renamed by the admin")):
        assert send(http, "DELETE", uri, token=token).status_code == 204
    assert get_client("acme", client_id) is None


def test_the_cli_says_what_kept_changing(key):
    runner = CliRunner()
    with always(lambda: client_admin.update_client("acme", "web", logo_uri="https://rp.example.com/l.png")):
        result = runner.invoke(cli, ["clients", "update", "acme", "web", "--name", "Web 2"], catch_exceptions=False)
    assert result.exit_code == 2 and result.output.startswith("error: client web kept changing")
    assert result.output.count("\n") == 1 and get_client("acme", "web").name == "Web"

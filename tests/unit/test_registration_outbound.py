"""Back-channel logout URIs that would aim the provider at its own network are refused where
they are registered: RFC 7591 registration (open, anonymous) and the tenant admin API, over
HTTP, with nothing written; and only the operator says which private hosts a tenant's RPs
may live on."""

from __future__ import annotations

import json

import pytest

from chalicelib.admin import clients as client_admin
from chalicelib.admin import tenants as tenant_admin
from tests.unit.conftest import REDIRECT_URI

HOST = "op.example.test"
HOSTILE = [
    "http://127.0.0.1:8081/backchannel",  # the issue's four
    "https://10.0.3.7/backchannel",
    "https://169.254.169.254/latest/meta-data/",
    "http://evil@127.0.0.1:8081/backchannel",
    "https://evil@rp.example.com/backchannel",
    "http://rp.example.com/backchannel",
    "https://127.0.0.1/backchannel",
    "https://[::1]/backchannel",
    "https://[::ffff:127.0.0.1]/backchannel",
    "https://[fd00:ec2::254]/backchannel",
    "https://0.0.0.0/backchannel",
    "https://100.64.0.1/backchannel",
    "https://2130706433/backchannel",
    "https://0x7f.1/backchannel",
    "https://0177.0.0.1/backchannel",
    "https://rp.example.com;frame-ancestors/backchannel",
]


def post(http, path: str, payload: dict, key: str | None = None):
    headers = {"host": HOST, "content-type": "application/json"}
    if key:
        headers["authorization"] = f"Bearer {key}"
    response = http.post(path, headers=headers, body=json.dumps(payload))
    return response, json.loads(response.body)


@pytest.fixture
def open_registration(tenant):
    tenant_admin.update_settings(tenant.id, {"client_registration": "open"})


@pytest.fixture
def admin_key(tenant):
    return tenant_admin.issue_admin_key(tenant.id, "tests")[0]


@pytest.mark.parametrize("uri", HOSTILE)
def test_open_registration_refuses_hostile_backchannel_uris(http, open_registration, table_items, uri):
    before = table_items()
    metadata = {"redirect_uris": [REDIRECT_URI], "client_name": "Anonymous", "backchannel_logout_uri": uri}
    response, error = post(http, "/acme/register", metadata)
    assert response.status_code == 400 and error["error"] == "invalid_client_metadata"
    assert error["error_description"].startswith("backchannel_logout_uri: ")
    assert table_items() == before


@pytest.mark.parametrize("uri", HOSTILE)
def test_the_admin_api_refuses_hostile_backchannel_uris(http, admin_key, table_items, uri):
    client, _ = client_admin.create_client("acme", name="Web", client_type="confidential", redirect_uris=[REDIRECT_URI])
    before = table_items()
    fields = {"name": "Portal", "client_type": "confidential", "redirect_uris": [REDIRECT_URI]}
    created, error = post(http, "/admin/tenants/acme/clients", {**fields, "backchannel_logout_uri": uri}, admin_key)
    assert created.status_code == 400 and error["error"] == "invalid_request"
    headers = {"host": HOST, "content-type": "application/json", "authorization": f"Bearer {admin_key}"}
    patched = http.request(
        "PATCH", f"/admin/tenants/acme/clients/{client.client_id}", headers=headers,
        body=json.dumps({"backchannel_logout_uri": uri}),
    )  # fmt: skip
    assert patched.status_code == 400 and json.loads(patched.body)["error"] == "invalid_request"
    assert table_items() == before


def test_a_tenant_admin_cannot_allow_outbound_hosts(http, admin_key, table_items):
    before = table_items()
    headers = {"host": HOST, "content-type": "application/json", "authorization": f"Bearer {admin_key}"}
    payload = {"settings": {"outbound_allowed_hosts": ["10.0.3.7", "169.254.169.254"]}}
    response = http.request("PATCH", "/admin/tenants/acme", headers=headers, body=json.dumps(payload))
    assert response.status_code == 400 and "only the operator" in json.loads(response.body)["error_description"]
    assert table_items() == before


@pytest.mark.parametrize(
    ("allowed", "uri"),
    [
        (["10.0.3.7"], "https://10.0.3.7/backchannel"),  # an RP on a private network, by the operator's leave
        (["fd12::7"], "https://[fd12::7]:8443/backchannel"),
        (["rp.corp.example"], "https://rp.corp.example/backchannel"),  # names are checked at delivery
    ],
)
def test_the_operator_may_allow_private_hosts(http, open_registration, tenant, allowed, uri):
    tenant_admin.update_settings(tenant.id, {"outbound_allowed_hosts": allowed})
    metadata = {"redirect_uris": [REDIRECT_URI], "client_name": "Corp", "backchannel_logout_uri": uri}
    response, registered = post(http, "/acme/register", metadata)
    assert response.status_code == 201 and registered["backchannel_logout_uri"] == uri


@pytest.mark.parametrize(
    "uri", ["https://127.0.0.1/backchannel", "http://127.0.0.1:8081/backchannel", "https://169.254.169.254/"]
)
def test_listing_loopback_or_metadata_allows_nothing_outside_local_development(http, open_registration, tenant, uri):
    tenant_admin.update_settings(tenant.id, {"outbound_allowed_hosts": ["127.0.0.1", "169.254.169.254"]})
    metadata = {"redirect_uris": [REDIRECT_URI], "client_name": "Local", "backchannel_logout_uri": uri}
    response, error = post(http, "/acme/register", metadata)
    assert response.status_code == 400 and error["error"] == "invalid_client_metadata"


def test_local_development_allows_listed_loopback_hosts(http, open_registration, tenant, dev_mode):
    uri = "http://127.0.0.1:8081/backchannel"
    metadata = {"redirect_uris": [REDIRECT_URI], "client_name": "Local", "backchannel_logout_uri": uri}
    assert post(http, "/acme/register", metadata)[0].status_code == 400  # not listed
    tenant_admin.update_settings(tenant.id, {"outbound_allowed_hosts": ["127.0.0.1"]})
    response, registered = post(http, "/acme/register", metadata)
    assert response.status_code == 201 and registered["backchannel_logout_uri"] == uri


@pytest.mark.parametrize(
    "hosts", ["127.0.0.1", [5], ["https://rp.example.com"], ["rp example"], ["Rp.Example.com"], ["x"] * 51]
)
def test_allowed_hosts_are_host_names(tenant, hosts):
    with pytest.raises(Exception, match="outbound_allowed_hosts"):
        tenant_admin.update_settings(tenant.id, {"outbound_allowed_hosts": hosts})

"""A private_key_jwt client's keys: what the admin API, the CLI and dynamic registration
accept as ``jwks``, ``jwks_uri`` and ``token_endpoint_auth_signing_alg``, and how a
``jwks_uri`` is fetched at the token endpoint: through the outbound guard, kept per container,
fetched again once for an unknown kid (not more often than every 30 s), a failure remembered.

Network rule: the only server here listens on 127.0.0.1, reached in local development
(DEV_MODE) because the tenant lists it; every refused URL is refused before any connection."""

from __future__ import annotations

import http.server
import json
import threading
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner

from chalicelib.admin import AdminError
from chalicelib.admin import clients as client_admin
from chalicelib.admin import tenants as tenant_admin
from chalicelib.admin.cli import cli
from chalicelib.oidc import client_keys
from tests.support.browser import HOST
from tests.support.client_keys import ASSERTION_TYPE, assertion, private_jwk, public_jwk
from tests.unit.conftest import REDIRECT_URI
from tests.unit.flows import ISSUER, body

RSA = public_jwk("RSA", "rsa")


def _b64_uint(value: int) -> str:
    import base64

    return base64.urlsafe_b64encode(value.to_bytes((value.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()


@pytest.fixture(autouse=True)
def fresh_keys():
    client_keys.forget()
    yield
    client_keys.forget()


def create(tenant, **fields):
    defaults = {"grant_types": ["client_credentials"], "token_endpoint_auth_method": "private_key_jwt"}
    return client_admin.create_client(tenant.id, name="Signer", client_type="confidential", **{**defaults, **fields})


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "jwks or jwks_uri"),
        ({"jwks": {"keys": [RSA]}, "jwks_uri": "https://rp.example.com/jwks"}, "not both"),
        ({"jwks": {"keys": [private_jwk("RSA")]}}, "private key"),
        ({"jwks": {"keys": [public_jwk("RSA", "weak", bits=1024)]}}, "2048 to 4096"),
        ({"jwks": {"keys": [{**public_jwk("EC", "ec"), "crv": "P-384"}]}}, "P-256"),
        ({"jwks": {"keys": [{**RSA, "alg": "ES256"}]}}, "RS256 or PS256"),
        ({"jwks": {"keys": [{**RSA, "use": "enc"}]}}, "use: sig"),
        ({"jwks": {"keys": [RSA, RSA]}}, "same kid"),
        ({"jwks": {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}}, "RSA, EC"),
        ({"jwks": {"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]}}, "malformed|at least"),
        ({"jwks": {"keys": [{"kty": "RSA", "n": 5}]}}, "malformed"),
        # What makes each check of an assertion expensive: a huge public exponent or modulus.
        ({"jwks": {"keys": [{**RSA, "e": _b64_uint(2**40 + 1)}]}}, "exponent"),
        ({"jwks": {"keys": [{**RSA, "n": _b64_uint(2**4200 + 1)}]}}, "2048 to 4096"),
        ({"jwks": {"keys": [RSA] * 17}}, "1 to 16"),
        ({"jwks": [RSA]}, "JSON object"),
        ({"jwks_uri": "http://rp.example.com/jwks"}, "https"),
        ({"jwks_uri": "https://10.0.0.7/jwks"}, "private"),
        ({"jwks_uri": "https://169.254.169.254/latest/meta-data/"}, "metadata"),
        ({"jwks_uri": "https://user@rp.example.com/jwks"}, "jwks_uri"),
        ({"jwks": {"keys": [RSA]}, "token_endpoint_auth_signing_alg": "HS256"}, "RS256"),
        ({"jwks": {"keys": [RSA]}, "token_endpoint_auth_signing_alg": "none"}, "RS256"),
        ({"token_endpoint_auth_method": "client_secret_basic", "token_endpoint_auth_signing_alg": "RS256"}, "is for"),
    ],
)
def test_the_admin_services_refuse_bad_keys_and_write_nothing(tenant, table_items, fields, message):
    before = table_items()
    with pytest.raises(AdminError, match=message):
        create(tenant, **fields)
    assert table_items() == before


def test_the_admin_api_cli_and_registration_store_keys(http, tenant):
    key = tenant_admin.issue_admin_key(tenant.id, "tests")[0]
    headers = {"host": HOST, "content-type": "application/json", "authorization": f"Bearer {key}"}
    payload = {
        "name": "API",
        "client_type": "confidential",
        "grant_types": ["client_credentials"],
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks": {"keys": [RSA], "other": "dropped"},
        "token_endpoint_auth_signing_alg": "PS256",
    }
    created = http.post(f"/admin/tenants/{tenant.id}/clients", headers=headers, body=json.dumps(payload))
    assert created.status_code == 201, created.body
    shown = json.loads(created.body)
    assert shown["jwks"] == {"keys": [RSA]} and shown["token_endpoint_auth_signing_alg"] == "PS256"

    result = CliRunner().invoke(
        cli,
        ["clients", "create", tenant.id, "--name", "CLI", "--type", "confidential", "--grant-type",
         "client_credentials", "--token-endpoint-auth-method", "private_key_jwt",
         "--jwks-uri", "https://rp.example.com/jwks.json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    client_id = json.loads(result.output)["client_id"]
    assert client_admin.get_client(tenant.id, client_id).jwks_uri == "https://rp.example.com/jwks.json"
    bad = CliRunner().invoke(cli, ["clients", "update", tenant.id, client_id, "--jwks", "{not json"])
    assert bad.exit_code != 0 and "not JSON" in bad.output

    tenant_admin.update_settings(tenant.id, {"client_registration": "open"})
    metadata = {
        "redirect_uris": [REDIRECT_URI],
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks": {"keys": [public_jwk("EC", "ec")]},
        "token_endpoint_auth_signing_alg": "ES256",
    }
    registered = http.post("/acme/register", headers={"host": HOST, "content-type": "application/json"},
                           body=json.dumps(metadata))  # fmt: skip
    assert registered.status_code == 201, registered.body
    answer = json.loads(registered.body)
    assert answer["jwks"] == metadata["jwks"] and answer["token_endpoint_auth_method"] == "private_key_jwt"
    assert answer["token_endpoint_auth_signing_alg"] == "ES256"


class Keys(http.server.BaseHTTPRequestHandler):
    """A client's jwks_uri on 127.0.0.1: serves ``server.document`` with ``server.status``,
    counting requests in ``server.hits``."""

    def do_GET(self) -> None:
        self.server.hits += 1
        payload = json.dumps(self.server.document).encode()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def keys_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Keys)
    server.hits, server.status, server.document = 0, 200, {"keys": [RSA]}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def uri_client(tenant, dev_mode, keys_server):
    tenant_admin.update_settings(tenant.id, {"outbound_allowed_hosts": ["127.0.0.1"]})
    client, _ = create(tenant, jwks_uri=f"http://127.0.0.1:{keys_server.server_port}/jwks")
    return client


def token(http, client_id: str, now: int, **header: str):
    signed = assertion(client_id, ISSUER, now=now, **header)
    form = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE, "client_assertion": signed}
    headers = {"host": HOST, "content-type": "application/x-www-form-urlencoded"}
    return http.post("/acme/token", headers=headers, body=urlencode(form))


def test_a_jwks_uri_is_fetched_kept_and_fetched_again_for_a_new_kid(http, uri_client, keys_server, clock):
    assert token(http, uri_client.client_id, clock[0]).status_code == 200
    assert token(http, uri_client.client_id, clock[0]).status_code == 200
    assert keys_server.hits == 1  # kept

    keys_server.document = {"keys": [RSA, public_jwk("EC", "ec")]}  # the client adds a key
    clock[0] += 5
    new_kid = token(http, uri_client.client_id, clock[0], alg="ES256", kid="ec")
    assert new_kid.status_code == 401 and keys_server.hits == 1  # fetched 5 s ago: not again yet
    clock[0] += 30
    assert token(http, uri_client.client_id, clock[0], alg="ES256", kid="ec").status_code == 200
    assert keys_server.hits == 2  # once, for the unknown kid
    made_up = token(http, uri_client.client_id, clock[0], kid="made-up")
    assert made_up.status_code == 401 and keys_server.hits == 2

    clock[0] += client_keys.TTL
    assert token(http, uri_client.client_id, clock[0]).status_code == 200
    assert keys_server.hits == 3  # the copy expired


def test_a_failed_fetch_is_remembered(http, uri_client, keys_server, clock, table_items):
    keys_server.status = 500
    before = table_items()
    first = token(http, uri_client.client_id, clock[0])
    # What went wrong is logged, not told to whoever sent the assertion (a probe otherwise).
    assert first.status_code == 401 and body(first)["error_description"] == "the client's keys could not be read"
    assert token(http, uri_client.client_id, clock[0]).status_code == 401
    assert keys_server.hits == 1
    keys_server.status = 200
    clock[0] += client_keys.REFETCH_AFTER
    assert token(http, uri_client.client_id, clock[0]).status_code == 200
    assert keys_server.hits == 2
    assert [item["sk"]["S"][:7] for item in table_items() if item not in before] == ["replay#"]


@pytest.mark.parametrize(
    "document", [{"keys": [private_jwk("RSA")]}, {"keys": "none"}, ["not", "a", "set"], {"keys": [{"kty": "oct"}]}]
)
def test_a_jwks_uri_serving_bad_keys_authenticates_nobody(http, uri_client, keys_server, clock, document):
    keys_server.document = document
    response = token(http, uri_client.client_id, clock[0])
    assert response.status_code == 401 and body(response)["error_description"] == "the client's keys could not be read"


def test_the_guard_checks_the_jwks_uri_again_at_each_fetch(http, tenant, uri_client, keys_server, clock):
    """A jwks_uri accepted once (the tenant listed its host) is refused once the host is no
    longer listed: loopback, before any connection."""
    tenant_admin.update_settings(tenant.id, {"outbound_allowed_hosts": []})
    response = token(http, uri_client.client_id, clock[0])
    assert response.status_code == 401 and body(response)["error_description"] == "the client's keys could not be read"
    assert keys_server.hits == 0


def test_an_assertion_without_a_kid_is_refused_when_the_client_has_several_keys(http, tenant, table_items):
    """Each key would be tried in turn, by anyone sending assertions in the client's name."""
    client, _ = create(tenant, jwks={"keys": [RSA, public_jwk("RSA", "second")]})
    before = table_items()
    response = token(http, client.client_id, int(__import__("time").time()), kid=None)
    assert response.status_code == 401 and "kid" in body(response)["error_description"]
    assert table_items() == before
    assert token(http, client.client_id, int(__import__("time").time())).status_code == 200  # naming its kid

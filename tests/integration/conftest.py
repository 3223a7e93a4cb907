"""Integration tests: the app served by ``chalice local`` in its own process, AWS emulated
by moto's server over a real socket, driven by OIDC client libraries we did not write.

The emulation starts when this module is imported, and the environment points at it before
anything imports chalicelib: the test process provisions tenants through the admin code
(the CLI's own), the server process answers the protocol, and a consumer thread in the test
process delivers what the server queues (back-channel logout), as Lambda would.

The deployment is in local development (``DEV_MODE``): outbound requests may use http and
reach loopback, but only to hosts a tenant lists in ``outbound_allowed_hosts``."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import pytest
import requests

from infra.emulator import Emulator, emulated_environment
from infra.local import DEV_ENVIRONMENT, stage_environment

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
EMULATOR = Emulator().start()
os.environ.update({**emulated_environment(EMULATOR.url), **stage_environment("dev"), **DEV_ENVIRONMENT})

from chalicelib.admin import clients as client_admin  # noqa: E402
from chalicelib.admin import keys as key_admin  # noqa: E402
from chalicelib.admin import tenants as tenant_admin  # noqa: E402
from chalicelib.admin import users as user_admin  # noqa: E402
from chalicelib.admin.cli import cli  # noqa: E402
from infra.consumer import Consumer  # noqa: E402
from tests.support.node_rp import NodeRelyingParties  # noqa: E402
from tests.support.rp_server import RelyingParty  # noqa: E402
from tests.support.user_agent import UserAgent  # noqa: E402

PASSWORD = "correct horse battery staple"
REDIRECT_URI = "http://localhost:3000/callback"
LOGGED_OUT = "http://localhost:3000/logged-out"
# Response types that send tokens through the browser, in the fragment (OIDC Core §3.2, §3.3).
FRONT_CHANNEL = ("id_token", "id_token token", "code id_token", "code token", "code id_token token")
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
# Hosts the logout tenants let the provider post back-channel logout tokens to (the RP
# servers of these tests listen on 127.0.0.1).
LOCAL_HOSTS = ["127.0.0.1", "localhost"]


def wait_until(condition, timeout: float = 20.0):
    """``condition()``'s first truthy value, polled until ``timeout`` seconds have passed (then
    the test fails): for what the queue consumer delivers in its own time."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout} s: {condition}")
        time.sleep(0.02)
    return value


@pytest.fixture
def backchannel_events(caplog):
    """The back-channel delivery events of the given clients, as the consumer (in this
    process) logs them: ``backchannel_events({client_id, ...})``."""
    caplog.set_level(logging.INFO, logger="oidc.events")

    def of(client_ids: set[str]) -> list[dict]:
        lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "oidc.events"]
        return [line for line in lines if line["event"] == "backchannel_logout" and line.get("client_id") in client_ids]

    return of


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def consumer():
    """The table and queues, and the consumer that delivers what the provider queues (the
    part Lambda's SQS event source plays in a deployment)."""
    cli.main(["setup", "--create-table", "--create-queues"], standalone_mode=False)
    running = Consumer().start()
    yield running
    running.stop()


def server_log(name: str = "chalice-local") -> Path:
    """Where the dev server ``name`` of this process writes its output: each xdist worker
    runs servers of its own, so each has its own file."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return ARTIFACTS / (f"{name}-{worker}.log" if worker else f"{name}.log")


@contextlib.contextmanager
def dev_server(name: str, public_host: str = "127.0.0.1", **env: str) -> Iterator[str]:
    """The provider as ``chalice local`` serves it (``python -m infra.devserver``) on a free
    port, with ``env`` added (its issuer's base is its own address unless ``env`` says
    otherwise, as infra/local.py sets it: the provider never takes it from the Host header);
    yields its base URL. ``public_host`` names its address in that URL ("localhost": a
    WebAuthn relying party ID must be a domain, never an IP address). Its output goes to test-artifacts/<name>.log."""
    port = _free_port()
    base = f"http://{public_host}:{port}"
    command = [sys.executable, "-m", "infra.devserver", "--host", "127.0.0.1", "--port", str(port), "--stage", "dev"]
    ARTIFACTS.mkdir(exist_ok=True)
    with server_log(name).open("w") as log:
        server = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, "PUBLIC_BASE_URL": base, **env}, stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except requests.ConnectionError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"chalice local did not start; see {log.name}") from None
                time.sleep(0.1)
        try:
            yield base
        finally:
            server.terminate()
            server.wait(timeout=10)


@pytest.fixture(scope="session")
def provider(consumer):
    """Base URL of the provider as ``chalice local`` serves it."""
    with dev_server("chalice-local") as base:
        yield base


@pytest.fixture(params=["envelope", "secretsmanager", "kms"])
def tenant(request, provider):
    """A fresh tenant on each key backend (envelope, the default, first)."""
    backend = request.param
    return tenant_admin.create_tenant(f"{backend[:3]}-{uuid.uuid4().hex[:10]}", "Interop", key_backend=backend)


@pytest.fixture
def issuer(provider, tenant) -> str:
    return f"{provider}/{tenant.id}"


@pytest.fixture
def user(tenant):
    return user_admin.create_user(
        tenant.id,
        "alice",
        PASSWORD,
        {"name": "Alice Example", "email": "alice@example.com", "email_verified": True, "given_name": "Alice"},
    )


@pytest.fixture
def confidential_client(tenant):
    return client_admin.create_client(
        tenant.id, name="Interop Web", client_type="confidential", redirect_uris=[REDIRECT_URI]
    )


@pytest.fixture
def public_client(tenant):
    client, _ = client_admin.create_client(
        tenant.id, name="Interop Native", client_type="public", redirect_uris=["http://127.0.0.1/callback"]
    )
    return client


@pytest.fixture
def hybrid_client(tenant):
    """A confidential client of the code, implicit and hybrid flows."""
    return client_admin.create_client(
        tenant.id,
        name="Interop Hybrid",
        client_type="confidential",
        redirect_uris=[REDIRECT_URI],
        response_types=["code", *FRONT_CHANNEL],
    )


@pytest.fixture
def hs256_client(tenant):
    """A confidential client whose ID tokens are signed with its own secret (OIDC Core §10.1)."""
    return client_admin.create_client(
        tenant.id,
        name="Interop HS256",
        client_type="confidential",
        redirect_uris=[REDIRECT_URI],
        response_types=["code", "code id_token"],
        id_token_signed_response_alg="HS256",
    )


@pytest.fixture
def resource_server(tenant, confidential_client):
    """An API that may introspect the confidential client's tokens (RFC 7662)."""
    return client_admin.create_client(
        tenant.id,
        name="Interop API",
        client_type="confidential",
        response_types=[],
        grant_types=["client_credentials"],
        scopes=["token_introspection", confidential_client[0].client_id],
    )


@pytest.fixture
def rp():
    """A relying party's web server on 127.0.0.1 (callback, pages, back-channel logout): it
    keeps what arrives."""
    server = RelyingParty()
    yield server
    server.stop()


@pytest.fixture
def logout_client(tenant, rp):
    """A client that registered where the browser returns after logout, and where the OP
    posts logout tokens (its tenant lets the provider reach this machine)."""
    tenant_admin.update_settings(tenant.id, {"outbound_allowed_hosts": LOCAL_HOSTS})
    return client_admin.create_client(
        tenant.id,
        name="Interop Logout",
        client_type="confidential",
        redirect_uris=[REDIRECT_URI],
        post_logout_redirect_uris=[LOGGED_OUT],
        backchannel_logout_uri=f"{rp.origin}/backchannel-logout",
    )


@pytest.fixture(scope="module")
def node():
    """openid-client relying parties in one Node process for the module (tests/interop/node)."""
    relying_parties = NodeRelyingParties()
    yield relying_parties
    relying_parties.close()


def node_sign_in(node, browser: UserAgent, rp: str, redirect_uri: str = REDIRECT_URI, **params: str):
    """openid-client builds the authorization URL, alice signs in at ``browser``, and
    openid-client validates the response it comes back with (and redeems the code, reads
    UserInfo). Returns what rp.mjs's ``callback`` found, and the URL the browser came back to."""
    started = node("authorize", rp=rp, redirect_uri=redirect_uri, **params)
    callback = browser.sign_in(started["url"], "alice", PASSWORD)
    return node("callback", state=started["state"], url=callback), callback


def fragment_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).fragment, keep_blank_values=True))


def expected_fragment(response_type: str) -> set[str]:
    """What an authorization response in the fragment carries (OIDC Core §3.2.2.5 and
    §3.3.2.5, RFC 9207's iss), with state."""
    returned = set(response_type.split())
    names = {"state", "iss"} | ({"code", "id_token"} & returned)
    if "token" in returned:
        names |= {"access_token", "token_type", "expires_in"}
    return names


def half_hash(value: str) -> str:
    """at_hash and c_hash for *256 algorithms (OIDC Core §3.2.2.9, §3.3.2.11)."""
    return base64.urlsafe_b64encode(hashlib.sha256(value.encode()).digest()[:16]).rstrip(b"=").decode()


def authorization_url(issuer: str, client_id: str, redirect_uri: str = REDIRECT_URI, **params: str) -> str:
    query = {"client_id": client_id, "redirect_uri": redirect_uri, "response_type": "code", "scope": "openid"}
    return f"{issuer}/authorize?{urlencode({**query, **params})}"


def obtain_code(provider: str, issuer: str, client_id: str) -> str:
    """Sign in as alice in a new browser and return the code the client receives."""
    callback = UserAgent(provider).sign_in(authorization_url(issuer, client_id), "alice", PASSWORD)
    return parse_qs(urlsplit(callback).query)["code"][0]


def redeem(issuer: str, client, code: str) -> requests.Response:
    registered, secret = client
    grant = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    return requests.post(f"{issuer}/token", data=grant, auth=(registered.client_id, secret), timeout=30)


def client_signing_with(tenant, alg: str):
    """A confidential client whose ID tokens use ``alg``, with a fresh key for it. Call it
    before the server first reads the tenant: the server caches tenants and their keys."""
    if alg == "PS256" and tenant.keys[0]["backend"] == "kms":
        pytest.skip("moto's KMS salts PSS signatures wrongly (see tests/unit/test_keys.py)")
    key_admin.rotate_key(tenant.id, alg, immediately=True)
    return client_admin.create_client(
        tenant.id, name=alg, client_type="confidential", redirect_uris=[REDIRECT_URI], id_token_signed_response_alg=alg
    )

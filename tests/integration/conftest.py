"""Integration tests: the app served by ``chalice local`` in its own process, AWS emulated
by moto's server over a real socket, driven by OIDC client libraries we did not write.

The emulation starts when this module is imported, and the environment points at it before
anything imports chalicelib: the test process provisions tenants through the admin code
(the CLI's own), the server process answers the protocol."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from infra.emulator import Emulator, emulated_environment
from infra.local import stage_environment

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
EMULATOR = Emulator().start()
os.environ.update({**emulated_environment(EMULATOR.url), **stage_environment("dev")})

from chalicelib.admin import clients as client_admin  # noqa: E402
from chalicelib.admin import tenants as tenant_admin  # noqa: E402
from chalicelib.admin import users as user_admin  # noqa: E402
from chalicelib.admin.cli import cli  # noqa: E402
from tests.support.user_agent import UserAgent  # noqa: E402

PASSWORD = "correct horse battery staple"
REDIRECT_URI = "http://localhost:3000/callback"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def provider():
    """Base URL of the provider as ``chalice local`` serves it."""
    cli.main(["setup", "--create-table"], standalone_mode=False)
    port = _free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log = (ARTIFACTS / "chalice-local.log").open("w")
    chalice = str(Path(sys.executable).with_name("chalice"))
    command = [chalice, "local", "--host", "127.0.0.1", "--port", str(port), "--stage", "dev", "--no-autoreload"]
    server = subprocess.Popen(command, cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(f"{base}/health", timeout=1)
            break
        except requests.ConnectionError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"chalice local did not start; see {log.name}") from None
            time.sleep(0.1)
    yield base
    server.terminate()
    server.wait(timeout=10)
    log.close()


@pytest.fixture(params=["secretsmanager", "kms"])
def tenant(request, provider):
    """A fresh tenant on each key backend."""
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
    tenant_admin.rotate_key(tenant.id, alg)
    return client_admin.create_client(
        tenant.id, name=alg, client_type="confidential", redirect_uris=[REDIRECT_URI], id_token_signed_response_alg=alg
    )

"""openid-client (Node, OpenID Certified) drives the code flow with PKCE: discovery, the
authorization response's state and iss, the code exchange with ID token validation against
the JWKS (signature, nonce, at_hash), userinfo and refresh; on both key backends."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.integration.conftest import PASSWORD, REDIRECT_URI, client_signing_with
from tests.support.user_agent import UserAgent

RP = Path(__file__).resolve().parents[1] / "interop" / "node" / "rp.mjs"


def run_rp(
    provider: str, issuer: str, client_id: str, secret: str | None, redirect_uri: str, method: str, alg: str = "RS256"
) -> dict:
    command = ["node", str(RP), issuer, client_id, secret or "-", redirect_uri, method, "openid profile email", alg]
    rp = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = json.loads(rp.stdout.readline())["authorization_url"]
        callback = UserAgent(provider).sign_in(url, "alice", PASSWORD)
        output, errors = rp.communicate(callback + "\n", timeout=60)
    finally:
        rp.kill()
    assert rp.returncode == 0, errors
    return json.loads(output)


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_confidential_client(provider, issuer, confidential_client, user, method):
    client, secret = confidential_client
    result = run_rp(provider, issuer, client.client_id, secret, REDIRECT_URI, method)
    assert result["claims"]["sub"] == user.sub and result["claims"]["iss"] == issuer
    assert result["userinfo"]["email"] == "alice@example.com"
    assert result["refreshed_claims"]["sub"] == user.sub and result["rotated"]


def test_public_client(provider, issuer, public_client, user):
    result = run_rp(provider, issuer, public_client.client_id, None, "http://127.0.0.1:40123/callback", "none")
    assert result["claims"]["aud"] == public_client.client_id
    assert result["userinfo"]["name"] == "Alice Example"


@pytest.mark.parametrize("alg", ["ES256", "PS256"])
def test_other_signing_algorithms(provider, issuer, tenant, user, alg):
    client, secret = client_signing_with(tenant, alg)
    result = run_rp(provider, issuer, client.client_id, secret, REDIRECT_URI, "client_secret_basic", alg)
    assert result["claims"]["sub"] == user.sub

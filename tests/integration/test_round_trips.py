"""DynamoDB round trips per request, counted by the emulator at the HTTP boundary: the
budgets of PRODUCT.md hold (warm container: tenant and client cached)."""

from __future__ import annotations

from collections import Counter
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from chalicelib.admin import users as user_admin
from tests.integration.conftest import EMULATOR, PASSWORD, REDIRECT_URI, obtain_code, redeem
from tests.support.user_agent import UserAgent


def dynamodb_calls(counts: Counter) -> int:
    return sum(n for name, n in counts.items() if name.startswith("dynamodb:") and not name.endswith(".items"))


class Meter:
    def __init__(self) -> None:
        self.steps: dict[str, Counter] = {}

    def __call__(self, step: str, action):
        EMULATOR.reset()
        result = action()
        self.steps[step] = EMULATOR.snapshot()
        return result

    def dynamodb(self, *steps: str) -> int:
        return sum(dynamodb_calls(self.steps[step]) for step in steps)


@pytest.fixture
def warm(provider, issuer, confidential_client, user):
    """One full login first, so the server's caches (tenant, client, keys) are warm."""
    redeem(
        issuer, confidential_client, obtain_code(provider, issuer, confidential_client[0].client_id)
    ).raise_for_status()
    requests.get(f"{issuer}/.well-known/openid-configuration", timeout=5)
    return confidential_client


def test_round_trip_budgets(provider, issuer, tenant, warm):
    client, secret = warm
    user_admin.create_user(tenant.id, "bob", PASSWORD)
    agent, meter = UserAgent(provider), Meter()
    query = {
        "client_id": client.client_id,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": "openid email",
    }

    login_page = meter("authorize", lambda: agent.visit(f"{issuer}/authorize?{urlencode(query)}"))
    consent_page = meter("login", lambda: agent.submit(login_page, "login", username="bob", password=PASSWORD))
    callback = meter("consent", lambda: agent.submit(consent_page, "allow"))
    code = parse_qs(urlsplit(callback.headers["Location"]).query)["code"][0]
    grant = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    tokens = meter(
        "token",
        lambda: requests.post(f"{issuer}/token", data=grant, auth=(client.client_id, secret), timeout=10).json(),
    )
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    meter("userinfo", lambda: requests.get(f"{issuer}/userinfo", headers=bearer, timeout=10).raise_for_status())

    silent = meter("silent", lambda: agent.visit(f"{issuer}/authorize?{urlencode({**query, 'prompt': 'none'})}"))
    code = parse_qs(urlsplit(silent.headers["Location"]).query)["code"][0]
    meter(
        "silent_token",
        lambda: requests.post(
            f"{issuer}/token", data={**grant, "code": code}, auth=(client.client_id, secret), timeout=10
        ).raise_for_status(),
    )
    meter("discovery", lambda: requests.get(f"{issuer}/.well-known/openid-configuration", timeout=5))
    meter("jwks", lambda: requests.get(f"{issuer}/jwks.json", timeout=5))
    refreshed = meter(
        "refresh",
        lambda: requests.post(
            f"{issuer}/token",
            data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
            auth=(client.client_id, secret),
            timeout=10,
        ).json(),
    )
    meter(
        "revoke",
        lambda: requests.post(
            f"{issuer}/revoke", data={"token": refreshed["refresh_token"]}, auth=(client.client_id, secret), timeout=10
        ).raise_for_status(),
    )

    assert meter.dynamodb("authorize", "login", "consent", "token", "userinfo") <= 7
    assert meter.dynamodb("login") == 4  # the attempt counted, the credential, the consent, the session
    assert meter.dynamodb("token") == meter.dynamodb("silent_token") == 1  # the code redeemed, the grant stored
    assert meter.dynamodb("silent", "silent_token") <= 3
    assert meter.dynamodb("userinfo") <= 1
    assert meter.dynamodb("revoke") == 1  # one conditional write
    assert meter.dynamodb("refresh") == 2  # the rotating write, and the user read (a disabled user's grant ends)
    assert meter.dynamodb("discovery") == meter.dynamodb("jwks") == 0
    assert not any(
        name.startswith("dynamodb:Scan") or name.startswith("dynamodb:Query")
        for s in meter.steps.values()
        for name in s
    )
    if tenant.keys[0]["backend"] in ("secretsmanager", "envelope"):
        # Warm: the PEM was read (or the sealed key decrypted) once per container; signing is
        # local, no AWS call per token.
        assert all(not name.startswith(("kms:", "secretsmanager:")) for s in meter.steps.values() for name in s)
    else:
        assert meter.steps["token"]["kms:Sign"] == 2  # the ID token and the access token


def test_client_credentials_costs_no_round_trip(provider, issuer, tenant):
    from chalicelib.admin import clients as client_admin

    service, secret = client_admin.create_client(
        tenant.id, name="Service", client_type="confidential", response_types=[], grant_types=["client_credentials"]
    )

    def post() -> requests.Response:
        grant = {"grant_type": "client_credentials"}
        return requests.post(f"{issuer}/token", data=grant, auth=(service.client_id, secret), timeout=10)

    post().raise_for_status()  # warms the tenant and client caches
    meter = Meter()
    meter("client_credentials", lambda: post().raise_for_status())
    assert meter.dynamodb("client_credentials") == 0


def test_dpop_costs_one_conditional_write_per_proof(provider, issuer, tenant, warm):
    """RFC 9449: a proof's jti is recorded in one conditional write; its nonce costs none."""
    from tests.support.dpop import proof

    client, secret = warm
    code = obtain_code(provider, issuer, client.client_id)
    grant = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    meter = Meter()

    def post(data: dict) -> dict:
        headers = {"DPoP": proof("POST", f"{issuer}/token")}
        answer = requests.post(
            f"{issuer}/token", data=data, auth=(client.client_id, secret), headers=headers, timeout=10
        )
        answer.raise_for_status()
        return answer.json()

    tokens = meter("token", lambda: post(grant))
    token = tokens["access_token"]
    headers = {"Authorization": f"DPoP {token}", "DPoP": proof("GET", f"{issuer}/userinfo", access_token=token)}
    meter("userinfo", lambda: requests.get(f"{issuer}/userinfo", headers=headers, timeout=10).raise_for_status())
    meter("refresh", lambda: post({"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}))
    assert meter.dynamodb("token") == 2  # the proof's jti, then the code redeemed with the grant stored
    assert meter.dynamodb("userinfo") == 2  # the proof's jti, the token's state
    assert meter.dynamodb("refresh") == 3  # the proof's jti, the rotating write, the user read
    assert all(
        dynamodb_calls(Counter({k: v for k, v in s.items() if "PutItem" in k})) == 1 for s in meter.steps.values()
    )

"""One-time artifacts under concurrency: of many parallel redemptions, exactly one wins.

The requests race through ``chalice local``'s threads to the emulated DynamoDB, which
applies each write atomically as DynamoDB does (see infra/emulator.py)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from tests.integration.conftest import PASSWORD, REDIRECT_URI
from tests.support.user_agent import UserAgent

PARALLEL = 16


def race(url: str, data: dict[str, str], auth: tuple[str, str]) -> list[int]:
    def post(_: int) -> int:
        return requests.post(url, data=data, auth=auth, timeout=30).status_code

    with ThreadPoolExecutor(PARALLEL) as pool:
        return sorted(pool.map(post, range(PARALLEL)))


def test_parallel_redemptions_of_one_code_and_one_refresh_token(provider, issuer, confidential_client, user):
    client, secret = confidential_client
    query = {"client_id": client.client_id, "redirect_uri": REDIRECT_URI, "response_type": "code", "scope": "openid"}
    callback = UserAgent(provider).sign_in(f"{issuer}/authorize?{urlencode(query)}", "alice", PASSWORD)
    code = parse_qs(urlsplit(callback).query)["code"][0]

    grant = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    statuses = race(f"{issuer}/token", grant, (client.client_id, secret))
    assert statuses == [200] + [400] * (PARALLEL - 1)

    # The winner's refresh token, raced the same way.
    code = parse_qs(
        urlsplit(UserAgent(provider).sign_in(f"{issuer}/authorize?{urlencode(query)}", "alice", PASSWORD)).query
    )["code"][0]
    tokens = requests.post(
        f"{issuer}/token", data={**grant, "code": code}, auth=(client.client_id, secret), timeout=10
    ).json()
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    assert race(f"{issuer}/token", refresh, (client.client_id, secret)) == [200] + [400] * (PARALLEL - 1)

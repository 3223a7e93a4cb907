"""One-time artifacts under concurrency: of many parallel redemptions, exactly one wins.

The requests race through ``chalice local``'s threads to the emulated DynamoDB, which
applies each write atomically as DynamoDB does (see infra/emulator.py)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests

from tests.integration.conftest import REDIRECT_URI, obtain_code, redeem

PARALLEL = 16


def race(url: str, data: dict[str, str], auth: tuple[str, str]) -> list[int]:
    def post(_: int) -> int:
        # chalice local listens with a backlog of 5: on a loaded machine some of sixteen
        # simultaneous connections are reset before any request is read. Such a request never
        # reached the provider, so sending it again races just the same.
        for _attempt in range(5):
            try:
                return requests.post(url, data=data, auth=auth, timeout=30).status_code
            except requests.ConnectionError:
                continue
        raise RuntimeError("the provider refused every connection")

    with ThreadPoolExecutor(PARALLEL) as pool:
        return sorted(pool.map(post, range(PARALLEL)))


def test_parallel_redemptions_of_one_code_and_one_refresh_token(provider, issuer, confidential_client, user):
    client, secret = confidential_client
    code = obtain_code(provider, issuer, client.client_id)
    grant = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    assert race(f"{issuer}/token", grant, (client.client_id, secret)) == [200] + [400] * (PARALLEL - 1)

    # A fresh refresh token, raced the same way.
    tokens = redeem(issuer, confidential_client, obtain_code(provider, issuer, client.client_id)).json()
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    assert race(f"{issuer}/token", refresh, (client.client_id, secret)) == [200] + [400] * (PARALLEL - 1)

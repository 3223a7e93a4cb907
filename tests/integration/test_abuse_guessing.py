"""Abuse suite: password guessing over HTTP, in parallel bursts, from one or many sources.

The requests race through the dev server's threads to the emulated DynamoDB, which applies
each write atomically as DynamoDB does (infra/emulator.py). Each burst's requests retry a
connection the server reset, so a small listen backlog cannot hide what the provider did.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urljoin

import pytest
import requests
from requests.adapters import HTTPAdapter

from chalicelib.admin import clients as client_admin
from chalicelib.admin import tenants as tenant_admin
from tests.integration.conftest import PASSWORD, authorization_url
from tests.support.forms import only_form
from tests.support.user_agent import UserAgent

BURST = 50
LIMIT = 10  # the default login_attempts_per_account


@pytest.fixture
def tenant(provider):
    """One tenant per test on the default key backend: the limits do not depend on it."""
    return tenant_admin.create_tenant(f"abuse-{uuid.uuid4().hex[:10]}", "Abuse")


def post(url: str, data: dict[str, str], source: str = "127.0.0.1", **kwargs) -> requests.Response:
    """POST from the loopback address ``source`` (the dev server reports it as the request's
    source, as API Gateway would), retrying connections the server reset."""
    session = requests.Session()
    session.mount("http://", SourceAdapter(source))
    for _attempt in range(5):
        try:
            return session.post(url, data=data, allow_redirects=False, timeout=60, **kwargs)
        except requests.ConnectionError:
            continue
    raise RuntimeError("the provider refused every connection")


class SourceAdapter(HTTPAdapter):
    def __init__(self, source: str) -> None:
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


def burst(requests_to_send: list[dict]) -> list[requests.Response]:
    """Send every request at the same moment (a barrier releases the threads together)."""
    gate = threading.Barrier(len(requests_to_send))

    def send(request: dict) -> requests.Response:
        gate.wait()
        return post(**request)

    with ThreadPoolExecutor(len(requests_to_send)) as pool:
        return list(pool.map(send, requests_to_send))


def login_form(provider: str, issuer: str, client_id: str) -> tuple[UserAgent, str, dict[str, str]]:
    browser = UserAgent(provider)
    page = browser.visit(authorization_url(issuer, client_id))
    form = only_form(page.text)
    return browser, urljoin(page.url, form.action), form.fields


def test_a_burst_at_the_login_form_is_cut_at_the_limit(provider, issuer, confidential_client, user):
    browser, action, fields = login_form(provider, issuer, confidential_client[0].client_id)
    cookies = browser.session.cookies.get_dict()
    guesses = [
        {"url": action, "data": {**fields, "action": "login", "username": "alice", "password": f"guess {n}"}}
        for n in range(BURST - 1)
    ]
    right = {"url": action, "data": {**fields, "action": "login", "username": "alice", "password": PASSWORD}}
    statuses = Counter(
        response.status_code for response in burst([{**r, "cookies": cookies} for r in [*guesses, right]])
    )
    # At most LIMIT attempts had their password checked; the right one got in only if it was
    # one of them: 49 wrong guesses did not buy it a place.
    assert statuses[429] == BURST - LIMIT, statuses
    assert statuses[401] + statuses[302] == LIMIT and statuses[302] <= 1


def test_a_burst_at_the_password_grant_is_cut_at_the_limit(provider, issuer, tenant, user):
    tenant_admin.update_settings(tenant.id, {"grant_type_password_enable": True})
    client, secret = client_admin.create_client(
        tenant.id, name="Legacy", client_type="confidential", response_types=[], grant_types=["password"]
    )
    grant = {"grant_type": "password", "username": "alice", "scope": "openid"}
    answers = burst(
        [
            {"url": f"{issuer}/token", "data": {**grant, "password": f"guess {n}"}, "auth": (client.client_id, secret)}
            for n in range(BURST)
        ]
    )
    descriptions = Counter(response.json().get("error_description") for response in answers)
    assert descriptions == {"too many attempts: try again later": BURST - LIMIT, "wrong username or password": LIMIT}
    # The limit holds after the burst too, for the right password as for any other.
    late = post(f"{issuer}/token", {**grant, "password": PASSWORD}, auth=(client.client_id, secret))
    assert late.status_code == 400 and late.json()["error_description"] == "too many attempts: try again later"


def test_a_botnet_spraying_one_password_is_stopped_per_source(provider, issuer, tenant, confidential_client, user):
    """Password spraying: each source tries one password on many accounts. The per-account
    limits never fill; each source's limit does, and sources are told apart."""
    tenant_admin.update_settings(tenant.id, {"login_attempts_per_source": 5})
    client_id = confidential_client[0].client_id
    sources = [f"127.0.0.{n}" for n in range(2, 6)]
    tries = []
    for source in sources:
        browser, action, fields = login_form(provider, issuer, client_id)
        cookies = browser.session.cookies.get_dict()
        for n in range(8):
            data = {**fields, "action": "login", "username": f"user{n}", "password": "Winter2026!"}
            tries.append({"url": action, "data": data, "source": source, "cookies": cookies})
    answers = burst(tries)
    by_source = {source: Counter() for source in sources}
    for request, response in zip(tries, answers, strict=True):
        by_source[request["source"]][response.status_code] += 1
    assert all(counts == {401: 5, 429: 3} for counts in by_source.values()), by_source

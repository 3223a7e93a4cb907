"""Abuse suite, over HTTP: what an attacker with a client of their own, or a program on the
user's machine, tries against the provider's pages and tokens.

- hostile URIs (CSP injection, header injection) at registration and in the admin API;
- the login and consent pages framed by another site;
- a public client's consent taken silently on any loopback port (RFC 8252 §8.6);
- tokens that outlive their client;
- the limits telling a known account from an unknown one.
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from chalicelib.admin import tenants as tenant_admin
from tests.integration.conftest import PASSWORD, authorization_url, obtain_code, redeem
from tests.support.user_agent import UserAgent

LOOPBACK = "http://127.0.0.1/callback"


@pytest.fixture
def tenant(provider):
    """Open registration; one tenant per test on the default key backend."""
    settings = {"client_registration": "open"}
    return tenant_admin.create_tenant(f"abuse-{uuid.uuid4().hex[:10]}", "Abuse", settings=settings)


@pytest.fixture
def admin(tenant):
    key, _ = tenant_admin.issue_admin_key(tenant.id)
    return {"Authorization": f"Bearer {key}"}


HOSTILE = [
    "https://rp.example;frame-ancestors *",
    "https://rp.example frame-ancestors *",
    "https://rp.example/cb\r\nSet-Cookie: op_session=x",
    "https://rp.example/cb\nLocation: https://evil.example",
    "https://evil@rp.example/cb",
    "https://rp.example/cb#fragment",
    "javascript:alert(1)",
    "https://rp.exa\u0000mple/cb",
]


@pytest.mark.parametrize("uri", HOSTILE)
def test_hostile_uris_are_refused_at_registration_and_by_the_admin(provider, issuer, tenant, admin, uri):
    for field in ("redirect_uris", "post_logout_redirect_uris"):
        extra = {} if field == "redirect_uris" else {"redirect_uris": ["https://rp.example/cb"]}
        registered = requests.post(f"{issuer}/register", json={**extra, field: [uri]}, timeout=30)
        assert registered.status_code == 400, registered.text
        assert registered.json()["error"] in ("invalid_redirect_uri", "invalid_client_metadata")
        created = requests.post(
            f"{provider}/admin/tenants/{tenant.id}/clients",
            json={"name": "Hostile", "client_type": "confidential", **extra, field: [uri]},
            headers=admin,
            timeout=30,
        )
        assert created.status_code == 400, created.text
    listed = requests.get(f"{provider}/admin/tenants/{tenant.id}/clients", headers=admin, timeout=30)
    assert listed.json()["clients"] == []  # nothing was stored


def test_the_sign_in_pages_cannot_be_framed(provider, issuer, confidential_client, user):
    agent = UserAgent(provider)
    login = agent.visit(authorization_url(issuer, confidential_client[0].client_id))
    consent = agent.submit(login, "login", username="alice", password=PASSWORD)
    for page in (login, consent):
        policy = page.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy and page.headers["X-Frame-Options"] == "DENY"
        directives = [part.split()[0] for part in policy.split(";") if part.strip()]
        assert directives.count("frame-ancestors") == 1  # no second, looser one smuggled in


def test_a_public_clients_consent_is_never_taken_silently(provider, issuer, public_client, user):
    challenge = {"code_challenge": "c" * 43, "code_challenge_method": "plain"}
    app = "http://127.0.0.1:5000/callback"
    agent = UserAgent(provider)
    agent.sign_in(authorization_url(issuer, public_client.client_id, app, **challenge), "alice", PASSWORD)
    impostor = "http://127.0.0.1:6666/callback"  # any program listening on another port
    silent = agent.visit(authorization_url(issuer, public_client.client_id, impostor, prompt="none", **challenge))
    assert silent.status_code == 302
    assert parse_qs(urlsplit(silent.headers["Location"]).query)["error"] == ["consent_required"]
    asked = agent.visit(authorization_url(issuer, public_client.client_id, impostor, **challenge))
    assert asked.status_code == 200 and "Allow" in asked.text


def test_a_deleted_clients_tokens_die(provider, issuer, tenant, admin, confidential_client, user):
    client, _ = confidential_client
    tokens = redeem(issuer, confidential_client, obtain_code(provider, issuer, client.client_id)).json()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert requests.get(f"{issuer}/userinfo", headers=bearer, timeout=30).status_code == 200
    deleted = requests.delete(
        f"{provider}/admin/tenants/{tenant.id}/clients/{client.client_id}", headers=admin, timeout=30
    )
    assert deleted.status_code == 204
    assert requests.get(f"{issuer}/userinfo", headers=bearer, timeout=30).status_code == 401


def test_known_and_unknown_accounts_answer_alike(provider, issuer, tenant, confidential_client, user):
    """Same statuses, same words (but for the minutes left), for an account that exists and
    one that does not, up to and past the limit."""
    tenant_admin.update_settings(tenant.id, {"login_attempts_per_account": 3, "login_free_failures": 3})

    def attempts(username: str) -> list[tuple[int, str]]:
        agent = UserAgent(provider)
        page = agent.visit(authorization_url(issuer, confidential_client[0].client_id))
        seen = []
        for _ in range(5):
            response = agent.submit(page, "login", username=username, password="wrong password")
            message = response.text.split('role="alert"', 1)[1].split(">", 1)[1].split("<", 1)[0]
            seen.append((response.status_code, re.sub(r"\d+ minutes?", "N minutes", message)))
            page = response
        return seen

    known, unknown = attempts("alice"), attempts("nobody-here")
    assert known == unknown
    assert [status for status, _ in known] == [401, 401, 401, 429, 429]
    assert known[-1][1] == "Too many attempts. Try again in N minutes."

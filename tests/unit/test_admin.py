"""The admin services refuse what would be unsafe to store, and store secrets only hashed."""

from __future__ import annotations

import json

import pytest

from chalicelib.accounts.authenticate import attempt, authenticate
from chalicelib.admin import AdminError
from chalicelib.admin import clients as client_admin
from chalicelib.admin import tenants as tenant_admin
from chalicelib.admin import users as user_admin
from chalicelib.opaque import digest
from chalicelib.tenancy.settings import TenantSettings
from tests.unit.conftest import PASSWORD, REDIRECT_URI

NOW = 1_800_000_000


@pytest.mark.parametrize(
    "changes",
    [
        {"redirect_uris": []},
        {"redirect_uris": ["http://rp.example.com/callback"]},  # plain http off this machine
        {"redirect_uris": ["https://rp.example.com/cb#fragment"]},
        {"redirect_uris": ["/relative"]},
        {"redirect_uris": ["com.example.app:/cb"]},  # custom schemes are for public clients
        {"client_type": "trusted"},
        {"name": " "},
        {"response_types": ["code token_x"]},
        {"response_types": ["id_token"], "grant_types": ["authorization_code"]},  # needs implicit
        {"grant_types": ["password", "device_code"]},
        {"scopes": ["admin"]},
        {"website_url": "javascript:alert(1)"},
        {"logo_uri": "data:image/png;base64,AAAA"},
        {"terms_url": "ftp://example.com/terms"},
        {"contact_email": "not an email"},
        {"id_token_signed_response_alg": "ES256"},  # the tenant has no ES256 key
        {"client_type": "public", "id_token_signed_response_alg": "HS256", "client_secret": None},
        {"client_id": "has spaces"},
        {"client_secret": "too-short"},
    ],
)
def test_unsafe_clients_are_refused(tenant, table_items, changes):
    before = table_items()
    options = {"name": "Web", "client_type": "confidential", "redirect_uris": [REDIRECT_URI], **changes}
    with pytest.raises(AdminError):
        client_admin.create_client(tenant.id, **options)
    assert table_items() == before


def test_client_secret_is_stored_as_a_digest_only(tenant, table_items):
    client, secret = client_admin.create_client(
        tenant.id, name="Web", client_type="confidential", redirect_uris=[REDIRECT_URI]
    )
    assert len(secret) >= 43  # 256 random bits
    dump = json.dumps(table_items())
    assert secret not in dump
    assert client.secret_hash == digest(secret) and client.secret_hash in dump


def test_public_clients_have_no_secret_and_may_use_native_redirects(tenant):
    client, secret = client_admin.create_client(
        tenant.id, name="App", client_type="public", redirect_uris=["com.example.app:/cb", "http://127.0.0.1/cb"]
    )
    assert secret is None and client.secret_hash is None and client.token_endpoint_auth_method == "none"
    with pytest.raises(AdminError):
        client_admin.create_client(tenant.id, name="App", client_type="public", redirect_uris=["x:/cb"])


def test_client_ids_are_unique_per_tenant(tenant):
    client_admin.create_client(
        tenant.id, name="A", client_type="public", redirect_uris=[REDIRECT_URI], client_id="same"
    )
    with pytest.raises(AdminError):
        client_admin.create_client(
            tenant.id, name="B", client_type="public", redirect_uris=[REDIRECT_URI], client_id="same"
        )


def sign_in(tenant_id: str, username: str, password: str):
    return authenticate(attempt(tenant_id, username, "192.0.2.1"), password, TenantSettings(), NOW)


def test_passwords_are_argon2id_hashes_and_usernames_case_insensitive(tenant, table_items):
    user = user_admin.create_user(tenant.id, "Alice", PASSWORD, {"email": "a@example.com"})
    dump = json.dumps(table_items())
    assert PASSWORD not in dump and "$argon2id$v=19$m=19456,t=2,p=1$" in dump
    assert sign_in(tenant.id, "ALICE", PASSWORD).sub == user.sub
    assert sign_in(tenant.id, "alice", "wrong") is None
    assert sign_in(tenant.id, "bob", PASSWORD) is None
    with pytest.raises(AdminError):
        user_admin.create_user(tenant.id, "alice", PASSWORD)


def test_user_sub_is_opaque_and_survives_a_password_change(tenant):
    user = user_admin.create_user(tenant.id, "alice", PASSWORD)
    assert "alice" not in user.sub and len(user.sub) >= 22
    user_admin.set_password(tenant.id, "alice", "another good password")
    assert sign_in(tenant.id, "alice", "another good password").sub == user.sub


@pytest.mark.parametrize(
    "claims",
    [{"role": "admin"}, {"email_verified": "yes"}, {"address": "Main St"}, {"address": {"street": "x"}}, {"name": 3}],
)
def test_only_standard_claims_with_their_types(tenant, claims):
    with pytest.raises(AdminError):
        user_admin.create_user(tenant.id, "alice", PASSWORD, claims)


@pytest.mark.parametrize(
    ("tenant_id", "settings"),
    [
        ("admin", {}),
        ("Upper", {}),
        ("a", {}),
        ("ok-id", {"token_expire": 0}),
        ("ok-id", {"token_expire": "1h"}),
        ("ok-id", {"unknown_setting": 1}),
        ("ok-id", {"require_pkce": "never"}),
        ("ok-id", {"branding": {"primary_color": "red; background: url(x)"}}),
        ("ok-id", {"branding": {"logo_uri": "javascript:alert(1)"}}),
    ],
)
def test_bad_tenants_and_settings_are_refused(table_items, tenant_id, settings):
    before = table_items()
    with pytest.raises(AdminError):
        tenant_admin.create_tenant(tenant_id, "Name", settings=settings)
    assert table_items() == before


def test_tenant_ids_are_unique(tenant):
    with pytest.raises(AdminError):
        tenant_admin.create_tenant(tenant.id, "Again")


def test_a_generated_client_id_never_starts_with_a_dash(tenant, monkeypatch):
    """The CLI takes a client_id as an argument, where "-abc" would read as an option."""
    from chalicelib.admin import clients

    ids = iter(["-starts-with-a-dash", "-another", "plain-id"])
    monkeypatch.setattr(clients, "new_id", lambda: next(ids))
    created, _ = clients.create_client(tenant.id, name="Dash", client_type="confidential",
                                       redirect_uris=["https://rp.example.com/cb"])  # fmt: skip
    assert created.client_id == "plain-id"

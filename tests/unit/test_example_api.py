"""The provider's example API (``GET <base>/<tenant>/example/me``, chalicelib/web/example_api.py):
``@protected`` with the tenant's keyring; it takes the tenant's access tokens for
``<issuer>/example`` (RFC 8707) with the profile scope, and nothing else."""

from __future__ import annotations

import json

import pytest

from chalicelib.admin import clients as client_admin
from chalicelib.admin import tenants as tenant_admin
from tests.support.browser import HOST
from tests.unit.flows import ISSUER, basic, body, post_token

EXAMPLE = ISSUER + "/example"


@pytest.fixture
def service(tenant):
    tenant_admin.update_settings(tenant.id, {"resource_servers": [EXAMPLE]})
    return client_admin.create_client(
        tenant.id,
        name="Service",
        client_type="confidential",
        response_types=[],
        grant_types=["client_credentials"],
        scopes=["profile", "email"],
    )


def access_token(http, service, scope: str = "profile", resource: str | None = EXAMPLE) -> str:
    registered, secret = service
    form = {"grant_type": "client_credentials", "scope": scope, **({"resource": resource} if resource else {})}
    return body(post_token(http, form, basic(registered.client_id, secret)))["access_token"]


def me(http, authorization: str | None, tenant: str = "acme"):
    headers = {"host": HOST, **({"authorization": authorization} if authorization else {})}
    return http.get(f"/{tenant}/example/me", headers=headers)


def test_a_token_for_the_example_api_reads_who_it_speaks_for(http, service):
    response = me(http, "Bearer " + access_token(http, service))
    assert response.status_code == 200, response.body
    answer = json.loads(response.body)
    client_id = service[0].client_id
    assert answer == {"sub": client_id, "client_id": client_id, "scope": "profile", "aud": EXAMPLE}
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("scope", "resource", "status", "challenge"),
    [
        ("profile", None, 401, 'Bearer error="invalid_token"'),  # a token for UserInfo, not this API
        ("email", EXAMPLE, 403, 'Bearer error="insufficient_scope", scope="profile"'),
    ],
)
def test_other_tokens_are_refused(http, service, scope, resource, status, challenge):
    response = me(http, "Bearer " + access_token(http, service, scope, resource))
    assert response.status_code == status and response.headers["WWW-Authenticate"] == challenge
    assert json.loads(response.body) == {"error": challenge.split('"')[1]}


def test_another_tenants_token_is_refused(http, service):
    tenant_admin.create_tenant("other", "Other")
    response = me(http, "Bearer " + access_token(http, service), tenant="other")
    assert response.status_code == 401 and response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


@pytest.mark.parametrize("tenant", ["nobody", "UPPER", "a" * 300])
def test_an_unknown_tenant_is_not_found(http, tenant):
    assert me(http, "Bearer a.b.c", tenant=tenant).status_code == 404


def test_an_expired_token_is_refused(http, service, clock):
    token = access_token(http, service)
    clock[0] += 3600 + 31  # token_expire, and the leeway
    assert me(http, "Bearer " + token).status_code == 401

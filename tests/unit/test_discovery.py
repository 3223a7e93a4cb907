"""Discovery and JWKS per tenant; the issuer is the same everywhere it appears."""

from __future__ import annotations

import json

import pytest

from tests.support.browser import HOST


def get(http, path: str, **headers: str):
    return http.get(path, headers={"host": HOST, **headers})


def test_discovery_document(http, tenant):
    response = get(http, "/acme/.well-known/openid-configuration")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    metadata = json.loads(response.body)
    issuer = "http://op.example.test/acme"
    assert metadata["issuer"] == issuer
    for name, path in [
        ("authorization_endpoint", "/authorize"),
        ("token_endpoint", "/token"),
        ("userinfo_endpoint", "/userinfo"),
        ("jwks_uri", "/jwks.json"),
        ("introspection_endpoint", "/introspect"),
        ("revocation_endpoint", "/revoke"),
        ("end_session_endpoint", "/end-session"),
        ("device_authorization_endpoint", "/device_authorization"),
    ]:
        assert metadata[name] == issuer + path
    assert metadata["response_types_supported"] == [
        "code",
        "id_token",
        "id_token token",
        "token",
        "code id_token",
        "code token",
        "code id_token token",
    ]
    assert metadata["subject_types_supported"] == ["public", "pairwise"]
    assert metadata["id_token_signing_alg_values_supported"] == ["RS256", "HS256"]
    assert metadata["grant_types_supported"] == [
        "authorization_code",
        "refresh_token",
        "client_credentials",
        "urn:ietf:params:oauth:grant-type:device_code",
        "implicit",
    ]
    assert metadata["code_challenge_methods_supported"] == ["S256", "plain"]
    assert metadata["request_uri_parameter_supported"] is False
    assert metadata["backchannel_logout_supported"] and metadata["frontchannel_logout_session_supported"]
    assert "check_session_iframe" not in metadata  # off unless the tenant turns it on
    assert "c_hash" in metadata["claims_supported"] and "sid" in metadata["claims_supported"]


def test_discovery_follows_tenant_settings(http, tenant):
    from chalicelib.admin.tenants import update_settings

    extra = {"books": {"title": "Your books", "description": "Read your library.", "claims": ["library_card"]}}
    update_settings(
        tenant.id,
        {
            "session_management_enable": True,
            "grant_type_password_enable": True,
            "extra_scopes": extra,
            "client_registration": "token",
        },
    )
    metadata = json.loads(get(http, "/acme/.well-known/openid-configuration").body)
    assert metadata["check_session_iframe"] == "http://op.example.test/acme/check-session"
    assert "password" in metadata["grant_types_supported"]
    assert metadata["registration_endpoint"] == "http://op.example.test/acme/register"
    assert "books" in metadata["scopes_supported"] and "library_card" in metadata["claims_supported"]


def test_rfc8414_locations_serve_the_same_metadata(http, tenant):
    expected = json.loads(get(http, "/acme/.well-known/openid-configuration").body)
    assert json.loads(get(http, "/acme/.well-known/oauth-authorization-server").body) == expected
    assert json.loads(get(http, "/.well-known/oauth-authorization-server/acme").body) == expected


def test_jwks_lists_public_keys_only(http, tenant):
    keys = json.loads(get(http, "/acme/jwks.json").body)["keys"]
    assert [key["kid"] for key in keys] == [tenant.keys[0]["kid"]]
    assert keys[0]["kty"] == "RSA" and keys[0]["alg"] == "RS256" and keys[0]["use"] == "sig"
    assert "d" not in keys[0] and "p" not in keys[0]


def test_tenants_have_separate_issuers_and_keys(http, tenant):
    from chalicelib.admin.tenants import create_tenant

    create_tenant("globex", "Globex")
    first = json.loads(get(http, "/acme/.well-known/openid-configuration").body)
    second = json.loads(get(http, "/globex/.well-known/openid-configuration").body)
    assert first["issuer"] != second["issuer"]
    assert get(http, "/acme/jwks.json").body != get(http, "/globex/jwks.json").body


@pytest.mark.parametrize(
    "path", ["/nope/.well-known/openid-configuration", "/health-check/jwks.json", "/ADMIN/jwks.json"]
)
def test_unknown_tenant_is_a_json_404(http, tenant, path):
    response = get(http, path)
    assert response.status_code == 404
    assert json.loads(response.body)["error"] == "not_found"


def test_health(http):
    assert json.loads(http.get("/health").body) == {"status": "ok"}

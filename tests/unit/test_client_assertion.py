"""Client authentication with a JWT (RFC 7523 §2.2/§3, OIDC Core §9) at the token,
introspection and revocation endpoints, over HTTP: private_key_jwt with registered keys
(RS256, PS256, ES256, EdDSA) and client_secret_jwt (HS256 with the secret). A refused
assertion is invalid_client and writes nothing; an accepted one writes only its jti."""

from __future__ import annotations

import base64
import json
from urllib.parse import urlencode

import jwt
import pytest

from chalicelib.admin import clients as client_admin
from tests.support.browser import HOST
from tests.support.client_keys import ASSERTION_TYPE, assertion, public_jwk
from tests.unit.flows import ISSUER, basic, body

TOKEN_ENDPOINT = f"{ISSUER}/token"
JWKS = {
    "keys": [
        public_jwk("RSA", "rsa"),
        public_jwk("EC", "ec"),
        public_jwk("OKP", "ed"),
    ]
}


@pytest.fixture
def key_client(tenant):
    client, _ = client_admin.create_client(
        tenant.id,
        name="Signer",
        client_type="confidential",
        grant_types=["client_credentials"],
        token_endpoint_auth_method="private_key_jwt",
        jwks=JWKS,
        scopes=["token_introspection"],
    )
    return client


@pytest.fixture
def secret_client(tenant):
    return client_admin.create_client(
        tenant.id,
        name="Shared secret",
        client_type="confidential",
        grant_types=["client_credentials"],
        token_endpoint_auth_method="client_secret_jwt",
    )


def post(http, path: str, form: dict[str, str], authorization: str | None = None):
    headers = {"host": HOST, "content-type": "application/x-www-form-urlencoded"}
    if authorization:
        headers["authorization"] = authorization
    return http.post(f"/acme/{path}", headers=headers, body=urlencode(form))


def token(http, signed: str, client_id: str | None = None, **extra: str):
    form = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE, "client_assertion": signed}
    if client_id is not None:
        form["client_id"] = client_id
    return post(http, "token", {**form, **extra})


def replay_items(table_items) -> list[dict]:
    return [item for item in table_items() if item["sk"]["S"].startswith("replay#")]


@pytest.mark.parametrize(
    ("alg", "kid"),
    [("RS256", "rsa"), ("PS256", "rsa"), ("ES256", "ec"), ("EdDSA", "ed"), ("Ed25519", "ed"), ("ES256", None)],
)
def test_private_key_jwt_gets_a_token_and_records_its_jti(http, key_client, table_items, alg, kid):
    before = table_items()
    response = token(http, assertion(key_client.client_id, ISSUER, alg=alg, kid=kid), key_client.client_id)
    assert response.status_code == 200, response.body
    claims = jwt.decode(body(response)["access_token"], options={"verify_signature": False})
    assert claims["client_id"] == key_client.client_id
    added = [item for item in table_items() if item not in before]
    assert [item["sk"]["S"][:7] for item in added] == ["replay#"]  # the jti, and nothing else
    assert int(added[0]["ttl"]["N"]) > claims["iat"]  # kept until the assertion expires


def test_the_issuer_is_the_audience(http, key_client):
    response = token(http, assertion(key_client.client_id, ISSUER))  # client_id from the assertion
    assert response.status_code == 200, response.body


@pytest.mark.parametrize("audience", [TOKEN_ENDPOINT, [ISSUER], [ISSUER, "https://other.example"], f"{ISSUER}/par"])
def test_an_endpoint_url_or_a_list_is_not_the_audience(http, key_client, table_items, audience):
    """RFC 7523bis and FAPI 2.0: the issuer alone. An assertion a client signed for an
    endpoint URL may have been asked for by another server that published this provider's
    token endpoint as its own, to replay here (the OpenID Foundation's January 2025 notice)."""
    before = table_items()
    response = token(http, assertion(key_client.client_id, audience))
    assert response.status_code == 401 and body(response)["error"] == "invalid_client"
    assert "issuer" in body(response)["error_description"] and table_items() == before


def test_a_replayed_assertion_is_refused_and_writes_nothing(http, key_client, table_items):
    signed = assertion(key_client.client_id, ISSUER)
    assert token(http, signed, key_client.client_id).status_code == 200
    before = table_items()
    replayed = token(http, signed, key_client.client_id)
    assert replayed.status_code == 401 and body(replayed)["error"] == "invalid_client"
    assert "jti" in body(replayed)["error_description"]
    assert table_items() == before


def _unsigned(client_id: str) -> str:
    def segment(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    now = int(__import__("time").time())
    claims = {"iss": client_id, "sub": client_id, "aud": ISSUER, "exp": now + 60, "jti": "unsigned"}
    return f"{segment({'alg': 'none'})}.{segment(claims)}."


def _bad_assertions(client_id: str, secret: str) -> list[tuple[str, str]]:
    """(assertion, what is wrong with it), each refused with invalid_client."""
    return [
        (assertion(client_id, "https://other.example/token"), "aud"),
        (assertion(client_id, f"{ISSUER}/userinfo"), "aud"),
        (assertion(client_id, ISSUER, aud=None), "aud"),
        (assertion(client_id, ISSUER, exp=None), "exp"),
        (assertion(client_id, ISSUER, exp=int(__import__("time").time()) - 5), "expired"),
        (assertion(client_id, ISSUER, exp=int(__import__("time").time()) + 7200), "at most"),
        (assertion(client_id, ISSUER, exp="soon"), "NumericDate"),
        (assertion(client_id, ISSUER, exp=10**400), "at most"),  # past a float's range: compared as an int
        (assertion(client_id, ISSUER, iat=10**400), "iat"),
        (assertion(client_id, ISSUER, iat=int(__import__("time").time()) + 600), "iat"),
        (assertion(client_id, ISSUER, nbf=int(__import__("time").time()) + 600), "nbf"),
        (assertion(client_id, ISSUER, jti=None), "jti"),
        (assertion(client_id, ISSUER, jti="x" * 300), "jti"),
        (assertion(client_id, ISSUER, iss="someone-else"), "iss"),
        (assertion(client_id, ISSUER, sub="someone-else"), "iss"),
        (assertion(client_id, ISSUER, kid="ec"), "signature"),  # RS256 header, the EC key's kid
        (assertion(client_id, ISSUER, kid="unknown"), "signature"),
        (assertion(client_id, ISSUER, alg="HS256", kid=None, key=secret), "signed with"),  # wrong method
        (assertion(client_id, ISSUER, alg="RS384", kid="rsa"), "signed with"),
        (_unsigned(client_id), "signed with"),
        (assertion(client_id, ISSUER)[:-4] + "AAAA", "signature"),
        ("not.a.jwt", "credentials"),
        ("a.b.c.d", "credentials"),
    ]


def test_bad_private_key_jwt_assertions_are_invalid_client_and_write_nothing(http, key_client, table_items):
    before = table_items()
    for signed, reason in _bad_assertions(key_client.client_id, "s" * 43):
        response = token(http, signed, key_client.client_id)
        assert response.status_code == 401, (reason, response.body)
        assert body(response)["error"] == "invalid_client", reason
        assert reason in body(response)["error_description"], (reason, body(response))
        assert response.headers["Cache-Control"] == "no-store"
    assert table_items() == before


def test_client_secret_jwt_uses_the_secret_and_nothing_else(http, secret_client, table_items):
    client, secret = secret_client
    before = table_items()
    refused = [
        token(http, assertion(client.client_id, ISSUER, alg="HS256", kid=None, key="wrong" * 9)),
        token(http, assertion(client.client_id, ISSUER, alg="RS256")),  # a key, not the secret
        token(http, assertion(client.client_id, ISSUER, alg="HS256", kid=None, key=secret, exp=None)),
        post(http, "token", {"grant_type": "client_credentials"}, basic(client.client_id, secret)),
        post(
            http, "token", {"grant_type": "client_credentials", "client_id": client.client_id, "client_secret": secret}
        ),
    ]
    for response in refused:
        assert response.status_code == 401 and body(response)["error"] == "invalid_client", response.body
    assert table_items() == before
    signed = assertion(client.client_id, ISSUER, alg="HS256", kid=None, key=secret)
    assert token(http, signed).status_code == 200
    assert token(http, signed).status_code == 401  # its jti is spent


def test_a_secret_client_cannot_use_an_assertion(http, client, table_items):
    registered, secret = client
    before = table_items()
    response = token(http, assertion(registered.client_id, ISSUER, alg="HS256", kid=None, key=secret))
    # Refused without saying how the client does authenticate (or that it exists).
    assert response.status_code == 401 and body(response)["error_description"] == "unknown client or wrong credentials"
    assert table_items() == before


@pytest.mark.parametrize(
    ("form", "authorization"),
    [
        ({"client_assertion_type": "urn:other"}, None),
        ({"client_assertion_type": None}, None),
        ({"client_secret": "s" * 43}, None),
        ({}, "basic"),
        ({"client_id": "someone-else"}, None),
    ],
)
def test_malformed_or_mixed_authentication_is_refused(http, key_client, table_items, form, authorization):
    before = table_items()
    fields = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion(key_client.client_id, ISSUER),
        **form,
    }
    fields = {name: value for name, value in fields.items() if value is not None}
    header = basic(key_client.client_id, "s" * 43) if authorization else None
    response = post(http, "token", fields, header)
    assert response.status_code in (400, 401)
    assert body(response)["error"] in ("invalid_request", "invalid_client")
    assert table_items() == before


def test_the_signing_alg_a_client_registered_is_the_only_one(http, tenant, key_client):
    client_admin.update_client(tenant.id, key_client.client_id, token_endpoint_auth_signing_alg="ES256")
    refused = token(http, assertion(key_client.client_id, ISSUER, alg="RS256"))
    assert refused.status_code == 401 and "ES256" in body(refused)["error_description"]
    assert token(http, assertion(key_client.client_id, ISSUER, alg="ES256", kid="ec")).status_code == 200


def test_introspection_and_revocation_take_assertions_for_the_issuer(http, key_client):
    issued = body(token(http, assertion(key_client.client_id, ISSUER)))["access_token"]
    for path, audience in (("introspect", ISSUER), ("revoke", ISSUER)):
        form = {
            "token": issued,
            "client_id": key_client.client_id,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion(key_client.client_id, audience),
        }
        response = post(http, path, form)
        assert response.status_code == 200, (path, response.body)
        if path == "introspect":
            assert body(response)["active"] is True
    other_endpoint = assertion(key_client.client_id, f"{ISSUER}/revoke")
    response = post(
        http,
        "introspect",
        {"token": issued, "client_assertion_type": ASSERTION_TYPE, "client_assertion": other_endpoint},
    )
    assert response.status_code == 401 and body(response)["error"] == "invalid_client"


def test_discovery_lists_the_methods_and_algorithms(http):
    from chalicelib.admin import tenants as tenant_admin

    tenant_admin.create_tenant("acme", "Acme")
    document = json.loads(http.get("/acme/.well-known/openid-configuration", headers={"host": HOST}).body)
    assert document["token_endpoint_auth_methods_supported"] == [
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
        "client_secret_jwt",
        "none",
    ]
    assert document["token_endpoint_auth_signing_alg_values_supported"] == [
        "RS256",
        "PS256",
        "ES256",
        "EdDSA",
        "Ed25519",
        "HS256",
    ]
    assert "none" not in document["introspection_endpoint_auth_methods_supported"]
    assert (
        document["revocation_endpoint_auth_signing_alg_values_supported"]
        == document["token_endpoint_auth_signing_alg_values_supported"]
    )


def test_a_rotated_secret_signs_from_then_on(http, tenant, secret_client, table_items):
    """The new secret is kept encrypted in place of the old one: the old one's assertions fail."""
    client, old = secret_client
    _, new = client_admin.rotate_secret(tenant.id, client.client_id)
    stored = client_admin.get_client(tenant.id, client.client_id)
    assert stored.secret_ciphertext not in (None, client.secret_ciphertext)
    assert new not in json.dumps(table_items())  # encrypted, never in the clear
    refused = token(http, assertion(client.client_id, ISSUER, alg="HS256", kid=None, key=old))
    assert refused.status_code == 401
    assert token(http, assertion(client.client_id, ISSUER, alg="HS256", kid=None, key=new)).status_code == 200

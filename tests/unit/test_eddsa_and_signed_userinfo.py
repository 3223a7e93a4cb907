"""EdDSA (Ed25519) signing keys (RFC 8037) and signed UserInfo responses (OIDC Core §5.3.2),
driven through the routes as an RP would."""

from __future__ import annotations

import json

import jwt
import pytest

from tests.support.browser import HOST
from tests.unit.conftest import REDIRECT_URI
from tests.unit.flows import ISSUER, body, obtain_code, redeem


def jwks(http) -> dict[str, dict]:
    keys = json.loads(http.get("/acme/jwks.json", headers={"host": HOST}).body)["keys"]
    return {key["kid"]: key for key in keys}


def verified(http, token: str, audience: str) -> dict:
    header = jwt.get_unverified_header(token)
    key = jwks(http)[header["kid"]] if "kid" in header else None
    return jwt.decode(token, jwt.PyJWK(key).key, algorithms=[header["alg"]], audience=audience, issuer=ISSUER)


def userinfo(http, access_token: str, tenant: str = "acme"):
    return http.get(f"/{tenant}/userinfo", headers={"host": HOST, "authorization": f"Bearer {access_token}"})


def new_client(tenant, **fields):
    from chalicelib.admin.clients import create_client

    return create_client(tenant.id, name="RP", client_type="confidential", redirect_uris=[REDIRECT_URI], **fields)


def test_an_ed25519_key_is_published_with_its_rfc_7638_thumbprint_as_kid():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from chalicelib.keys.jwk import public_jwk
    from chalicelib.opaque import b64url

    # RFC 8037 Appendix A.2 (the public key) and A.3 (its thumbprint).
    x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
    raw = jwt.utils.base64url_decode(x)
    jwk = public_jwk(Ed25519PublicKey.from_public_bytes(raw), "EdDSA")
    assert jwk == {
        "crv": "Ed25519",
        "kty": "OKP",
        "x": b64url(raw),
        "kid": "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k",
        "alg": "EdDSA",
        "use": "sig",
    }


def test_an_eddsa_client_gets_ed25519_id_tokens_that_verify_against_the_jwks(http, browser, tenant, user):
    from chalicelib.admin.keys import rotate_key

    rotate_key(tenant.id, "EdDSA", immediately=True)
    discovery = json.loads(http.get("/acme/.well-known/openid-configuration", headers={"host": HOST}).body)
    assert "EdDSA" in discovery["id_token_signing_alg_values_supported"]
    client = new_client(tenant, id_token_signed_response_alg="EdDSA")
    tokens = body(redeem(http, client, obtain_code(browser, client[0].client_id)))
    header = jwt.get_unverified_header(tokens["id_token"])
    assert header["alg"] == "EdDSA" and jwks(http)[header["kid"]]["crv"] == "Ed25519"
    assert verified(http, tokens["id_token"], client[0].client_id)["sub"]
    # The access token stays RS256, which every resource server verifies (RFC 9068 §2.1).
    assert jwt.get_unverified_header(tokens["access_token"])["alg"] == "RS256"


def test_a_tenant_can_sign_with_eddsa_alone(http, browser):
    from chalicelib.admin.clients import create_client
    from chalicelib.admin.tenants import create_tenant
    from chalicelib.admin.users import create_user
    from tests.unit.conftest import PASSWORD

    create_tenant("edwards", "Edwards", settings={"key_algorithm": "EdDSA"})
    create_user("edwards", "alice", PASSWORD, {"email": "alice@example.com"})
    registered, secret = create_client(
        "edwards",
        name="RP",
        client_type="confidential",
        redirect_uris=[REDIRECT_URI],
        id_token_signed_response_alg="EdDSA",
    )
    keys = json.loads(http.get("/edwards/jwks.json", headers={"host": HOST}).body)["keys"]
    assert [(key["kty"], key["alg"]) for key in keys] == [("OKP", "EdDSA")]
    code = obtain_code(browser, registered.client_id, tenant="edwards")
    from tests.unit.flows import basic

    answer = http.post(
        "/edwards/token",
        headers={
            "host": HOST,
            "content-type": "application/x-www-form-urlencoded",
            "authorization": basic(registered.client_id, secret),
        },
        body=f"grant_type=authorization_code&code={code}&redirect_uri={REDIRECT_URI}",
    )
    tokens = json.loads(answer.body)
    for token in (tokens["id_token"], tokens["access_token"]):
        assert jwt.get_unverified_header(token)["alg"] == "EdDSA"
    assert userinfo(http, tokens["access_token"], "edwards").status_code == 200  # its access token verifies too


@pytest.mark.parametrize("alg", ["RS256", "HS256"])
def test_a_client_that_asks_for_signed_userinfo_gets_a_jwt(http, browser, tenant, user, alg):
    client = new_client(tenant, userinfo_signed_response_alg=alg)
    tokens = body(redeem(http, client, obtain_code(browser, client[0].client_id, scope="openid email")))
    answer = userinfo(http, tokens["access_token"])
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/jwt" and answer.headers["Cache-Control"] == "no-store"
    token = answer.body.decode() if isinstance(answer.body, bytes) else answer.body
    if alg == "HS256":
        claims = jwt.decode(token, client[1], algorithms=["HS256"], audience=client[0].client_id, issuer=ISSUER)
    else:
        claims = verified(http, token, client[0].client_id)
    assert claims["sub"] == verified(http, tokens["id_token"], client[0].client_id)["sub"]
    assert claims["email"] == "alice@example.com" and claims["aud"] == client[0].client_id
    # Another client's UserInfo is still plain JSON.
    plain = new_client(tenant)
    tokens = body(redeem(http, plain, obtain_code(browser, plain[0].client_id)))
    answer = userinfo(http, tokens["access_token"])
    assert answer.headers["Content-Type"] == "application/json" and json.loads(answer.body)["sub"] == claims["sub"]


def test_discovery_lists_the_userinfo_signing_algorithms(http, tenant):
    discovery = json.loads(http.get("/acme/.well-known/openid-configuration", headers={"host": HOST}).body)
    assert discovery["userinfo_signing_alg_values_supported"] == discovery["id_token_signing_alg_values_supported"]


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"userinfo_signed_response_alg": "ES256"}, "no active ES256 key"),
        ({"userinfo_signed_response_alg": "none"}, "no active none key"),
        ({"userinfo_signed_response_alg": 256}, "userinfo_signed_response_alg"),
    ],
)
def test_an_algorithm_the_tenant_cannot_sign_with_is_refused(tenant, fields, message):
    from chalicelib.admin import AdminError

    with pytest.raises(AdminError, match=message):
        new_client(tenant, **fields)


def test_dynamic_registration_takes_and_returns_the_userinfo_algorithm(http, tenant):
    from chalicelib.admin.tenants import update_settings

    update_settings(tenant.id, {"client_registration": "open"})
    headers = {"host": HOST, "content-type": "application/json"}
    metadata = {"redirect_uris": [REDIRECT_URI], "userinfo_signed_response_alg": "RS256"}
    answer = http.post("/acme/register", headers=headers, body=json.dumps(metadata))
    assert answer.status_code == 201 and json.loads(answer.body)["userinfo_signed_response_alg"] == "RS256"
    refused = http.post(
        "/acme/register", headers=headers, body=json.dumps({**metadata, "userinfo_signed_response_alg": "PS256"})
    )
    assert refused.status_code == 400 and json.loads(refused.body)["error"] == "invalid_client_metadata"


def test_the_kms_backend_does_not_take_eddsa():
    from chalicelib.admin import AdminError
    from chalicelib.admin.keys import new_key
    from chalicelib.tenancy.settings import TenantSettings

    with pytest.raises(ValueError, match="EdDSA keys are envelope or secretsmanager"):
        TenantSettings.from_mapping({"key_backend": "kms", "key_algorithm": "EdDSA"})
    with pytest.raises(AdminError, match="does not offer EdDSA"):
        new_key("acme", "EdDSA", "kms")

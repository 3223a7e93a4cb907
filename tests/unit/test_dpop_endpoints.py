"""DPoP (RFC 9449) over HTTP at the token endpoint, UserInfo, introspection and revocation:
tokens bound to the proof's key (cnf.jkt, token_type DPoP), a public client's refresh token
bound too, the scheme and proof a bound token needs at UserInfo, server nonces, and the
per-client dpop_bound_access_tokens. A refused request gets the spec's error and status and
writes nothing."""

from __future__ import annotations

import base64
import hashlib
import json
from urllib.parse import urlencode

import jwt
import pytest

from chalicelib.admin import clients as client_admin
from chalicelib.admin import tenants as tenant_admin
from chalicelib.oidc import dpop
from tests.support.browser import HOST
from tests.support.dpop import proof, thumbprint
from tests.unit.conftest import REDIRECT_URI
from tests.unit.flows import ISSUER, basic, body, obtain_code

TOKEN = f"{ISSUER}/token"
USERINFO = f"{ISSUER}/userinfo"
VERIFIER = "v" * 64
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()


@pytest.fixture
def app_client(tenant):
    """A public client (RFC 9449 is written for them first): PKCE, no secret."""
    client, _ = client_admin.create_client(tenant.id, name="App", client_type="public", redirect_uris=[REDIRECT_URI])
    return client


def post(http, path: str, form: dict[str, str], **headers: str):
    headers = {"host": HOST, "content-type": "application/x-www-form-urlencoded", **headers}
    return http.post(f"/acme/{path}", headers=headers, body=urlencode(form))


def code_for(browser, client) -> str:
    return obtain_code(browser, client.client_id, code_challenge=CHALLENGE, code_challenge_method="S256")


def redeem(http, client, code: str, **headers: str):
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    form.update(client_id=client.client_id, code_verifier=VERIFIER)
    return post(http, "token", form, **headers)


def refresh(http, client, refresh_token: str, **headers: str):
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client.client_id}
    return post(http, "token", form, **headers)


def userinfo(http, authorization: str, **headers: str):
    return http.get("/acme/userinfo", headers={"host": HOST, "authorization": authorization, **headers})


def claims_of(access_token: str) -> dict:
    return jwt.decode(access_token, options={"verify_signature": False})


def bound_tokens(http, browser, client, alg: str = "ES256") -> dict:
    response = redeem(http, client, code_for(browser, client), dpop=proof("POST", TOKEN, alg=alg))
    assert response.status_code == 200, response.body
    return body(response)


def test_a_proof_at_the_token_endpoint_binds_the_access_and_the_public_clients_refresh_token(
    http, browser, app_client, user
):
    response = redeem(http, app_client, code_for(browser, app_client), dpop=proof("POST", TOKEN))
    tokens = body(response)
    assert response.status_code == 200, tokens
    assert tokens["token_type"] == "DPoP"
    assert claims_of(tokens["access_token"])["cnf"] == {"jkt": thumbprint("ES256")}
    assert len(response.headers["DPoP-Nonce"]) == 22  # always a fresh nonce to pick up (§8.2)
    # The refresh grant needs a proof from the same key, and binds the new access token.
    again = refresh(http, app_client, tokens["refresh_token"], dpop=proof("POST", TOKEN))
    assert again.status_code == 200, again.body
    assert body(again)["token_type"] == "DPoP"
    assert claims_of(body(again)["access_token"])["cnf"] == {"jkt": thumbprint("ES256")}


@pytest.mark.parametrize(
    "headers",
    [
        {},  # no proof at all
        {"dpop": "other key"},  # a proof from another key (made below)
    ],
    ids=["without a proof", "with another key"],
)
def test_a_public_clients_bound_refresh_token_is_refused_without_its_key_and_nothing_is_written(
    http, browser, app_client, user, table_items, headers
):
    tokens = bound_tokens(http, browser, app_client)
    if headers:
        headers = {"dpop": proof("POST", TOKEN, alg="RS256")}
    before = [item for item in table_items() if not item["sk"]["S"].startswith("replay#")]
    response = refresh(http, app_client, tokens["refresh_token"], **headers)
    assert (response.status_code, body(response)["error"]) == (400, "invalid_grant")
    assert [item for item in table_items() if not item["sk"]["S"].startswith("replay#")] == before
    # The holder of the key still refreshes: the refusal changed nothing.
    assert refresh(http, app_client, tokens["refresh_token"], dpop=proof("POST", TOKEN)).status_code == 200


def test_a_confidential_clients_refresh_token_stays_unbound(http, browser, client, user):
    registered, secret = client
    code = obtain_code(browser, registered.client_id)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    tokens = body(
        post(http, "token", form, authorization=basic(registered.client_id, secret), dpop=proof("POST", TOKEN))
    )
    assert tokens["token_type"] == "DPoP"
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    # Its credentials already bind it (§5): a new key, or none, may be used.
    response = post(http, "token", form, authorization=basic(registered.client_id, secret))
    assert (response.status_code, body(response)["token_type"]) == (200, "Bearer")


TOKEN_REFUSALS = [
    ("wrong htu", lambda: proof("POST", f"{ISSUER}/userinfo")),
    ("wrong htm", lambda: proof("GET", TOKEN)),
    ("stale iat", lambda: proof("POST", TOKEN, now=1_000_000_000)),
    (
        "alg none",
        lambda: proof("POST", TOKEN).rsplit(".", 1)[0].replace("eyJhbGciOiJFUzI1NiIs", "eyJhbGciOiJub25lIiwg") + ".",
    ),
    (
        "HS256",
        lambda: jwt.encode({"htm": "POST", "htu": TOKEN, "iat": 0, "jti": "j"}, "k" * 32, headers={"typ": "dpop+jwt"}),
    ),
    ("private key in jwk", lambda: proof("POST", TOKEN, header={"jwk": _private_ec()})),
    ("oversized", lambda: proof("POST", TOKEN, pad="x" * 9000)),
    ("garbage base64", lambda: "%%%.***.$$$"),
]


@pytest.mark.parametrize(("what", "make"), TOKEN_REFUSALS, ids=[row[0] for row in TOKEN_REFUSALS])
def test_a_bad_proof_at_the_token_endpoint_is_invalid_dpop_proof_and_the_code_stays_unused(
    http, browser, app_client, user, table_items, what, make
):
    code = code_for(browser, app_client)
    before = table_items()
    response = redeem(http, app_client, code, dpop=make())
    assert (response.status_code, body(response)["error"]) == (400, "invalid_dpop_proof")
    assert response.headers["Cache-Control"] == "no-store"
    assert "DPoP-Nonce" in response.headers
    assert table_items() == before
    assert redeem(http, app_client, code, dpop=proof("POST", TOKEN)).status_code == 200


def test_a_replayed_proof_at_the_token_endpoint_is_refused_and_writes_nothing_more(
    http, browser, app_client, user, table_items
):
    first = proof("POST", TOKEN)
    redeem(http, app_client, code_for(browser, app_client), dpop=first)
    code = code_for(browser, app_client)
    before = table_items()
    response = redeem(http, app_client, code, dpop=first)
    assert (response.status_code, body(response)["error"]) == (400, "invalid_dpop_proof")
    assert "used before" in body(response)["error_description"]
    assert table_items() == before


def test_a_client_registered_dpop_bound_needs_a_proof_and_a_refusal_writes_nothing(
    http, browser, tenant, user, table_items
):
    bound, _ = client_admin.create_client(
        tenant.id, name="Bound", client_type="public", redirect_uris=[REDIRECT_URI], dpop_bound_access_tokens=True
    )
    code = code_for(browser, bound)
    before = table_items()
    response = redeem(http, bound, code)
    assert (response.status_code, body(response)["error"]) == (400, "invalid_request")
    assert "DPoP" in body(response)["error_description"]
    assert table_items() == before
    assert body(redeem(http, bound, code, dpop=proof("POST", TOKEN)))["token_type"] == "DPoP"


def test_nonces_when_the_tenant_requires_them(http, browser, tenant, app_client, user, table_items):
    tenant_admin.update_settings(tenant.id, {"dpop_nonce_required": True})
    code = code_for(browser, app_client)
    before = table_items()
    response = redeem(http, app_client, code, dpop=proof("POST", TOKEN))
    assert (response.status_code, body(response)["error"]) == (400, "use_dpop_nonce")
    nonce = response.headers["DPoP-Nonce"]
    assert table_items() == before  # neither the code nor the proof's jti was used up
    stale = redeem(http, app_client, code, dpop=proof("POST", TOKEN, nonce="A" * 22))
    assert (stale.status_code, body(stale)["error"]) == (400, "use_dpop_nonce")
    response = redeem(http, app_client, code, dpop=proof("POST", TOKEN, nonce=nonce))
    assert response.status_code == 200, response.body
    token = body(response)["access_token"]
    # At UserInfo, a 401 with a DPoP challenge and the nonce (§9).
    refused = userinfo(http, f"DPoP {token}", dpop=proof("GET", USERINFO, access_token=token))
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith(
        'DPoP realm="http://op.example.test/acme", error="use_dpop_nonce"'
    )
    nonce = refused.headers["DPoP-Nonce"]
    answer = userinfo(http, f"DPoP {token}", dpop=proof("GET", USERINFO, access_token=token, nonce=nonce))
    assert (answer.status_code, body(answer)["sub"]) == (200, claims_of(token)["sub"])
    assert answer.headers["DPoP-Nonce"] == nonce


def test_userinfo_takes_a_bound_token_with_the_dpop_scheme_and_a_proof_of_its_key(http, browser, app_client, user):
    token = bound_tokens(http, browser, app_client)["access_token"]
    response = userinfo(http, f"DPoP {token}", dpop=proof("GET", USERINFO, access_token=token))
    assert response.status_code == 200, response.body
    assert body(response)["sub"] == claims_of(token)["sub"]
    assert "DPoP-Nonce" in response.headers


def _replayed(token: str) -> dict[str, str]:
    return {"dpop": "replayed"}


USERINFO_REFUSALS = [
    # (what, scheme, proof (None: no header), error)
    ("bound token as Bearer", "Bearer", None, "invalid_token"),
    ("bound token as Bearer with a proof", "Bearer", lambda t: proof("GET", USERINFO, access_token=t), "invalid_token"),
    ("no proof", "DPoP", None, "invalid_dpop_proof"),
    ("proof without ath", "DPoP", lambda t: proof("GET", USERINFO), "invalid_dpop_proof"),
    ("proof with a wrong ath", "DPoP", lambda t: proof("GET", USERINFO, access_token=t + "x"), "invalid_dpop_proof"),
    (
        "proof of another key",
        "DPoP",
        lambda t: proof("GET", USERINFO, alg="RS256", access_token=t),
        "invalid_dpop_proof",
    ),
    ("proof for POST", "DPoP", lambda t: proof("POST", USERINFO, access_token=t), "invalid_dpop_proof"),
    ("proof for the token endpoint", "DPoP", lambda t: proof("GET", TOKEN, access_token=t), "invalid_dpop_proof"),
    ("garbage proof", "DPoP", lambda t: "not a jws", "invalid_dpop_proof"),
]


@pytest.mark.parametrize(("what", "scheme", "make", "error"), USERINFO_REFUSALS, ids=[r[0] for r in USERINFO_REFUSALS])
def test_userinfo_refuses_a_bound_token_without_its_proof_with_a_dpop_challenge(
    http, browser, app_client, user, table_items, what, scheme, make, error
):
    token = bound_tokens(http, browser, app_client)["access_token"]
    headers = {"dpop": make(token)} if make else {}
    before = table_items()
    response = userinfo(http, f"{scheme} {token}", **headers)
    assert (response.status_code, body(response)["error"]) == (401, error)
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith(f'DPoP realm="{ISSUER}", error="{error}", algs="{" ".join(dpop.ALGORITHMS)}"')
    assert table_items() == before


def test_userinfo_refuses_a_replayed_proof(http, browser, app_client, user):
    token = bound_tokens(http, browser, app_client)["access_token"]
    once = proof("GET", USERINFO, access_token=token)
    assert userinfo(http, f"DPoP {token}", dpop=once).status_code == 200
    response = userinfo(http, f"DPoP {token}", dpop=once)
    assert (response.status_code, body(response)["error"]) == (401, "invalid_dpop_proof")


def test_an_unbound_token_is_not_taken_with_the_dpop_scheme(http, browser, client, user):
    registered, secret = client
    code = obtain_code(browser, registered.client_id)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    token = body(post(http, "token", form, authorization=basic(registered.client_id, secret)))["access_token"]
    response = userinfo(http, f"DPoP {token}", dpop=proof("GET", USERINFO, access_token=token))
    assert (response.status_code, body(response)["error"]) == (401, "invalid_token")
    assert response.headers["WWW-Authenticate"].startswith("DPoP ")
    assert userinfo(http, f"Bearer {token}").status_code == 200


def test_introspection_shows_the_binding_and_revocation_takes_a_bound_token_without_a_proof(
    http, browser, tenant, user
):
    # Revocation is client-authenticated (RFC 7009): RFC 9449 asks no proof there, and none is needed.
    introspector, secret = client_admin.create_client(
        tenant.id,
        name="RS",
        client_type="confidential",
        redirect_uris=[REDIRECT_URI],
        grant_types=["authorization_code"],
        scopes=["token_introspection"],
    )
    code = obtain_code(browser, introspector.client_id)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    auth = basic(introspector.client_id, secret)
    token = body(post(http, "token", form, authorization=auth, dpop=proof("POST", TOKEN, alg="EdDSA")))["access_token"]
    answer = body(post(http, "introspect", {"token": token}, authorization=auth))
    assert (answer["active"], answer["token_type"], answer["cnf"]) == (True, "DPoP", {"jkt": thumbprint("EdDSA")})
    assert post(http, "revoke", {"token": token}, authorization=auth).status_code == 200
    assert body(post(http, "introspect", {"token": token}, authorization=auth)) == {"active": False}


def test_discovery_lists_the_proof_algorithms(http, tenant):
    document = json.loads(http.get("/acme/.well-known/openid-configuration", headers={"host": HOST}).body)
    assert document["dpop_signing_alg_values_supported"] == ["ES256", "RS256", "PS256", "EdDSA", "Ed25519"]


@pytest.mark.parametrize(("value", "status"), [(True, 201), (False, 201), ("yes", 400), (1, 400)])
def test_registration_takes_dpop_bound_access_tokens_as_a_boolean(http, tenant, value, status):
    tenant_admin.update_settings(tenant.id, {"client_registration": "open"})
    metadata = {"redirect_uris": [REDIRECT_URI], "dpop_bound_access_tokens": value}
    response = http.post(
        "/acme/register", headers={"host": HOST, "content-type": "application/json"}, body=json.dumps(metadata)
    )
    assert response.status_code == status, response.body
    if status == 201:
        assert body(response)["dpop_bound_access_tokens"] is value
    else:
        assert body(response)["error"] == "invalid_client_metadata"


def _private_ec() -> dict:
    from tests.support.client_keys import private_jwk

    return private_jwk("EC")


@pytest.mark.parametrize("path", ["/acme/token", "/acme/userinfo"])
def test_browser_apps_may_read_the_nonce_and_the_challenge(http, tenant, path):
    """(The preflight that allows the DPoP header is played against the dev server:
    tests/integration/test_openid_client_dpop.py.)"""
    answer = http.post(path, headers={"host": HOST, "origin": "https://app.example", "dpop": "x"}, body=b"")
    assert answer.status_code in (400, 401)
    exposed = answer.headers["Access-Control-Expose-Headers"].split(",")
    assert {"DPoP-Nonce", "WWW-Authenticate"} <= set(exposed)
    assert "DPoP-Nonce" in answer.headers


PAR = f"{ISSUER}/par"


def bound_code(http, browser, client, how: str, jkt: str) -> str:
    """A code bound to the key of ``jkt`` by dpop_jkt at the authorization endpoint, or by a
    proof at PAR (RFC 9449 §10)."""
    params = {"code_challenge": CHALLENGE, "code_challenge_method": "S256"}
    if how == "dpop_jkt":
        return obtain_code(browser, client.client_id, dpop_jkt=jkt, **params)
    form = {"client_id": client.client_id, "redirect_uri": REDIRECT_URI, "response_type": "code", "scope": "openid"}
    pushed = post(http, "par", {**form, **params}, dpop=proof("POST", PAR))
    assert pushed.status_code == 201, pushed.body
    return obtain_code(browser, client.client_id, request_uri=body(pushed)["request_uri"], redirect_uri=None,
                       response_type=None, scope=None)  # fmt: skip


@pytest.mark.parametrize("how", ["dpop_jkt", "par"])
@pytest.mark.parametrize("proof_alg", [None, "RS256"], ids=["without a proof", "with another key"])
def test_a_code_bound_to_a_key_is_redeemed_only_with_a_proof_of_it(
    http, browser, app_client, user, table_items, how, proof_alg
):
    code = bound_code(http, browser, app_client, how, thumbprint("ES256"))
    headers = {"dpop": proof("POST", TOKEN, alg=proof_alg)} if proof_alg else {}
    before = [item for item in table_items() if not item["sk"]["S"].startswith("replay#")]
    response = redeem(http, app_client, code, **headers)
    assert (response.status_code, body(response)["error"]) == (400, "invalid_dpop_proof")
    assert [item for item in table_items() if not item["sk"]["S"].startswith("replay#")] == before
    tokens = body(redeem(http, app_client, code, dpop=proof("POST", TOKEN)))
    assert claims_of(tokens["access_token"])["cnf"] == {"jkt": thumbprint("ES256")}


def test_a_push_whose_dpop_jkt_is_not_its_proofs_key_is_refused_and_nothing_is_stored(http, app_client, table_items):
    form = {"client_id": app_client.client_id, "redirect_uri": REDIRECT_URI, "response_type": "code",
            "scope": "openid", "code_challenge": CHALLENGE, "code_challenge_method": "S256",
            "dpop_jkt": thumbprint("RS256")}  # fmt: skip
    before = table_items()
    response = post(http, "par", form, dpop=proof("POST", PAR))
    assert (response.status_code, body(response)["error"]) == (400, "invalid_dpop_proof")
    assert table_items() == before


@pytest.mark.parametrize("value", ["short", "x" * 43 + "=", "é" * 43])
def test_a_malformed_dpop_jkt_is_invalid_request(browser, app_client, user, value):
    from tests.unit.flows import authorize, callback_params

    response = authorize(browser, app_client.client_id, code_challenge=CHALLENGE, code_challenge_method="S256",
                         dpop_jkt=value)  # fmt: skip
    assert callback_params(response)["error"] == "invalid_request"


def test_a_dpop_bound_client_may_not_take_access_tokens_from_the_authorization_endpoint(tenant):
    from chalicelib.admin import AdminError

    with pytest.raises(AdminError, match="dpop_bound_access_tokens"):
        client_admin.create_client(
            tenant.id, name="Implicit", client_type="confidential", redirect_uris=[REDIRECT_URI],
            response_types=["code", "code token"], dpop_bound_access_tokens=True,
        )  # fmt: skip
    assert client_admin.list_clients(tenant.id) == []


def test_introspection_shows_a_public_clients_bound_refresh_token(http, browser, tenant, app_client, user):
    """An introspecting resource server whose scopes name the public client (the seed's rule)."""
    introspector, secret = client_admin.create_client(
        tenant.id, name="RS", client_type="confidential", grant_types=["client_credentials"],
        scopes=["token_introspection", app_client.client_id],
    )  # fmt: skip
    tokens = bound_tokens(http, browser, app_client)
    form = {"token": tokens["refresh_token"], "token_type_hint": "refresh_token"}
    answer = body(post(http, "introspect", form, authorization=basic(introspector.client_id, secret)))
    assert (answer["active"], answer["token_type"], answer["cnf"]) == (
        True,
        "refresh_token",
        {"jkt": thumbprint("ES256")},
    )

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
    # Both schemes' challenges (RFC 9449 §7.1): the API takes DPoP-bound tokens too.
    assert response.status_code == status and response.headers["WWW-Authenticate"].startswith(challenge + ", DPoP ")
    assert json.loads(response.body) == {"error": challenge.split('"')[1]}


def test_another_tenants_token_is_refused(http, service):
    tenant_admin.create_tenant("other", "Other")
    response = me(http, "Bearer " + access_token(http, service), tenant="other")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token", DPoP error="invalid_token"')


@pytest.mark.parametrize("tenant", ["nobody", "UPPER", "a" * 300])
def test_an_unknown_tenant_is_not_found(http, tenant):
    assert me(http, "Bearer a.b.c", tenant=tenant).status_code == 404


def test_an_expired_token_is_refused(http, service, clock):
    token = access_token(http, service)
    clock[0] += 3600 + 31  # token_expire, and the leeway
    assert me(http, "Bearer " + token).status_code == 401


def dpop_token(http, service, dpop) -> str:
    """A token for the example API bound to the test's ES256 key (a proof sent with the request)."""
    from urllib.parse import urlencode

    registered, secret = service
    form = {"grant_type": "client_credentials", "scope": "profile", "resource": EXAMPLE}
    headers = {
        "host": HOST, "content-type": "application/x-www-form-urlencoded",
        "authorization": basic(registered.client_id, secret), "dpop": dpop.proof("POST", ISSUER + "/token"),
    }  # fmt: skip
    answer = body(http.post("/acme/token", headers=headers, body=urlencode(form)))
    assert answer["token_type"] == "DPoP"
    return answer["access_token"]


def test_a_dpop_bound_token_is_taken_with_a_proof_of_its_key_once(http, service, table_items):
    """RFC 9449 §7: the token from a token request with a proof is bound to the proof's key;
    the API takes it with the DPoP scheme and a fresh proof over this request and this token,
    and refuses it as a bearer token, with another key's proof, or with a proof used before."""
    from tests.support import dpop

    registered = service[0]
    token = dpop_token(http, service, dpop)
    url = EXAMPLE + "/me"

    def call(scheme: str, proof: str | None):
        sent = {"host": HOST, "authorization": f"{scheme} {token}", **({"dpop": proof} if proof else {})}
        return http.get("/acme/example/me", headers=sent)

    good = dpop.proof("GET", url, access_token=token)
    answer = call("DPoP", good)
    assert answer.status_code == 200 and json.loads(answer.body)["sub"] == registered.client_id
    for scheme, proof, error in [
        ("Bearer", None, "invalid_token"),  # a bound token as a bearer token
        ("DPoP", None, "invalid_dpop_proof"),
        ("DPoP", good, "invalid_dpop_proof"),  # the same proof again (its jti)
        ("DPoP", dpop.proof("GET", url, alg="RS256", access_token=token), "invalid_dpop_proof"),  # another key
        ("DPoP", dpop.proof("GET", url), "invalid_dpop_proof"),  # no ath
        ("DPoP", dpop.proof("POST", url, access_token=token), "invalid_dpop_proof"),
        ("DPoP", dpop.proof("GET", ISSUER + "/userinfo", access_token=token), "invalid_dpop_proof"),
    ]:
        refused = call(scheme, proof)
        assert refused.status_code == 401 and json.loads(refused.body) == {"error": error}, (scheme, refused.body)


def test_the_tenants_nonce_policy_holds_at_the_example_api(http, service):
    from tests.support import dpop

    token = dpop_token(http, service, dpop)
    tenant_admin.update_settings("acme", {"dpop_nonce_required": True})
    url = EXAMPLE + "/me"
    asked = http.get("/acme/example/me", headers={"host": HOST, "authorization": f"DPoP {token}",
                                                  "dpop": dpop.proof("GET", url, access_token=token)})  # fmt: skip
    assert asked.status_code == 401 and json.loads(asked.body) == {"error": "use_dpop_nonce"}
    nonce = asked.headers["DPoP-Nonce"]
    answered = http.get("/acme/example/me", headers={"host": HOST, "authorization": f"DPoP {token}",
                        "dpop": dpop.proof("GET", url, access_token=token, nonce=nonce)})  # fmt: skip
    assert answered.status_code == 200

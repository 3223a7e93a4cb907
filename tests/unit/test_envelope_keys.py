"""Envelope-encrypted keys, the default backend: a container makes at most one kms:Decrypt
per tenant key, in a cache of bounded size, and signs locally; a wrapped key opens only for
its own tenant, kid and stage. KMS calls are counted with botocore's event hooks on the
container's one KMS client."""

from __future__ import annotations

import dataclasses
import json

import jwt
import pytest

from chalicelib.admin import clients as client_admin
from chalicelib.admin import keys as key_admin
from chalicelib.admin import tenants as tenant_admin
from chalicelib.keys import aws, envelope, signer
from chalicelib.store import tenants as tenant_store
from tests.support.browser import HOST
from tests.unit.flows import basic

TENANTS = 5
TOKENS_PER_TENANT = 40


@pytest.fixture
def kms_calls():
    """Every KMS operation this container's client makes from now on, by name."""
    calls: list[str] = []
    aws.client("kms").meta.events.register("before-call.kms", lambda model, **_: calls.append(model.name))
    return calls


def token(http, tenant_id: str, credentials) -> str:
    registered, secret = credentials
    response = http.post(
        f"/{tenant_id}/token",
        headers={
            "host": HOST,
            "content-type": "application/x-www-form-urlencoded",
            "authorization": basic(registered.client_id, secret),
        },
        body="grant_type=client_credentials",
    )
    assert response.status_code == 200, response.body
    return json.loads(response.body)["access_token"]


def services(count: int) -> dict[str, tuple]:
    found = {}
    for index in range(count):
        tenant = tenant_admin.create_tenant(f"env-{index}", f"Tenant {index}")
        assert tenant.keys[0]["backend"] == "envelope"
        found[tenant.id] = client_admin.create_client(
            tenant.id, name="Service", client_type="confidential", response_types=[], grant_types=["client_credentials"]
        )
    signer.forget()  # a fresh container: nothing decrypted yet
    return found


def test_one_decrypt_per_tenant_key_per_container_however_many_tokens(http, kms_calls):
    clients = services(TENANTS)
    kms_calls.clear()
    tokens = {
        tenant_id: [token(http, tenant_id, c) for _ in range(TOKENS_PER_TENANT)] for tenant_id, c in clients.items()
    }
    print(f"\n{TENANTS * TOKENS_PER_TENANT} tokens for {TENANTS} tenants: KMS calls {kms_calls}")
    assert kms_calls == ["Decrypt"] * TENANTS
    for tenant_id, issued in tokens.items():
        jwks = json.loads(http.get(f"/{tenant_id}/jwks.json", headers={"host": HOST}).body)
        (key,) = jwks["keys"]
        for issued_token in issued:
            claims = jwt.decode(issued_token, jwt.PyJWK(key).key, algorithms=["RS256"], options={"verify_aud": False})
            assert claims["iss"] == f"http://{HOST}/{tenant_id}"


def test_the_signer_cache_is_bounded_least_recently_used_out(http, kms_calls, monkeypatch):
    clients = services(TENANTS)
    monkeypatch.setattr(signer, "settings", dataclasses.replace(signer.settings, signer_cache_size=3))
    kms_calls.clear()
    for tenant_id, credentials in clients.items():  # env-0 ... env-4: the cache keeps env-2..4
        token(http, tenant_id, credentials)
    assert signer.cached() == 3 and kms_calls == ["Decrypt"] * TENANTS
    token(http, "env-4", clients["env-4"])  # kept: no call
    assert kms_calls == ["Decrypt"] * TENANTS
    token(http, "env-0", clients["env-0"])  # evicted: decrypted again
    assert kms_calls == ["Decrypt"] * (TENANTS + 1) and signer.cached() == 3


@pytest.mark.parametrize(
    ("tenant_id", "kid", "stage"),
    [("other", None, "unit"), ("acme", "another-kid", "unit"), ("acme", None, "prod")],
    ids=["another tenant", "another kid", "another stage"],
)
def test_a_wrapped_key_opens_only_for_its_tenant_kid_and_stage(tenant, tenant_id, kid, stage):
    from botocore.exceptions import ClientError

    key = dict(tenant.keys[0])
    assert envelope.open_key("acme", key, "unit") is not None
    with pytest.raises(ClientError, match="InvalidCiphertext"):
        envelope.open_key(tenant_id, {**key, "kid": kid or key["kid"]}, stage)


def test_a_key_copied_into_another_tenants_record_does_not_sign(http, tenant, kms_calls):
    """Someone with write access to the table copies acme's key into their own tenant: KMS
    refuses the context, and the copying tenant's token request fails without a token."""
    intruder = tenant_admin.create_tenant("intruder", "Intruder")
    credentials = client_admin.create_client(
        "intruder", name="S", client_type="confidential", response_types=[], grant_types=["client_credentials"]
    )
    tenant_store.save_tenant(dataclasses.replace(intruder, keys=tenant.keys))
    from chalicelib.tenancy.resolve import forget

    forget()
    kms_calls.clear()
    registered, secret = credentials
    response = http.post(
        "/intruder/token",
        headers={
            "host": HOST,
            "content-type": "application/x-www-form-urlencoded",
            "authorization": basic(registered.client_id, secret),
        },
        body="grant_type=client_credentials",
    )
    assert response.status_code >= 500 and b"eyJ" not in response.body
    assert kms_calls == ["Decrypt"]  # the one attempt, refused


def test_every_algorithm_signs_after_one_decrypt(tenant, kms_calls):
    for alg in ("PS256", "ES256"):
        key_admin.rotate_key("acme", alg)
    signer.forget()
    kms_calls.clear()
    from chalicelib.keys.keyring import KeyRing

    ring = KeyRing("acme", tenant_admin.get_tenant("acme").keys)
    for alg in ("RS256", "PS256", "ES256"):
        for _ in range(10):
            ring.signer(alg).sign(b"header.payload")
    assert kms_calls == ["Decrypt"] * 3

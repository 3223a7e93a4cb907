"""AWS failing under the provider, injected by the emulator at its HTTP boundary: throttled
DynamoDB, failing KMS and Secrets Manager, a response lost after the write was done.

The provider retries with back-off where that is safe (botocore, three attempts), answers
503 with a clear error when it must give up, and leaves nothing half-written: the code of a
failed token request still works once AWS recovers, and a failed login stores no session."""

from __future__ import annotations

import uuid

import botocore.session
import pytest
import requests

from chalicelib.admin import tenants as tenant_admin
from chalicelib.settings import settings
from tests.integration.conftest import EMULATOR, PASSWORD, authorization_url, obtain_code, redeem
from tests.support.user_agent import UserAgent


@pytest.fixture(autouse=True)
def no_faults_left():
    yield
    EMULATOR.reset()


def assert_unavailable(response: requests.Response) -> None:
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.json()["error"] == "temporarily_unavailable"
    assert response.headers["Cache-Control"] == "no-store"


def test_throttled_code_consumption(provider, issuer, confidential_client, user):
    code = obtain_code(provider, issuer, confidential_client[0].client_id)
    EMULATOR.reset()
    EMULATOR.inject("dynamodb:UpdateItem")
    assert_unavailable(redeem(issuer, confidential_client, code))
    assert EMULATOR.snapshot()["dynamodb:UpdateItem"] == 3  # two retries, with back-off
    EMULATOR.reset()
    assert redeem(issuer, confidential_client, code).status_code == 200


def test_one_throttled_call_is_absorbed_by_a_retry(provider, issuer, confidential_client, user):
    code = obtain_code(provider, issuer, confidential_client[0].client_id)
    EMULATOR.inject("dynamodb:UpdateItem", times=1)
    assert redeem(issuer, confidential_client, code).status_code == 200


def test_lost_response_of_a_done_consumption(provider, issuer, confidential_client, user):
    """The code was consumed but the answer never came back; botocore retries, meets its own
    mark, and the redemption goes on rather than reading as "already used"."""
    code = obtain_code(provider, issuer, confidential_client[0].client_id)
    EMULATOR.inject("dynamodb:UpdateItem", times=1, after_execution=True)
    response = redeem(issuer, confidential_client, code)
    assert response.status_code == 200 and "id_token" in response.json()
    assert redeem(issuer, confidential_client, code).status_code == 400  # and it stays single-use


def test_refresh_token_store_failure_releases_the_code(provider, issuer, confidential_client, user):
    code = obtain_code(provider, issuer, confidential_client[0].client_id)
    EMULATOR.inject("dynamodb:UpdateItem", matching='"grant#')  # the refresh token's grant
    assert_unavailable(redeem(issuer, confidential_client, code))
    EMULATOR.reset()
    assert redeem(issuer, confidential_client, code).status_code == 200


def test_signing_backend_failure_releases_the_code(provider, issuer, tenant, confidential_client, user):
    """A cold signer: KMS Sign fails, or the PEM cannot be read from Secrets Manager."""
    code = obtain_code(provider, issuer, confidential_client[0].client_id)
    backend = tenant.keys[0]["backend"]
    EMULATOR.inject("kms:Sign" if backend == "kms" else "secretsmanager:GetSecretValue")
    assert_unavailable(redeem(issuer, confidential_client, code))
    EMULATOR.reset()
    assert redeem(issuer, confidential_client, code).status_code == 200


def test_throttled_login_stores_no_session(provider, issuer, tenant, confidential_client, user):
    agent = UserAgent(provider)
    page = agent.visit(authorization_url(issuer, confidential_client[0].client_id))
    EMULATOR.inject("dynamodb:PutItem")
    response = agent.submit(page, "login", username="alice", password=PASSWORD)
    assert response.status_code == 503 and "temporarily_unavailable" in response.text
    assert response.headers["Content-Type"].startswith("text/html")
    assert "op_session" not in agent.session.cookies
    EMULATOR.reset()
    dynamodb = botocore.session.get_session().create_client("dynamodb")
    sessions = dynamodb.query(
        TableName=settings.table_name,
        KeyConditionExpression="pk = :t AND begins_with(sk, :s)",
        ExpressionAttributeValues={":t": {"S": tenant.id}, ":s": {"S": "session#"}},
    )
    assert sessions["Count"] == 0


def test_throttled_consent_can_be_submitted_again(provider, issuer, confidential_client, user):
    agent = UserAgent(provider)
    consent = agent.submit(
        agent.visit(authorization_url(issuer, confidential_client[0].client_id)),
        "login",
        username="alice",
        password=PASSWORD,
    )
    EMULATOR.inject("dynamodb:TransactWriteItems")
    assert agent.submit(consent, "allow").status_code == 503
    EMULATOR.reset()
    assert "code=" in agent.submit(consent, "allow").headers["Location"]


def test_cold_tenant_read_failing(provider):
    tenant = tenant_admin.create_tenant(f"cold-{uuid.uuid4().hex[:8]}", "Cold")
    EMULATOR.inject("dynamodb:GetItem")
    assert_unavailable(requests.get(f"{provider}/{tenant.id}/.well-known/openid-configuration", timeout=30))
    EMULATOR.reset()
    assert requests.get(f"{provider}/{tenant.id}/.well-known/openid-configuration", timeout=30).status_code == 200

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
    """A code's redemption is one transaction (the code marked used, the grant stored)."""
    code = obtain_code(provider, issuer, confidential_client[0].client_id)
    EMULATOR.reset()
    EMULATOR.inject("dynamodb:TransactWriteItems")
    assert_unavailable(redeem(issuer, confidential_client, code))
    assert EMULATOR.snapshot()["dynamodb:TransactWriteItems"] == 3  # two retries, with back-off
    EMULATOR.reset()
    assert redeem(issuer, confidential_client, code).status_code == 200


def test_one_throttled_call_is_absorbed_by_a_retry(provider, issuer, confidential_client, user):
    code = obtain_code(provider, issuer, confidential_client[0].client_id)
    EMULATOR.inject("dynamodb:TransactWriteItems", times=1)
    assert redeem(issuer, confidential_client, code).status_code == 200


def test_lost_response_of_a_done_consumption(provider, issuer, confidential_client, user):
    """The code was consumed but the answer never came back; botocore retries, meets its own
    mark, and the redemption goes on rather than reading as "already used"."""
    code = obtain_code(provider, issuer, confidential_client[0].client_id)
    EMULATOR.inject("dynamodb:TransactWriteItems", times=1, after_execution=True)
    response = redeem(issuer, confidential_client, code)
    assert response.status_code == 200 and "id_token" in response.json()
    assert redeem(issuer, confidential_client, code).status_code == 400  # and it stays single-use


def test_a_failed_redemption_leaves_neither_a_used_code_nor_a_grant(provider, issuer, confidential_client, user):
    """The code's mark and the grant's refresh token are one write: when it fails, the code
    is as it was, and no refresh token of the failed response was stored."""
    code = obtain_code(provider, issuer, confidential_client[0].client_id)
    EMULATOR.inject("dynamodb:TransactWriteItems", matching='"grant#')  # the write with the grant
    assert_unavailable(redeem(issuer, confidential_client, code))
    EMULATOR.reset()
    tokens = redeem(issuer, confidential_client, code)
    assert tokens.status_code == 200
    assert refresh(issuer, confidential_client, tokens.json()["refresh_token"]).status_code == 200


def test_signing_backend_failure_releases_the_code(provider, issuer, tenant, confidential_client, user):
    """A cold signer: KMS Sign fails, the PEM cannot be read from Secrets Manager, or the
    envelope key's data key cannot be decrypted."""
    code = obtain_code(provider, issuer, confidential_client[0].client_id)
    backend = tenant.keys[0]["backend"]
    EMULATOR.inject({"kms": "kms:Sign", "envelope": "kms:Decrypt"}.get(backend, "secretsmanager:GetSecretValue"))
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


def refresh(issuer: str, client, token: str) -> requests.Response:
    registered, secret = client
    grant = {"grant_type": "refresh_token", "refresh_token": token}
    return requests.post(f"{issuer}/token", data=grant, auth=(registered.client_id, secret), timeout=30)


def test_lost_response_of_a_rotation(provider, issuer, confidential_client, user):
    """The rotation was written but its answer lost: the retry finds its own new token in
    place and the refresh goes on (it is not mistaken for a replay)."""
    tokens = redeem(issuer, confidential_client, obtain_code(provider, issuer, confidential_client[0].client_id))
    EMULATOR.inject("dynamodb:UpdateItem", times=1, after_execution=True)
    rotated = refresh(issuer, confidential_client, tokens.json()["refresh_token"])
    assert rotated.status_code == 200
    assert refresh(issuer, confidential_client, rotated.json()["refresh_token"]).status_code == 200


def test_signing_failure_after_a_rotation_restores_the_refresh_token(provider):
    from chalicelib.admin import clients as client_admin
    from chalicelib.admin import users as user_admin
    from tests.integration.conftest import REDIRECT_URI

    tenant = tenant_admin.create_tenant(f"kms-{uuid.uuid4().hex[:8]}", "KMS", key_backend="kms")
    user_admin.create_user(tenant.id, "alice", PASSWORD)
    client = client_admin.create_client(tenant.id, name="W", client_type="confidential", redirect_uris=[REDIRECT_URI])
    issuer = f"{provider}/{tenant.id}"
    tokens = redeem(issuer, client, obtain_code(provider, issuer, client[0].client_id)).json()
    EMULATOR.inject("kms:Sign")
    assert_unavailable(refresh(issuer, client, tokens["refresh_token"]))
    EMULATOR.reset()
    assert refresh(issuer, client, tokens["refresh_token"]).status_code == 200  # the same token, restored


def test_throttled_revocation_revokes_nothing(provider, issuer, confidential_client, user):
    tokens = redeem(issuer, confidential_client, obtain_code(provider, issuer, confidential_client[0].client_id)).json()
    EMULATOR.inject("dynamodb:UpdateItem")
    registered, secret = confidential_client
    revoked = requests.post(
        f"{issuer}/revoke", data={"token": tokens["refresh_token"]}, auth=(registered.client_id, secret), timeout=30
    )
    assert_unavailable(revoked)
    EMULATOR.reset()
    assert refresh(issuer, confidential_client, tokens["refresh_token"]).status_code == 200


def test_throttled_logout_keeps_the_session(provider, issuer, confidential_client, user):
    agent = UserAgent(provider)
    agent.sign_in(authorization_url(issuer, confidential_client[0].client_id), "alice", PASSWORD)
    confirmation = agent.visit(f"{issuer}/end-session")
    EMULATOR.inject("dynamodb:DeleteItem")
    failed = agent.submit(confirmation, "logout")
    assert failed.status_code == 503 and "temporarily_unavailable" in failed.text
    assert "op_session" in agent.session.cookies
    EMULATOR.reset()
    done = agent.submit(confirmation, "logout")
    assert done.status_code == 200 and "You are signed out" in done.text

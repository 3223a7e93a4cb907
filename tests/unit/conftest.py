"""Unit tests: protocol logic and routes in-process, AWS emulated by moto in-process.

The environment is set before anything imports chalicelib (its settings are read once). The
deployment's public URL is configured, as local development configures it: Chalice's test
client sends no API Gateway ``domainName``, and the issuer never follows the ``Host`` header
(tests/unit/test_issuer.py plays the deployed cases)."""

from __future__ import annotations

import functools
import os

os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.update(
    PUBLIC_BASE_URL="http://op.example.test",
    DEPLOYMENT_STAGE="unit",
    TABLE_NAME="oidc-unit",
    MASTER_SECRET_ID="oidc/unit/master",
    KEY_SECRET_PREFIX="oidc/unit/keys/",
    CLIENT_SECRET_KEY_ID="alias/oidc-unit/client-secrets",
    KEY_WRAPPING_KEY_ID="alias/oidc-unit/signing-keys",
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_REGION="us-east-1",
    # moto's in-process emulation intercepts botocore's HTTP sends: every DynamoDB call goes
    # through botocore here (the integration suite drives the direct client over a socket).
    DYNAMODB_CLIENT="botocore",
)

import boto3
import pytest
from moto import mock_aws

from chalicelib import keys
from chalicelib.admin import clients as client_admin
from chalicelib.admin import tenants as tenant_admin
from chalicelib.admin import users as user_admin
from chalicelib.keys import client_secrets, envelope
from chalicelib.keys.master import create_master_secret
from chalicelib.settings import settings
from chalicelib.tenancy.resolve import forget
from infra.queues import create_queues
from infra.tables import create_table

REDIRECT_URI = "https://rp.example.com/callback"
PASSWORD = "correct horse battery staple"


class _RsaKeys:
    """RSA-2048 generation costs ~50 ms, and each test made four: moto gives every KMS key,
    symmetric ones too, an RSA private key, and a tenant's first signing key is RSA. A worker
    generates each key once and every test draws from the same list in order, so the keys within
    one test are all different (tenants never share a key) while the cost is paid once per worker.
    Other sizes and exponents are generated fresh."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives.asymmetric import rsa

        self.generate = rsa.generate_private_key
        self.keys: list = []
        self.drawn = 0

    def __call__(self, public_exponent: int, key_size: int, backend: object = None):
        if (public_exponent, key_size) != (65537, 2048):
            return self.generate(public_exponent=public_exponent, key_size=key_size)
        while len(self.keys) <= self.drawn:
            self.keys.append(self.generate(public_exponent=65537, key_size=2048))
        self.drawn += 1
        return self.keys[self.drawn - 1]


_rsa_keys = _RsaKeys()


@functools.cache
def _clients() -> tuple:
    """The set-up's own boto3 clients, made once per worker: making one costs ~70 ms, and moto
    intercepts a client's calls whenever a mock is active, whenever the client was made."""
    return boto3.client("dynamodb"), boto3.client("sqs")


@pytest.fixture(autouse=True)
def aws(monkeypatch):
    from cryptography.hazmat.primitives.asymmetric import rsa

    _rsa_keys.drawn = 0
    monkeypatch.setattr(rsa, "generate_private_key", _rsa_keys)
    with mock_aws():
        dynamodb, sqs = _clients()
        create_table(dynamodb, os.environ["TABLE_NAME"])
        create_queues(sqs, settings.backchannel_queue)
        create_master_secret(os.environ["MASTER_SECRET_ID"])
        client_secrets.create_key(os.environ["CLIENT_SECRET_KEY_ID"])
        envelope.create_wrapping_key(os.environ["KEY_WRAPPING_KEY_ID"])
        forget()
        keys.forget_cached_material()
        yield dynamodb
        forget()
        keys.forget_cached_material()


@pytest.fixture
def table_items(aws):
    """Every item in the table, to prove that a refused request wrote nothing. The abuse
    limits' counters (``limit#...``) are left out unless asked for: counting a refused
    attempt is their whole point."""

    def scan(limits: bool = False) -> list[dict]:
        items = aws.scan(TableName=os.environ["TABLE_NAME"])["Items"]
        items = [item for item in items if limits or not item["sk"]["S"].startswith("limit#")]
        return sorted(items, key=lambda item: (item["pk"]["S"], item["sk"]["S"]))

    return scan


@pytest.fixture
def tenant():
    return tenant_admin.create_tenant("acme", "Acme")


@pytest.fixture
def client(tenant):
    client, secret = client_admin.create_client(
        tenant.id, name="Acme Web", client_type="confidential", redirect_uris=[REDIRECT_URI]
    )
    return client, secret


@pytest.fixture
def public_client(tenant):
    client, _ = client_admin.create_client(
        tenant.id,
        name="Acme App",
        client_type="public",
        redirect_uris=["http://127.0.0.1/callback", "com.example.app:/cb"],
    )
    return client


@pytest.fixture
def user(tenant):
    return user_admin.create_user(
        tenant.id,
        "alice",
        PASSWORD,
        {"name": "Alice Example", "email": "alice@example.com", "email_verified": True},
    )


@pytest.fixture
def http():
    from chalice.test import Client

    from app import app

    with Client(app) as test_client:
        yield test_client.http


@pytest.fixture
def browser(http):
    from tests.support.browser import Browser

    return Browser(http)


@pytest.fixture
def dev_mode(monkeypatch):
    """The deployment in local development (DEV_MODE=true), as infra/local.py runs it: the
    outbound guard then lets http and loopback through to hosts a tenant lists."""
    import dataclasses

    import chalicelib.settings

    monkeypatch.setattr(chalicelib.settings, "settings", dataclasses.replace(settings, dev_mode=True))


@pytest.fixture
def consumer(aws):
    """Plays Lambda's part for the back-channel queue: ``consumer.drain()`` delivers what is
    queued, through the same handler."""
    from infra.consumer import Consumer

    return Consumer()


@pytest.fixture
def clock(monkeypatch):
    """The requests' clock, frozen at the start of an hour (so a limit window of 15 minutes or
    an hour ends where a test expects); move it with ``clock[0] += seconds``."""
    import time

    from chalicelib.web import routes

    now = [(int(time.time()) // 3600 + 2) * 3600]
    monkeypatch.setattr(routes, "clock", lambda: now[0])
    return now


@pytest.fixture
def logged(http):
    """Every line the app logs during the test, as Lambda would write it (tests/support/observed.py)."""
    from tests.support.observed import capture

    with capture() as lines:
        yield lines


@pytest.fixture
def throttling(aws):
    """Set ``throttling[0]`` to have DynamoDB refuse that many calls for load."""
    from tests.support.observed import throttled_dynamodb

    with throttled_dynamodb() as remaining:
        yield remaining

"""The store's own DynamoDB client (chalicelib/store/wire.py) against the emulation over a
socket: what PynamoDB gets back is what botocore would have given it (answers, error codes,
a transaction's cancellation reasons), throttles are retried and counted, and a dead endpoint
is an error of botocore's kind after the retries, never a hang."""

from __future__ import annotations

import socket
import time
import uuid

import pytest
from botocore.exceptions import EndpointConnectionError
from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib import aws_session
from chalicelib.observability import scope
from chalicelib.settings import settings
from chalicelib.store import models, wire
from tests.integration.conftest import EMULATOR


@pytest.fixture(autouse=True)
def no_faults_left(provider):  # the provider's set-up made the table
    yield
    EMULATOR.reset()


def record(name: str) -> models.AuditItem:
    return models.AuditItem(f"wire-{uuid.uuid4().hex[:8]}", f"audit#{name}", event=name, actor="test", at=1)


def test_every_data_plane_call_goes_through_the_wire():
    assert isinstance(models.connection().client, wire.Wire)
    item = record("a")
    item.save()
    assert models.AuditItem.get(item.pk, item.sk).event == item.event
    assert EMULATOR.snapshot()["dynamodb:GetItem"] >= 1


def test_a_failed_condition_is_the_error_botocore_would_raise():
    item = record("b")
    item.save(condition=models.AuditItem.pk.does_not_exist())
    with pytest.raises(PutError) as raised:
        item.save(condition=models.AuditItem.pk.does_not_exist())
    assert raised.value.cause_response_code == "ConditionalCheckFailedException"
    assert raised.value.cause_response_message  # DynamoDB's own words, passed on


def test_a_cancelled_transaction_names_which_item_failed_and_writes_nothing():
    existing, new = record("c"), record("d")
    existing.save()
    with pytest.raises(TransactWriteError) as raised, TransactWrite(connection=models.connection()) as transaction:
        transaction.save(new, condition=models.AuditItem.pk.does_not_exist())
        transaction.save(existing, condition=models.AuditItem.pk.does_not_exist())
    reasons = raised.value.cancellation_reasons
    assert [reason and reason.code for reason in reasons] == [None, "ConditionalCheckFailed"]
    assert models.Item.count(new.pk) == 0


def test_a_throttle_is_retried_with_back_off_and_counted():
    item = record("e")
    item.save()
    EMULATOR.reset()
    EMULATOR.inject("dynamodb:GetItem", times=2)
    scope.bind(request_id="wire-test")
    try:
        assert models.AuditItem.get(item.pk, item.sk).event == item.event
        assert scope.current().counts[("AwsThrottles", "dynamodb")] == 2
    finally:
        scope._scope.set(None)
    assert EMULATOR.snapshot()["dynamodb:GetItem"] == 3


def test_a_dead_endpoint_fails_fast_with_botocores_error():
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = aws_session.session().create_client("dynamodb", endpoint_url=f"http://127.0.0.1:{port}")
    dead = wire.Wire(lambda: client, attempts=2, timeouts=(0.5, 0.5))
    started = time.monotonic()
    with pytest.raises(EndpointConnectionError):
        dead._make_api_call("GetItem", {"TableName": settings.table_name, "Key": {"pk": {"S": "x"}, "sk": {"S": "y"}}})
    assert time.monotonic() - started < 2


def test_the_store_may_call_botocores_methods_through_it():
    """Paged sweeps (chalicelib/store/lifecycle.py) call the client's operation methods."""
    item = record("f")
    item.save()
    page = models.connection().client.query(
        TableName=settings.table_name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": item.pk}},
    )
    assert [row["sk"]["S"] for row in page["Items"]] == [item.sk]

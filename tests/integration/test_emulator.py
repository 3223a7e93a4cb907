"""The emulation stays bounded (infra/moto_bounds.py): its memory does not grow with the
transactions it serves, and a failed transaction still changes nothing."""

from __future__ import annotations

import subprocess
import sys
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.emulator_memory import rss_mb
from tests.integration.conftest import EMULATOR, ROOT

KEYS = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
ATTRIBUTES = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}]


def dynamodb(url: str):
    return boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1")


def new_table(client, rows: int = 0) -> str:
    name = f"bounds-{uuid.uuid4().hex[:8]}"
    client.create_table(TableName=name, KeySchema=KEYS, AttributeDefinitions=ATTRIBUTES, BillingMode="PAY_PER_REQUEST")
    for start in range(0, rows, 25):
        batch = [{"PutRequest": {"Item": row(n)}} for n in range(start, min(start + 25, rows))]
        client.batch_write_item(RequestItems={name: batch})
    return name


def row(n: int, **extra: str) -> dict:
    return {"pk": {"S": f"tenant#{n % 7}"}, "sk": {"S": f"item#{n}"}, "payload": {"S": "x" * 400}, **extra}


def sign_in_like(table: str, n: int) -> list[dict]:
    """What the consent step writes: a new code, and a conditional update of the session."""
    return [
        {"Put": {"TableName": table, "Item": row(100_000 + n), "ConditionExpression": "attribute_not_exists(pk)"}},
        {
            "Update": {
                "TableName": table,
                "Key": {"pk": {"S": "tenant#0"}, "sk": {"S": "item#0"}},
                "UpdateExpression": "SET seen = :n",
                "ConditionExpression": "attribute_exists(pk)",
                "ExpressionAttributeValues": {":n": {"N": str(n)}},
            }
        },
    ]


def test_memory_stays_bounded_over_300_transactions():
    """moto kept a copy of the whole table per transaction (887 MB after 200 sign-ins, by
    tests/emulator_memory.py --vanilla): 300 transactions on a 1,000-item table would keep
    300,000 items. Here they must not cost the emulation's process more than a few MB."""
    command = [sys.executable, "-m", "infra.emulator", "--port", "0"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        client = dynamodb(process.stdout.readline().strip())
        table = new_table(client, rows=1000)
        for n in range(30):  # warm: moto's parsers, botocore's models, the allocator's arenas
            client.transact_write_items(TransactItems=sign_in_like(table, n))
        warm = rss_mb(process.pid)
        for n in range(30, 330):
            client.transact_write_items(TransactItems=sign_in_like(table, n))
        grown = rss_mb(process.pid) - warm
        # What the 300 new items themselves take, with moto's bookkeeping, is well under this.
        assert grown < 15, f"the emulation grew by {grown:.0f} MB over 300 transactions"
        assert client.describe_table(TableName=table)["Table"]["ItemCount"] == 1000 + 330
    finally:
        process.terminate()
        process.wait(timeout=10)


def items(client, table: str) -> dict[str, dict]:
    return {item["sk"]["S"]: item for item in client.scan(TableName=table, ConsistentRead=True)["Items"]}


@pytest.mark.parametrize(
    "failing, error",
    [
        # The last operation's condition fails after the others were applied: all undone.
        ({"ConditionCheck": {"ConditionExpression": "attribute_not_exists(pk)"}}, "TransactionCanceledException"),
        # The same item twice: refused as a whole.
        ({"Delete": {}}, "ValidationException"),
    ],
)
def test_a_failed_transaction_changes_nothing(failing, error):
    """The rollback keeps copies of the items a transaction names, not of the table: a put,
    an update and a delete before the failing operation are all undone."""
    client = dynamodb(EMULATOR.url)
    table = new_table(client, rows=3)
    before = items(client, table)
    key = lambda n: {"pk": {"S": f"tenant#{n % 7}"}, "sk": {"S": f"item#{n}"}}  # noqa: E731
    ((kind, operation),) = failing.items()
    target = key(0) if kind == "ConditionCheck" else key(2)
    transaction = [
        {"Put": {"TableName": table, "Item": row(10)}},
        {"Update": {"TableName": table, "Key": key(1), "UpdateExpression": "SET payload = :d",
                    "ExpressionAttributeValues": {":d": {"S": "changed"}}}},
        {"Delete": {"TableName": table, "Key": key(2)}},
        {kind: {"TableName": table, "Key": target, **operation}},
    ]  # fmt: skip
    with pytest.raises(ClientError) as raised:
        client.transact_write_items(TransactItems=transaction)
    assert raised.value.response["Error"]["Code"] == error
    assert items(client, table) == before
    client.transact_write_items(TransactItems=transaction[:3])  # the same without the failing one applies
    after = items(client, table)
    assert set(after) == {"item#0", "item#1", "item#10"}
    assert after["item#1"]["payload"] == {"S": "changed"}

"""A tenant's status changes, and removing whole sets of items: a deleted tenant's partition,
a deleted user's sessions, grants and consents.

Removal reads keys only (a Query projected on ``pk`` and ``sk``, never a Scan) and deletes
them 25 to a BatchWriteItem, retrying what DynamoDB leaves unprocessed. Each pass starts
from what is still stored, so a run that was interrupted is finished by running it again.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from pynamodb.exceptions import PynamoDBException as StoreError
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.settings import settings
from chalicelib.store.consents import PREFIX as CONSENT
from chalicelib.store.console import CONSOLE_SESSION
from chalicelib.store.directory import PK as DIRECTORY
from chalicelib.store.directory import entry_item
from chalicelib.store.factors import PREFIX as FACTOR
from chalicelib.store.grants import PREFIX as GRANT
from chalicelib.store.models import DirectoryItem, TenantItem, connection
from chalicelib.store.sessions import PREFIX as SESSION
from chalicelib.store.tenants import ACTIVE, DELETING, SK, Tenant, tenant_item
from chalicelib.store.versions import lost_race

Key = tuple[str, str]
BATCH = 25  # BatchWriteItem's limit
PAGE = 500  # keys read per Query page
# Items that name their user in ``sub`` but are keyed by something else (a credential's
# digest, a grant id): found by a Query of their prefix filtered on ``sub``.
USER_PREFIXES = (SESSION, GRANT, CONSOLE_SESSION)


def set_status(tenant: Tenant, status: str, now: int) -> Tenant | None:
    """Write the tenant read as ``tenant`` back with a new status, and its directory entry
    with it (which adds the entry of a tenant from before the directory); None, nothing
    written, if the tenant changed since it was read or is gone."""
    changed = replace(tenant, status=status, status_at=now)
    item = tenant_item(changed)
    actions = [TenantItem.status.remove() if status == ACTIVE else TenantItem.status.set(status)]
    actions.append(TenantItem.status_at.set(now))
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.update(item, actions=actions, condition=TenantItem.sk.exists())
            # Derived from the record, which the same transaction writes at its version.
            transaction.save(entry_item(item))
    except TransactWriteError as error:
        if lost_race(error):
            return None
        raise
    return replace(changed, version=tenant.version + 1)


def tenant_keys(tenant_id: str) -> Iterator[list[Key]]:
    """Pages of the keys of every item in the tenant's partition but its record."""
    for page in _pages(tenant_id):
        keys = [key for key in page if key[1] != SK]
        if keys:
            yield keys


def remove_tenant(tenant_id: str) -> bool:
    """Delete the tenant's record (only while it is being deleted) and its directory entry,
    together; False if there was no such record."""
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.delete(
                TenantItem(tenant_id, SK), condition=TenantItem.status == DELETING, add_version_condition=False
            )
            transaction.delete(DirectoryItem(DIRECTORY, tenant_id))
    except TransactWriteError as error:
        if lost_race(error):
            return False
        raise
    return True


def user_keys(tenant_id: str, sub: str) -> list[Key]:
    """The keys of the user's consents and second factors (keyed by sub), sessions and
    grants (keyed by a digest or a grant id, so found by the Query of their kind filtered on
    ``sub``)."""
    keys = [key for page in _pages(tenant_id, f"{CONSENT}{sub}#") for key in page]
    keys += [key for page in _pages(tenant_id, f"{FACTOR}{sub}#") for key in page]
    for prefix in USER_PREFIXES:
        keys += [key for page in _pages(tenant_id, prefix, sub) for key in page]
    return keys


def delete_keys(keys: list[Key]) -> int:
    """Delete these items, 25 to a request; how many keys were sent."""
    client = connection().client
    for start in range(0, len(keys), BATCH):
        batch = keys[start : start + BATCH]
        _write_all(client, [{"DeleteRequest": {"Key": {"pk": {"S": pk}, "sk": {"S": sk}}}} for pk, sk in batch])
    return len(keys)


def _write_all(client: Any, requests: list[dict]) -> None:
    """One BatchWriteItem, then again for what DynamoDB left unprocessed (throttling), with
    a growing pause, as its documentation asks."""
    pending = {settings.table_name: requests}
    for attempt in range(8):
        pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
        if not pending:
            return
        time.sleep(min(2.0, 0.05 * 2**attempt))
    raise StoreError("DynamoDB kept items unprocessed (throttled); run the deletion again to finish it")


def _pages(tenant_id: str, prefix: str | None = None, sub: str | None = None) -> Iterator[list[Key]]:
    """Pages of keys of the tenant's items (under ``prefix``; naming ``sub``), read
    consistently: a deletion must see what was written just before it."""
    client = connection().client
    request: dict = {
        "TableName": settings.table_name,
        "KeyConditionExpression": "pk = :pk" + (" AND begins_with(sk, :prefix)" if prefix else ""),
        "ExpressionAttributeValues": {":pk": {"S": tenant_id}},
        "ProjectionExpression": "pk, sk",
        "ConsistentRead": True,
        "Limit": PAGE,
    }
    if prefix:
        request["ExpressionAttributeValues"][":prefix"] = {"S": prefix}
    if sub is not None:
        request["FilterExpression"] = "#sub = :sub"
        request["ExpressionAttributeNames"] = {"#sub": "sub"}
        request["ExpressionAttributeValues"][":sub"] = {"S": sub}
    while True:
        response = client.query(**request)
        yield [(item["pk"]["S"], item["sk"]["S"]) for item in response.get("Items", ())]
        if "LastEvaluatedKey" not in response:
            return
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

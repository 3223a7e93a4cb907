"""The directory of tenants: one small item per tenant under one partition, so an operator
lists 100,000 tenants page by page (a Query each) instead of scanning every tenant's items.

The directory item is written in the same transaction as the tenant's record when it is
created, rewritten with the record when its status changes (chalicelib.store.lifecycle), and
deleted with it. Tenants created before the directory existed are added by ``backfill``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.store.models import DirectoryItem, TenantItem, condition_failed, connection
from chalicelib.store.versions import FIRST_VERSIONS

PK = "#tenants"  # no tenant id starts with "#" (chalicelib.tenancy.ids)
TENANT = "tenant"  # the tenant record's sort key (chalicelib.store.tenants.SK)


@dataclass(frozen=True)
class Entry:
    id: str
    name: str
    created_at: int
    status: str  # "active", "disabled" or "deleting"


def entry_item(item: TenantItem) -> DirectoryItem:
    """The directory entry of a tenant record, as it is (or is about to be) stored."""
    return DirectoryItem(PK, item.pk, name=item.name, created_at=item.created_at, status=item.status)


def create_with_entry(item: TenantItem) -> bool:
    """Store a new tenant record and its directory entry together, the record at a random
    first version (chalicelib.store.versions.put_new: an id may be used again after its
    tenant was deleted, and a reader of the old one must not write to the new one). False,
    nothing written, if the id is taken."""
    item.version = secrets.randbelow(FIRST_VERSIONS) + 1  # type: ignore[attr-defined]
    # PynamoDB's transactional put would require "version == the drawn one" (see versions.py),
    # so the two puts go to DynamoDB as they are, each on condition that its key is new.
    new = "attribute_not_exists(sk)"
    puts = [
        {"TableName": item.Meta.table_name, "Item": model.serialize(), "ConditionExpression": new}
        for model in (item, entry_item(item))
    ]
    try:
        connection().transact_write_items([], [], puts, [])
    except TransactWriteError as error:
        if condition_failed(error):
            return False
        raise
    return True


def list_entries(limit: int, after: str | None = None) -> tuple[list[Entry], str | None]:
    """A page of at most ``limit`` tenants in id order, and the id the next page starts
    after (None on the last page)."""
    start = {"pk": {"S": PK}, "sk": {"S": after}} if after else None
    query = DirectoryItem.query(PK, limit=limit, last_evaluated_key=start)
    entries = [Entry(item.sk, item.name, int(item.created_at), item.status or "active") for item in query]
    last = query.last_evaluated_key
    return entries, (last["sk"]["S"] if last and entries else None)


def backfill() -> tuple[int, int]:
    """Give every tenant record that has no directory entry one (tenants created before the
    directory existed): a one-off Scan of the whole table, filtered to tenant records, each
    entry added only while its record exists and is not being deleted. Safe to run again
    and to interrupt. (scanned tenants, entries added)."""
    scanned = added = 0
    for item in TenantItem.scan(TenantItem.sk == TENANT):
        scanned += 1
        added += _add_entry(item)
    return scanned, added


def _add_entry(item: TenantItem) -> bool:
    serving = TenantItem.sk.exists() & (TenantItem.status.does_not_exist() | (TenantItem.status != "deleting"))
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.condition_check(TenantItem, item.pk, TENANT, condition=serving)
            transaction.save(entry_item(item), condition=DirectoryItem.sk.does_not_exist())
    except TransactWriteError as error:
        if condition_failed(error):
            return False
        raise
    return True

"""Optimistic concurrency for items that are read, changed and written back.

Tenants, clients, users and admin keys carry a ``version`` (PynamoDB's ``VersionAttribute``).
Every write of such an item is conditional on the version that was read and increments it:
of two writers that read the same version, one succeeds and the other gets False here, with
nothing written, and must read again (the admin services retry a merge, or answer 409).

How ``VersionAttribute`` behaves shapes these functions:

- ``save()``, ``update()`` and ``delete()`` (alone or in a transaction) add the condition
  "version == the instance's version" and write version + 1. An instance built from the key
  alone has no version, so its condition is "the item has no version": right for items that
  predate versions (read as version 0 here), wrong for any other, and an update without the
  condition would reset the counter to 1. So a versioned item is only ever written from an
  instance carrying the version that was read (``at_version``).
- ``update()`` is an upsert, and "has no version" holds for an absent item too: every write
  here also requires the item to exist, so nothing recreates an item deleted meanwhile.
- A new item starts at a random version (``put_new``), not at 1: a client id can be
  chosen, so a client deleted and created again under the same key must not be at the
  version that a reader of the old one holds (the ABA problem), or that reader's write would
  land on the new client. Versions are opaque; each write adds one.
"""

from __future__ import annotations

import secrets
from typing import Any, TypeVar

from pynamodb.exceptions import DeleteError, PutError, TransactWriteError, UpdateError

from chalicelib.store.models import Item, condition_failed

M = TypeVar("M", bound=Item)
FAILED = "ConditionalCheckFailedException"
FIRST_VERSIONS = 1 << 31  # a new item's version is drawn below this (and stays a safe JSON number)


def version_of(item: Item) -> int:
    """The version an item was read at (0 for items written before versions existed)."""
    return int(getattr(item, "version", None) or 0)


def at_version(item: M, version: int) -> M:
    """``item`` carrying the version that was read, so its write is conditional on it."""
    if version:
        item.version = version  # type: ignore[attr-defined]
    return item


def put_new(item: Item) -> bool:
    """Store a new item at a random first version; False, and nothing written, if its key
    is taken."""
    item.version = secrets.randbelow(FIRST_VERSIONS)  # type: ignore[attr-defined]  # saved as this + 1
    try:
        # The version condition PynamoDB would add ("version == the drawn one") cannot hold
        # for a new item: the condition that it is new replaces it.
        item.save(condition=Item.sk.does_not_exist(), add_version_condition=False)
    except PutError as error:
        if error.cause_response_code == FAILED:
            return False
        raise
    return True


def replace_if_unchanged(item: Item) -> bool:
    """Write ``item`` whole over the stored one if that still exists at the version ``item``
    carries; False, and nothing written, if it changed or is gone."""
    try:
        item.save(condition=Item.sk.exists())
    except PutError as error:
        if error.cause_response_code == FAILED:
            return False
        raise
    return True


def update_if_unchanged(item: Item, actions: list[Any]) -> bool:
    """Apply ``actions`` if the item still exists at the version ``item`` carries, loading
    what is then stored into ``item``; False, and nothing written, if it changed or is gone."""
    try:
        item.update(actions=actions, condition=Item.sk.exists())
    except UpdateError as error:
        if error.cause_response_code == FAILED:
            return False
        raise
    return True


def delete_if_unchanged(item: Item) -> bool:
    """Delete the stored item if it still exists at the version ``item`` carries; False, and
    nothing deleted, if it changed or is already gone."""
    try:
        item.delete(condition=Item.sk.exists())
    except DeleteError as error:
        if error.cause_response_code == FAILED:
            return False
        raise
    return True


def lost_race(error: TransactWriteError) -> bool:
    """Whether a transaction was cancelled because an item it writes was not as read: one
    of its conditions failed, or another transaction was writing the same item (DynamoDB's
    TransactionConflict). Either way, reading again and retrying is the answer."""
    if condition_failed(error):
        return True
    reasons = error.cancellation_reasons or []
    return any(reason is not None and reason.code == "TransactionConflict" for reason in reasons)

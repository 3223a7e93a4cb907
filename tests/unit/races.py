"""Deterministic races for the unit tests: another writer writes between an action's read
and its write.

The hook sits at the AWS boundary (botocore's ``before-call`` event of the one DynamoDB
client the store uses), so the action under test runs unchanged: it has read the item,
and just as its write is about to leave, the intruder (another admin, the client itself)
writes first. The intruder's own requests do not trigger the hook."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from chalicelib.admin.optimistic import ATTEMPTS
from chalicelib.store.models import connection

WRITES = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems")


@contextmanager
def intruding(intruder: Callable[[], object], times: int = 1, skip: int = 0) -> Iterator[list[object]]:
    """Run ``intruder`` before each of the next ``times`` writes (after ``skip`` others, such
    as a login's abuse-limit count); yields what it returned."""
    events = connection().client.meta.events
    done: list[object] = []
    busy = False
    skipped = 0

    def before_write(params: dict, **_: object) -> None:
        nonlocal busy, skipped
        if busy or len(done) >= times or _schedule_hint(params):
            return
        if skipped < skip:
            skipped += 1
            return
        busy = True
        try:
            done.append(intruder())
        finally:
            busy = False

    names = [f"before-call.dynamodb.{operation}" for operation in WRITES]
    for name in names:
        events.register(name, before_write)
    try:
        yield done
    finally:
        for name in names:
            events.unregister(name, before_write)


def _schedule_hint(params: dict) -> bool:
    """A note for the key-rotation schedule (chalicelib/store/rotation.py), written before
    the change it announces: not the item the race is about."""
    import json

    from chalicelib.store.rotation import PK

    request = json.loads(params.get("body") or b"{}")  # the serialized request, at before-call
    item = request.get("Item") or request.get("Key") or {}
    return item.get("pk", {}).get("S") == PK


def always(intruder: Callable[[], object]):
    """An intruder that wins every attempt of the action: it must give up, not overwrite."""
    return intruding(intruder, times=ATTEMPTS)

"""Abuse-limit counters: one item per subject and time window, counted atomically.

A counter's key names its window (``<name>#<subject>#<window index>``), so every count is the
same single conditional ``ADD`` whatever the time, and DynamoDB's TTL removes old windows. The
condition is part of the write: of any number of parallel attempts, at most ``limit`` are
counted (and so admitted) in a window; the others write nothing. Subjects arrive here already
one-way (keyed digests), so the table holds no address or username of whoever was counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pynamodb.attributes import NumberAttribute
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.store.models import Item, at, connection, retrying_conflicts

PREFIX = "limit#"


class LimitItem(Item, discriminator="limit"):
    n = NumberAttribute(null=True)  # attempts admitted in the window
    f = NumberAttribute(null=True)  # of which failed (drives the back-off)
    until = NumberAttribute(null=True)  # no attempt is admitted before this time (back-off)


@dataclass(frozen=True)
class Counter:
    name: str  # what is counted: "login-source", "login-account", ...
    subject: str  # whom: a keyed digest of the address, account or device
    limit: int  # attempts admitted per window
    window: int  # seconds

    def key(self, now: int) -> str:
        return f"{PREFIX}{self.name}#{self.subject}#{now // self.window}"

    def window_end(self, now: int) -> int:
        return (now // self.window + 1) * self.window


@dataclass(frozen=True)
class Refusal:
    """An attempt the counters refused: when the subject may try again, and which counters
    (by name) refused it."""

    wait: int
    refused: frozenset[str]


def admit(tenant_id: str, counters: Sequence[Counter], now: int) -> Refusal | None:
    """Count one attempt against every counter, all or none, in one write. None when admitted;
    when a counter is full or backing off, a Refusal (and nothing was counted)."""
    if len(counters) == 1:
        return _admit_one(tenant_id, counters[0], now)

    def count() -> None:
        with TransactWrite(connection=connection()) as transaction:
            for counter in counters:
                item = _item(tenant_id, counter, now)
                transaction.update(
                    item, actions=_count(counter, now), condition=_admits(counter, now), return_values="ALL_OLD"
                )

    try:
        retrying_conflicts(count)
    except TransactWriteError as error:
        refusal = (
            _refusal(counters, error, now) if error.cause_response_code == "TransactionCanceledException" else None
        )
        if refusal is None:
            raise
        return refusal
    return None


def add(tenant_id: str, counters: Sequence[Counter], now: int) -> None:
    """Count one event against each counter, whatever its limit: what ``reached`` reads back."""
    for counter in counters:
        item = _item(tenant_id, counter, now)
        retrying_conflicts(lambda item=item, counter=counter: item.update(actions=_count(counter, now)))


def reached(tenant_id: str, counter: Counter, now: int, at_least: int | None = None) -> bool:
    """Whether ``counter`` has counted ``at_least`` (default: its limit) in this window; an
    eventually consistent read, for a decision that a count or two either way does not change."""
    try:
        item = LimitItem.get(tenant_id, counter.key(now))
    except LimitItem.DoesNotExist:
        return False
    return int(item.n or 0) >= (counter.limit if at_least is None else at_least)


def _admit_one(tenant_id: str, counter: Counter, now: int) -> Refusal | None:
    item = _item(tenant_id, counter, now)
    try:
        retrying_conflicts(lambda: item.update(actions=_count(counter, now), condition=_admits(counter, now)))
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        return Refusal(_retry_after(counter, _stored(item), now), frozenset({counter.name}))
    return None


def _count(counter: Counter, now: int) -> list:
    # An UpdateItem writes only what it names: the kind too, so the item reads back as a LimitItem.
    return [LimitItem.kind.set(LimitItem), LimitItem.n.add(1), LimitItem.ttl.set(at(_expiry(counter, now)))]


def _expiry(counter: Counter, now: int) -> int:
    return counter.window_end(now) + counter.window


def _refusal(counters: Sequence[Counter], error: TransactWriteError, now: int) -> Refusal | None:
    """The counters whose condition cancelled the transaction; None when none did (a
    conflicting transaction cancelled it)."""
    waits, refused = [], set()
    for counter, reason in zip(counters, error.cancellation_reasons, strict=True):
        if reason is None or reason.code != "ConditionalCheckFailed":
            continue
        stored = LimitItem.from_raw_data(reason.raw_item) if reason.raw_item else None
        waits.append(_retry_after(counter, stored, now))
        refused.add(counter.name)
    return Refusal(max(waits), frozenset(refused)) if waits else None


def fail(tenant_id: str, counter: Counter, now: int, free: int, cap: int) -> None:
    """Record a failed attempt: after ``free`` failures in the window, each one makes the
    subject wait twice as long as the previous one did (1 s, 2 s, 4 s, ... at most ``cap``)
    before its next attempt is admitted."""
    item = _item(tenant_id, counter, now)
    # The kind and expiry too: an admin's unlock may have deleted the counter meanwhile, and
    # this must not bring it back as an item that never expires.
    ttl = LimitItem.ttl | at(_expiry(counter, now))
    retrying_conflicts(
        lambda: item.update(actions=[LimitItem.kind.set(LimitItem), LimitItem.f.add(1), LimitItem.ttl.set(ttl)])
    )
    failures = int(item.f or 0)
    if failures <= free:
        return
    until = now + min(cap, 2 ** (failures - free - 1))
    if item.until is not None and int(item.until) >= until:
        return
    try:
        item.update(
            actions=[LimitItem.until.set(until)],
            condition=LimitItem.until.does_not_exist() | (LimitItem.until < until),
        )
    except UpdateError as error:  # a parallel failure set a later time: that one stands
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise


def take(tenant_id: str, name: str, limit: int) -> bool:
    """Take one of ``limit`` places of a standing count (a quota of things that exist, with
    no window: ``limit#<name>``), in one conditional ``ADD``; False, with nothing written,
    when every place is taken. Of any number of parallel takers at most ``limit`` succeed."""
    item = LimitItem(tenant_id, PREFIX + name)
    try:
        item.update(
            actions=[LimitItem.kind.set(LimitItem), LimitItem.n.add(1)],
            condition=LimitItem.n.does_not_exist() | (LimitItem.n < limit),
        )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False
    return True


def give_back(tenant_id: str, name: str) -> None:
    """Give back a place that ``take`` gave (never below zero: a thing that existed before
    its count did gives back nothing)."""
    try:
        LimitItem(tenant_id, PREFIX + name).update(actions=[LimitItem.n.add(-1)], condition=LimitItem.n > 0)
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise


def clear(tenant_id: str, prefix: str) -> int:
    """Delete every counter whose key starts with ``limit#<prefix>`` (an admin's unlock);
    how many there were."""
    cleared = 0
    for item in LimitItem.query(tenant_id, LimitItem.sk.startswith(PREFIX + prefix)):
        item.delete()
        cleared += 1
    return cleared


def _item(tenant_id: str, counter: Counter, now: int) -> LimitItem:
    return LimitItem(tenant_id, counter.key(now))


def _admits(counter: Counter, now: int):
    below = LimitItem.n.does_not_exist() | (LimitItem.n < counter.limit)
    return below & (LimitItem.until.does_not_exist() | (LimitItem.until <= now))


def _stored(item: LimitItem) -> LimitItem | None:
    try:
        item.refresh(consistent_read=True)
    except LimitItem.DoesNotExist:
        return None
    return item


def _retry_after(counter: Counter, stored: LimitItem | None, now: int) -> int:
    """When the refused subject may try again: after its back-off, or, once the window is
    full, when the next window starts."""
    if stored is not None and stored.n is not None and int(stored.n) >= counter.limit:
        return max(1, counter.window_end(now) - now)
    if stored is not None and stored.until is not None:
        return max(1, int(stored.until) - now)
    return 1

"""Device authorizations (RFC 8628): one item per pending authorization, keyed by a keyed
digest of its user code (``device#<key>``), holding the SHA-256 digest of its device code,
never either code itself. DynamoDB's TTL removes it after its expiry; every condition
checks the expiry anyway.

Each step is one conditional write: the person's decision (only while pending and live),
each poll (only for its own device code and client, and no sooner than the interval
allows: of two polls at once one is answered ``slow_down``), and the redemption (only
once, with the grant's refresh token and a check that the user may still act, in one
transaction). A refused write changes nothing; the reason is read only on that path.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.store.grants import RefreshGrant, refresh_grant_update
from chalicelib.store.models import Item, UserItem, at, condition_failed, connection, epoch, retrying_conflicts
from chalicelib.store.users import USER, may_act

PREFIX = "device#"
PENDING, APPROVED, DENIED, USED = "pending", "approved", "denied", "used"


class DeviceItem(Item, discriminator="device"):
    secret = UnicodeAttribute()  # digest of the device code
    client_id = UnicodeAttribute()
    scope = UnicodeAttribute()
    claims = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    interval = NumberAttribute()
    next_poll = NumberAttribute(null=True)
    # Set by the person's approval.
    sub = UnicodeAttribute(null=True)
    auth_time = NumberAttribute(null=True)
    amr = ListAttribute(of=UnicodeAttribute, null=True)
    user_epoch = NumberAttribute(null=True)
    sid = UnicodeAttribute(null=True)
    gid = UnicodeAttribute(null=True)


@dataclass(frozen=True)
class DeviceAuthorization:
    key: str  # the user code's keyed digest
    client_id: str
    scope: str
    status: str
    expires_at: int
    interval: int
    claims: str | None = None
    sub: str | None = None
    auth_time: int | None = None
    amr: tuple[str, ...] = ()
    epoch: int = 0
    sid: str | None = None
    gid: str | None = None


@dataclass(frozen=True)
class Approval:
    sub: str
    auth_time: int
    amr: tuple[str, ...]
    epoch: int
    sid: str | None
    gid: str


class Poll(Enum):
    ANSWERED = "answered"  # the poll was recorded: its authorization says what to answer
    SLOW_DOWN = "slow_down"
    EXPIRED = "expired"
    UNKNOWN = "unknown"  # no such device code, another client's, or already used


def create(tenant_id: str, key: str, secret: str, client_id: str, scope: str, claims: str | None,
           interval: int, now: int, expires_at: int) -> bool:  # fmt: skip
    """A new pending authorization; False (nothing written) if its user code is taken."""
    item = DeviceItem(
        tenant_id, PREFIX + key, secret=secret, client_id=client_id, scope=scope, claims=claims,
        status=PENDING, interval=interval, ttl=at(expires_at),
    )  # fmt: skip
    try:
        # A user code whose authorization expired may be drawn again: only a live one is taken.
        item.save(condition=DeviceItem.sk.does_not_exist() | (DeviceItem.ttl <= at(now)))
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def find(tenant_id: str, key: str, now: int) -> DeviceAuthorization | None:
    """The live, pending authorization of this user code, or None."""
    try:
        item = DeviceItem.get(tenant_id, PREFIX + key, consistent_read=True)
    except DoesNotExist:
        return None
    found = _value(item)
    return found if found.status == PENDING and found.expires_at > now else None


def decide(tenant_id: str, key: str, now: int, approval: Approval | None) -> bool:
    """Record the person's answer (an Approval, or None for a denial) on a live pending
    authorization; False, with nothing written, if it is no longer pending or live."""
    item = DeviceItem(tenant_id, PREFIX + key)
    live = DeviceItem.sk.exists() & (DeviceItem.status == PENDING) & (DeviceItem.ttl > at(now))
    if approval is None:
        actions = [DeviceItem.status.set(DENIED)]
    else:
        actions = [
            DeviceItem.status.set(APPROVED), DeviceItem.sub.set(approval.sub),
            DeviceItem.auth_time.set(approval.auth_time), DeviceItem.amr.set(list(approval.amr)),
            DeviceItem.user_epoch.set(approval.epoch), DeviceItem.gid.set(approval.gid),
        ]  # fmt: skip
        if approval.sid is not None:
            actions.append(DeviceItem.sid.set(approval.sid))
    try:
        item.update(actions=actions, condition=live)
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def poll(tenant_id: str, key: str, secret: str, client_id: str, now: int) -> tuple[Poll, DeviceAuthorization | None]:
    """Record a poll (one write): the authorization as it stands when the poll is admitted."""
    item = DeviceItem(tenant_id, PREFIX + key)
    mine = DeviceItem.sk.exists() & (DeviceItem.secret == secret) & (DeviceItem.client_id == client_id)
    due = DeviceItem.next_poll.does_not_exist() | (DeviceItem.next_poll <= now)
    condition = mine & (DeviceItem.status != USED) & (DeviceItem.ttl > at(now)) & due
    try:
        item.update(actions=[DeviceItem.next_poll.set(DeviceItem.interval + now)], condition=condition)
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        return _refused(tenant_id, key, secret, client_id, now), None
    return Poll.ANSWERED, _value(item)


def _refused(tenant_id: str, key: str, secret: str, client_id: str, now: int) -> Poll:
    """Why a poll was refused: one consistent read, on this path only."""
    try:
        item = DeviceItem.get(tenant_id, PREFIX + key, consistent_read=True)
    except DoesNotExist:
        return Poll.UNKNOWN
    if item.secret != secret or item.client_id != client_id or item.status == USED:
        return Poll.UNKNOWN
    return Poll.EXPIRED if epoch(item.ttl) <= now else Poll.SLOW_DOWN


def redeem(tenant_id: str, key: str, now: int, user: tuple[str, int], refresh: tuple[RefreshGrant, str] | None) -> bool:
    """Mark an approved authorization used and store the grant's refresh token, if any, in
    one transaction that also checks the user may still act; False if any condition fails."""
    item = DeviceItem(tenant_id, PREFIX + key)
    approved = DeviceItem.sk.exists() & (DeviceItem.status == APPROVED) & (DeviceItem.ttl > at(now))
    sub, user_epoch = user

    def write() -> None:
        with TransactWrite(connection=connection()) as transaction:
            transaction.update(item, actions=[DeviceItem.status.set(USED)], condition=approved)
            if refresh is not None:
                grant, grant_actions = refresh_grant_update(tenant_id, *refresh)
                transaction.update(grant, actions=grant_actions)
            transaction.condition_check(UserItem, tenant_id, USER + sub, condition=may_act(user_epoch))

    try:
        retrying_conflicts(write)
    except TransactWriteError as error:
        if not condition_failed(error):
            raise
        return False
    return True


def _value(item: DeviceItem) -> DeviceAuthorization:
    return DeviceAuthorization(
        key=item.sk[len(PREFIX) :], client_id=item.client_id, scope=item.scope, status=item.status,
        expires_at=epoch(item.ttl), interval=int(item.interval), claims=item.claims, sub=item.sub,
        auth_time=int(item.auth_time) if item.auth_time is not None else None, amr=tuple(item.amr or ()),
        epoch=int(item.user_epoch or 0), sid=item.sid, gid=item.gid,
    )  # fmt: skip

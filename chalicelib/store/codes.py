"""Authorization codes' single use: one item per code, under the code's digest, holding
nothing but its expiry and, once redeemed, the mark of the redemption. What a code stands
for travels sealed inside the code itself (``chalicelib.oidc.codes``).

Redeeming is one write: the code's item is marked used, on condition that it exists, is
unused and unexpired, and that its user may still act, and in the same transaction the
grant's first refresh token is stored. Of two concurrent redemptions exactly one succeeds, and a refused one writes
nothing.
"""

from __future__ import annotations

import secrets
from enum import Enum

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.opaque import digest
from chalicelib.store.grants import RefreshGrant, refresh_grant_update
from chalicelib.store.models import CodeItem, UserItem, at, condition_failed, connection, retrying_conflicts
from chalicelib.store.users import USER, may_act

PREFIX = "code#"


class Redemption(Enum):
    REDEEMED = "redeemed"
    REPLAYED = "replayed"  # already redeemed: the grant it started must be revoked (RFC 6749 §4.1.2)
    REFUSED = "refused"  # unknown or expired


def code_item(tenant_id: str, code: str, expires_at: int) -> CodeItem:
    return CodeItem(tenant_id, PREFIX + digest(code), ttl=at(expires_at))


def redeem_code(
    tenant_id: str, code: str, now: int, user: tuple[str, int], refresh: tuple[RefreshGrant, str] | None = None
) -> Redemption:
    """Mark the code used and, with ``refresh`` (the grant and its first refresh token's
    secret), store the grant: one conditional write, all or nothing, that also checks that
    the code's user (``user``: its sub and epoch) may still act (``users.may_act``)."""
    item = CodeItem(tenant_id, PREFIX + digest(code))
    marker = secrets.token_urlsafe(16)
    live = CodeItem.sk.exists() & CodeItem.used_at.does_not_exist() & (CodeItem.ttl > at(now))
    actions = [CodeItem.used_at.set(now), CodeItem.used_by.set(marker)]
    sub, epoch = user

    def redeem() -> None:
        with TransactWrite(connection=connection()) as transaction:
            transaction.update(item, actions=actions, condition=live)
            if refresh is not None:
                grant, grant_actions = refresh_grant_update(tenant_id, *refresh)
                transaction.update(grant, actions=grant_actions)
            transaction.condition_check(UserItem, tenant_id, USER + sub, condition=may_act(epoch))

    try:
        retrying_conflicts(redeem)
    except TransactWriteError as error:
        if not condition_failed(error):
            raise
        return _explain(item, marker)
    return Redemption.REDEEMED


def _explain(item: CodeItem, marker: str) -> Redemption:
    """One consistent read, on the refusal path only."""
    try:
        item.refresh(consistent_read=True)
    except DoesNotExist:
        return Redemption.REFUSED
    if item.used_by == marker:
        # botocore retried a write whose response was lost and met its own first attempt.
        return Redemption.REDEEMED
    return Redemption.REPLAYED if item.used_at is not None else Redemption.REFUSED

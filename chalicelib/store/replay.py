"""Values a sender may use only once: the ``jti`` of a client assertion (RFC 7523 §3 item 7),
and later of a DPoP proof. One item per value seen, keyed by its digest under its sender,
kept until the value could no longer be accepted anyway (the assertion's expiry).

Recording a value is one conditional PutItem: it succeeds only if the key is free, or holds
an expired entry that DynamoDB's TTL sweeper (which may lag by days) has not removed yet. Of
two requests racing with the same value exactly one succeeds; the other writes nothing.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute
from pynamodb.exceptions import PutError

from chalicelib.opaque import digest
from chalicelib.store.models import Item, at

PREFIX = "replay#"


class ReplayItem(Item, discriminator="replay"):
    used_at = NumberAttribute()


def first_use(tenant_id: str, scope: str, value: str, expires_at: int, now: int) -> bool:
    """Record ``value`` as used by ``scope`` (a kind and a sender, e.g. ``assertion client-1``)
    until ``expires_at``; False, and nothing written, if it was recorded before and is
    still live at ``now``."""
    item = ReplayItem(tenant_id, PREFIX + digest(f"{scope}\n{value}"), used_at=now, ttl=at(expires_at))
    free = ReplayItem.sk.does_not_exist() | (ReplayItem.ttl <= at(now))
    try:
        item.save(condition=free)
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True

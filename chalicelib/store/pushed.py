"""Pushed authorization requests (RFC 9126): the parameters a client pushed, kept under the
digest of their request_uri's random part until they are used once or expire.

Using one is a single conditional DeleteItem that returns what it held: of two uses racing
exactly one gets the parameters; an expired request (whatever DynamoDB's TTL sweeper has
done yet) or another client's is refused by the condition and left as it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pynamodb.attributes import JSONAttribute, UnicodeAttribute
from pynamodb.exceptions import DeleteError

from chalicelib.opaque import digest
from chalicelib.settings import settings
from chalicelib.store.models import Item, at, connection, put_if_absent

PREFIX = "par#"


class PushedRequestItem(Item, discriminator="par"):
    client_id = UnicodeAttribute()
    params = JSONAttribute()


def push(tenant_id: str, handle: str, client_id: str, params: Mapping[str, str], expires_at: int) -> None:
    """Keep ``params`` for ``client_id`` under ``handle`` (256 random bits) until ``expires_at``."""
    item = PushedRequestItem(
        tenant_id, PREFIX + digest(handle), client_id=client_id, params=dict(params), ttl=at(expires_at)
    )
    if not put_if_absent(item):  # 256 random bits never collide; a collision must not overwrite
        raise RuntimeError("pushed request collision")


def consume(tenant_id: str, handle: str, client_id: str, now: int) -> dict[str, Any] | None:
    """The parameters pushed under ``handle`` by ``client_id``, deleted as they are read; None
    (and nothing changed) if there are none, they expired, or another client pushed them."""
    live = (
        PushedRequestItem.sk.exists() & (PushedRequestItem.ttl > at(now)) & (PushedRequestItem.client_id == client_id)
    )
    try:
        response = connection().delete_item(
            settings.table_name, tenant_id, PREFIX + digest(handle), condition=live, return_values="ALL_OLD"
        )
    except DeleteError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise
    attributes = response.get("Attributes")
    if not attributes:
        return None
    params = PushedRequestItem.from_raw_data(attributes).params
    return params if isinstance(params, dict) else None

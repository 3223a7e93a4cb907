"""Single-use tokens that travel by email: password reset links, email verification and
sign-up confirmation links.

The link carries a 256-bit random token (email has no other way to carry it); the table holds
only its SHA-256 digest, so a copy of the table opens no link. A token is consumed by one
conditional DeleteItem that returns what it held: of two uses racing, exactly one gets it,
and an expired token is refused by the condition itself, whatever DynamoDB's TTL sweeper
has done yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pynamodb.attributes import JSONAttribute, UnicodeAttribute
from pynamodb.exceptions import DeleteError

from chalicelib.opaque import digest
from chalicelib.settings import settings
from chalicelib.store.models import Item, at, connection, epoch, put_if_absent

PREFIX = "mailtoken#"
PURPOSES = ("reset", "verify", "signup")


class MailTokenItem(Item, discriminator="mail-token"):
    purpose = UnicodeAttribute()
    sub = UnicodeAttribute(null=True)
    # What the link stands for: the address being verified; for a sign-up, the account to
    # create (its claims and password hash: never a password).
    data = JSONAttribute(null=True)


@dataclass(frozen=True)
class MailToken:
    tenant_id: str
    purpose: str
    expires_at: int
    sub: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


def store_token(token: str, minted: MailToken) -> None:
    """Store ``token``'s digest with what it stands for, until ``minted.expires_at``."""
    if minted.purpose not in PURPOSES:
        raise ValueError(f"unknown mail token purpose {minted.purpose!r}")
    item = MailTokenItem(
        minted.tenant_id,
        PREFIX + digest(token),
        purpose=minted.purpose,
        sub=minted.sub,
        data=dict(minted.data) or None,
        ttl=at(minted.expires_at),
    )
    if not put_if_absent(item):  # 256 random bits never collide; a collision must not overwrite
        raise RuntimeError("mail token collision")


def peek(tenant_id: str, token: str, purpose: str, now: int) -> MailToken | None:
    """The live token (not consumed): what a link's landing page shows before the POST."""
    if not _plausible(token):
        return None
    try:
        item = MailTokenItem.get(tenant_id, PREFIX + digest(token), consistent_read=True)
    except MailTokenItem.DoesNotExist:
        return None
    found = _from_item(item)
    return found if found.purpose == purpose and found.expires_at > now else None


def consume(tenant_id: str, token: str, purpose: str, now: int) -> MailToken | None:
    """Use the token up: one conditional DeleteItem (it exists, is for ``purpose`` and has
    not expired) returning what it held. None, nothing changed, if it is unknown, used,
    expired or for something else."""
    if not _plausible(token):
        return None
    condition = MailTokenItem.sk.exists() & (MailTokenItem.purpose == purpose) & (MailTokenItem.ttl > at(now))
    try:
        response = connection().delete_item(
            settings.table_name, tenant_id, PREFIX + digest(token), condition=condition, return_values="ALL_OLD"
        )
    except DeleteError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise
    attributes = response.get("Attributes")
    return _from_item(MailTokenItem.from_raw_data(attributes)) if attributes else None


def _plausible(token: str) -> bool:
    """What ``opaque.new_token`` makes: 43 base64url characters (anything else is no token,
    and never reaches a key)."""
    return len(token) == 43 and token.isascii() and all(c.isalnum() or c in "-_" for c in token)


def _from_item(item: MailTokenItem) -> MailToken:
    return MailToken(item.pk, item.purpose, epoch(item.ttl), item.sub, item.data or {})

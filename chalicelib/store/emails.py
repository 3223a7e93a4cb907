"""Finding a tenant's users by email address without a Scan: one small item per user that
has an ``email`` claim,

    pk = <tenant id>    sk = "email#<SHA-256 of the normalized address>#<sub>"

written in the same transaction as the profile whenever the claim appears, changes or goes
(``chalicelib.store.users``: ``create_user``, ``update_user``, ``delete_user``), so every path
that sets a user's address (admin API, CLI, console, sign-up) keeps it. Several users may
share an address: each has an item of its own, and one Query (the digest as a key prefix)
finds them all. The digest gives every address a key part of one length and alphabet, so
no address's prefix is another's, whatever characters a claim holds.

A table holds no such item for a user whose address was set before this index existed:
``chalicelib.admin.users.index_emails`` writes the missing ones.
"""

from __future__ import annotations

import hashlib

from pynamodb.attributes import UnicodeAttribute

from chalicelib.opaque import b64url
from chalicelib.store.models import Item

PREFIX = "email#"
# The most accounts one address finds: what one forgot-password request can mail at most.
MOST = 10


class EmailItem(Item, discriminator="email"):
    sub = UnicodeAttribute()


def item(tenant_id: str, address: str, sub: str) -> EmailItem:
    """The lookup item of ``sub`` under ``address`` (normalized by the caller)."""
    return EmailItem(tenant_id, _prefix(address) + sub, sub=sub)


def find(tenant_id: str, address: str) -> list[str]:
    """The subs of (at most ``MOST``) users filed under ``address``: one Query of one page."""
    query = EmailItem.query(tenant_id, EmailItem.sk.startswith(_prefix(address)), limit=MOST)
    return [found.sub for found in query]


def _prefix(address: str) -> str:
    # surrogatepass: a claim is whatever JSON string an admin stored, lone surrogates included.
    return PREFIX + b64url(hashlib.sha256(address.encode("utf-8", "surrogatepass")).digest()) + "#"

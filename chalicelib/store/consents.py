"""Remembered consent: which scopes a user granted a client, until when."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.store.models import ConsentItem, at, epoch, valid_key_part

PREFIX = "consent#"


@dataclass(frozen=True)
class Consent:
    tenant_id: str
    client_id: str
    sub: str
    scopes: tuple[str, ...]
    given_at: int
    expires_at: int


def consent_key(sub: str, client_id: str) -> str:
    # sub first: a user's consents are one begins_with query away.
    return f"{PREFIX}{sub}#{client_id}"


def consent_item(consent: Consent) -> ConsentItem:
    return ConsentItem(
        consent.tenant_id,
        consent_key(consent.sub, consent.client_id),
        client_id=consent.client_id,
        sub=consent.sub,
        scopes=list(consent.scopes),
        given_at=consent.given_at,
        ttl=at(consent.expires_at),
    )


def from_item(item: ConsentItem, now: int) -> Consent | None:
    expires_at = epoch(item.ttl)
    if expires_at <= now:
        return None
    return Consent(
        tenant_id=item.pk,
        client_id=item.client_id,
        sub=item.sub,
        scopes=tuple(item.scopes or ()),
        given_at=int(item.given_at),
        expires_at=expires_at,
    )


def get_consent(tenant_id: str, sub: str, client_id: str, now: int) -> Consent | None:
    if not (valid_key_part(sub) and valid_key_part(client_id)):
        return None
    try:
        return from_item(ConsentItem.get(tenant_id, consent_key(sub, client_id)), now)
    except ConsentItem.DoesNotExist:
        return None

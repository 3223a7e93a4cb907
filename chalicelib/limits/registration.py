"""Limits on dynamic client registration (RFC 7591 §5: an open registration endpoint must
be protected against abuse).

- Every registration attempt (open, or with an initial access token) is counted against its
  source address before anything else is looked at, refused or not, so a flood from one
  address is cut at ``registrations_per_source`` an hour whatever it sends.
- The clients that registered themselves hold places in a standing count, the tenant's
  ``registration_quota``: a place is taken, atomically and with a condition, just before
  such a client is written, and given back when it is deleted (RFC 7592 or by an admin).
"""

from __future__ import annotations

from chalicelib.limits import source_of, subject
from chalicelib.store import limits as store
from chalicelib.store.limits import Counter
from chalicelib.tenancy.settings import TenantSettings

WINDOW = 3600  # registrations_per_source counts per hour
QUOTA = "registration-quota"


def admit(tenant_id: str, source: str, settings: TenantSettings, now: int) -> int | None:
    """Count one registration attempt from ``source``: None if admitted, else the seconds
    until this source may try again (and nothing was counted)."""
    counter = Counter(
        "registration-source",
        subject(tenant_id, "source", source_of(source)),
        settings.registrations_per_source,
        WINDOW,
    )
    refusal = store.admit(tenant_id, [counter], now)
    return refusal.wait if refusal is not None else None


def take_place(tenant_id: str, settings: TenantSettings) -> bool:
    """A place for one more self-registered client; False when the quota is full."""
    return store.take(tenant_id, QUOTA, settings.registration_quota)


def give_back(tenant_id: str) -> None:
    """A self-registered client is gone (or was not written after all): its place is free."""
    store.give_back(tenant_id, QUOTA)

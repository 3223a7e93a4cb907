"""Limits on the forms that send mail or redeem a mailed link: forgot password, sign-up,
"verify my address", and the links' own forms.

A request that sends mail is counted against its source address and against the account it
names (the username or address typed, whether or not it exists: both alike), together in one
conditional write, before anything is looked up: so nobody can flood an inbox or a tenant's
SES quota, and the limits reveal no account. A link's form (a new password, a confirmation)
is counted against its source alone: its token is 256 random bits, but a flood of guesses
must still cost the guesser and not the table.
"""

from __future__ import annotations

from chalicelib.limits import source_of, subject
from chalicelib.store import limits as store
from chalicelib.store.limits import Counter
from chalicelib.tenancy.settings import TenantSettings


def _source(tenant_id: str, source: str, settings: TenantSettings) -> Counter:
    who = subject(tenant_id, "source", source_of(source))
    return Counter("mail-source", who, settings.mail_requests_per_source, settings.mail_window)


def admit(tenant_id: str, source: str, account: str, settings: TenantSettings, now: int) -> int | None:
    """Count one mail-sending request from ``source`` naming ``account`` (normalized): None
    if admitted, else the seconds to wait (and nothing was counted)."""
    account_counter = Counter(
        "mail-account", subject(tenant_id, "account", account), settings.mail_requests_per_account, settings.mail_window
    )
    refusal = store.admit(tenant_id, [_source(tenant_id, source, settings), account_counter], now)
    return refusal.wait if refusal is not None else None


def admit_link(tenant_id: str, source: str, settings: TenantSettings, now: int) -> int | None:
    """Count one use of a mailed link's form from ``source``: None if admitted, else the wait."""
    refusal = store.admit(tenant_id, [_source(tenant_id, source, settings)], now)
    return refusal.wait if refusal is not None else None

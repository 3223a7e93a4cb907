"""Limits on guessing second-factor codes (TOTP, recovery codes).

A six-digit code has a million values, three of them valid at a time: unlimited tries would
find one in hours. Every code tried is counted before it is checked, against the account
(its ``sub``: only someone who knew the password gets here) and against the request's source
address, both in one conditional write, all or none (``chalicelib.store.limits``).
"""

from __future__ import annotations

from chalicelib.limits import source_of, subject
from chalicelib.store import limits as store
from chalicelib.store.limits import Counter
from chalicelib.tenancy.settings import TenantSettings

NAMES = ("mfa-account", "mfa-source")


def counters(tenant_id: str, sub: str, source: str, settings: TenantSettings) -> list[Counter]:
    window = settings.login_window
    return [
        Counter(NAMES[0], subject(tenant_id, "mfa-account", sub), settings.mfa_attempts_per_account, window),
        Counter(NAMES[1], subject(tenant_id, "source", source_of(source)), settings.mfa_attempts_per_source, window),
    ]


def admit(tenant_id: str, sub: str, source: str, settings: TenantSettings, now: int) -> int | None:
    """None if one more code may be checked; else the seconds until one may."""
    refusal = store.admit(tenant_id, counters(tenant_id, sub, source, settings), now)
    return refusal.wait if refusal is not None else None


def unlock(tenant_id: str, sub: str) -> int:
    """Forget the account's count (an operator resetting the user's second factor)."""
    return store.clear(tenant_id, f"{NAMES[0]}#{subject(tenant_id, 'mfa-account', sub)}#")

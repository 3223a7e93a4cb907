"""Limits on password guessing, at the login page and the password grant.

Every attempt is counted before its password is checked, so a burst of parallel guesses is
cut at the limit (OWASP Authentication Cheat Sheet, "Login Throttling"):

- against its source address, for password spraying (one password tried on many accounts);
- against the account (whether or not it exists: known and unknown usernames behave the same,
  so the limits reveal nothing) from browsers that never signed in to it, with an
  exponential back-off after a few failures and a hard stop at the window's limit;
- or, from a browser that has signed in to this account before (it holds a device cookie, see
  ``chalicelib.accounts.devices``), against that browser alone. So an attacker who keeps an
  account's counter full (lockout as a weapon) locks out strangers' browsers, never the
  owner's own (OWASP's "device cookies").
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.limits import source_of, subject
from chalicelib.store import limits as store
from chalicelib.store.limits import Counter
from chalicelib.tenancy.settings import TenantSettings

BACKOFF_CAP = 60  # seconds: the back-off doubles up to this, then the window's limit stops it


@dataclass(frozen=True)
class Attempt:
    """Who is trying: the account (a normalized username), the request's source address, and
    the browser's device id when it has signed in to this account before."""

    tenant_id: str
    username: str
    source: str
    device: str | None = None


def account_prefix(tenant_id: str, username: str) -> str:
    """The key prefix of every counter of this account (untrusted browsers and devices)."""
    return f"login-account#{subject(tenant_id, 'account', username)}"


def counters(attempt: Attempt, settings: TenantSettings) -> list[Counter]:
    window, prefix = settings.login_window, account_prefix(attempt.tenant_id, attempt.username)
    if attempt.device is not None:
        device = subject(attempt.tenant_id, "device", attempt.device)
        return [Counter(prefix, device, settings.login_attempts_per_device, window)]
    source = Counter(
        "login-source",
        subject(attempt.tenant_id, "source", source_of(attempt.source)),
        settings.login_attempts_per_source,
        window,
    )
    return [source, Counter(prefix, "-", settings.login_attempts_per_account, window)]


def admit(attempt: Attempt, settings: TenantSettings, now: int) -> int | None:
    """None if the attempt may check its password; else the seconds to wait."""
    return store.admit(attempt.tenant_id, counters(attempt, settings), now)


def failed(attempt: Attempt, settings: TenantSettings, now: int) -> None:
    """The account's (or the device's) back-off grows; the source's count already holds."""
    account = counters(attempt, settings)[-1]
    store.fail(attempt.tenant_id, account, now, settings.login_free_failures, BACKOFF_CAP)


def unlock(tenant_id: str, username: str) -> int:
    """Forget the account's counters (an admin's unlock): every browser may try again."""
    return store.clear(tenant_id, account_prefix(tenant_id, username) + "#")

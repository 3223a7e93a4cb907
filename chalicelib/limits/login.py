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
SOURCES = ("login-source", "login-client")


@dataclass(frozen=True)
class Attempt:
    """Who is trying: the account (a normalized username), the request's source address, the
    browser's device id when it has signed in to this account before, and for the password
    grant the client that relays the attempt."""

    tenant_id: str
    username: str
    source: str
    device: str | None = None
    client_id: str | None = None


def account_prefix(tenant_id: str, username: str) -> str:
    """The key prefix of every counter of this account (untrusted browsers and devices)."""
    return f"login-account#{subject(tenant_id, 'account', username)}"


def source_counter(attempt: Attempt, settings: TenantSettings) -> Counter:
    """Where the attempt comes from. The password grant's request comes from the client's
    server, which relays all its users' attempts: counting its address would let strangers
    typing wrong passwords into the client's own form lock every user of it out, so the
    grant is counted per client, with a limit of its own."""
    if attempt.client_id is not None:
        who = subject(attempt.tenant_id, "client", attempt.client_id)
        return Counter(SOURCES[1], who, settings.login_attempts_per_client, settings.login_window)
    who = subject(attempt.tenant_id, "source", source_of(attempt.source))
    return Counter(SOURCES[0], who, settings.login_attempts_per_source, settings.login_window)


def account_counter(attempt: Attempt, settings: TenantSettings) -> Counter:
    """The account's counter for strangers' browsers, or the owner's browser's own."""
    prefix = account_prefix(attempt.tenant_id, attempt.username)
    if attempt.device is not None:
        device = subject(attempt.tenant_id, "device", attempt.device)
        return Counter(prefix, device, settings.login_attempts_per_device, settings.login_window)
    return Counter(prefix, "-", settings.login_attempts_per_account, settings.login_window)


@dataclass(frozen=True)
class Limited:
    """A refused attempt: when to try again, and whether it is the source (or client) that is
    out of attempts, not just the account or device."""

    retry_after: int
    source_exhausted: bool


def admit(attempt: Attempt, settings: TenantSettings, now: int) -> Limited | None:
    """None if the attempt may check its password. From a stranger's browser (or a client)
    the source and the account are counted together, all or none; from the owner's browser,
    the device alone (a household or an office behind one address spends nothing of the
    source's count by signing in). An attempt the account or device refuses is still charged
    to the source, so one address hammering a locked account runs out of attempts of its own."""
    source, account = source_counter(attempt, settings), account_counter(attempt, settings)
    counted = [account] if attempt.device is not None else [source, account]
    refusal = store.admit(attempt.tenant_id, counted, now)
    if refusal is None:
        return None
    exhausted = source.name in refusal.refused
    if not exhausted:
        exhausted = store.admit(attempt.tenant_id, [source], now) is not None
    return Limited(refusal.wait, exhausted)


def failed(attempt: Attempt, settings: TenantSettings, now: int) -> None:
    """The account's (or the device's) back-off grows; the source's count already holds."""
    store.fail(attempt.tenant_id, account_counter(attempt, settings), now, settings.login_free_failures, BACKOFF_CAP)


def unlock(tenant_id: str, username: str) -> int:
    """Forget the account's counters (an admin's unlock): every browser may try again."""
    return store.clear(tenant_id, account_prefix(tenant_id, username) + "#")

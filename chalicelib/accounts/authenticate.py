"""Authenticate an end user by username and password, within the abuse limits.

Every outcome costs one password hash: a right or wrong password, an unknown or disabled
user, and an attempt the account's limits refuse (but not one from a source that is out of
attempts). With the limits counting unknown usernames exactly as known ones, neither the
answer nor its timing says whether an account exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.accounts import passwords
from chalicelib.limits import login as limits
from chalicelib.limits.login import Attempt
from chalicelib.store import users
from chalicelib.store.users import Login, normalize_username
from chalicelib.tenancy.settings import TenantSettings


@dataclass(frozen=True)
class Limited:
    """Too many attempts (on this account from this browser, or from this source): no
    password is checked until ``retry_after`` seconds pass."""

    retry_after: int


def attempt(
    tenant_id: str, username: str, source: str, device: str | None = None, client_id: str | None = None
) -> Attempt:
    return Attempt(tenant_id, normalize_username(username), source, device, client_id)


def authenticate(attempt: Attempt, password: str, settings: TenantSettings, now: int) -> Login | Limited | None:
    """The user's login record if the password is right. The attempt is counted first (one
    write); then one read, and after a failure one or two writes (the back-off). A hash made
    with older parameters is upgraded on a successful login (one extra write, once)."""
    limited = limits.admit(attempt, settings, now)
    if limited is not None:
        if not limited.source_exhausted:
            # A locked account costs what any attempt costs (its lock tells nothing, since
            # unknown accounts lock alike). A source out of attempts gets no hash: that
            # bounds the hashing one address can ask for, and says nothing of any account.
            passwords.burn_time(password)
        return Limited(limited.retry_after)
    login = users.get_login(attempt.tenant_id, attempt.username)
    if login is None or login.disabled:
        passwords.burn_time(password)
        limits.failed(attempt, settings, now)
        return None
    if not passwords.verify_password(login.password_hash, password):
        limits.failed(attempt, settings, now)
        return None
    if passwords.needs_rehash(login.password_hash):
        users.rehash_password(login, passwords.hash_password(password))
    return login

"""Authenticate an end user by username and password, with brute-force protection."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.accounts import passwords
from chalicelib.store import users
from chalicelib.store.users import Login

# After this many wrong passwords in a row, the account refuses passwords for LOCKOUT
# seconds from the latest failure (RFC 6749 §4.3.2 and OWASP: throttle password guessing).
MAX_FAILURES = 5
LOCKOUT = 900


@dataclass(frozen=True)
class Locked:
    """Too many recent failures: no password is checked until ``retry_after`` seconds pass."""

    retry_after: int


def authenticate(tenant_id: str, username: str, password: str, now: int) -> Login | Locked | None:
    """The user's login record if the password is right; one DynamoDB read either way, plus
    one write after a failure (or after the first success that follows failures).

    Unknown usernames cost the same hash verification as wrong passwords. A hash made with
    older parameters is upgraded on a successful login (one extra write, once)."""
    login = users.get_login(tenant_id, username)
    if login is None or login.disabled:
        passwords.burn_time(password)
        return None
    recent = login.failures if now - login.failed_at < LOCKOUT else 0
    if recent >= MAX_FAILURES:
        return Locked(LOCKOUT - (now - login.failed_at))
    if not passwords.verify_password(login.password_hash, password):
        users.record_failure(tenant_id, login.username, recent + 1, now)
        return None
    if login.failures:
        users.clear_failures(tenant_id, login.username)
    if passwords.needs_rehash(login.password_hash):
        users.rehash_password(login, passwords.hash_password(password))
    return login

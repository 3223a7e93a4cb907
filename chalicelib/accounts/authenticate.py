"""Authenticate an end user by username and password."""

from __future__ import annotations

from chalicelib.accounts import passwords
from chalicelib.store import users
from chalicelib.store.users import Login


def authenticate(tenant_id: str, username: str, password: str) -> Login | None:
    """The user's login record if the password is right; one DynamoDB read either way.

    Unknown usernames cost the same hash verification as wrong passwords. A hash made with
    older parameters is upgraded on a successful login (one extra write, once)."""
    login = users.get_login(tenant_id, username)
    if login is None:
        passwords.burn_time(password)
        return None
    if not passwords.verify_password(login.password_hash, password):
        return None
    if passwords.needs_rehash(login.password_hash):
        users.set_password_hash(tenant_id, login.username, passwords.hash_password(password))
    return login

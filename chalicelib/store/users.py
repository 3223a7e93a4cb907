"""End users: a profile item keyed by the opaque ``sub`` and a login item keyed by username.

A password login reads only the login item (it holds the sub and the password hash); the
UserInfo endpoint reads only the profile item. Renaming a user never changes the sub.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.store.models import (
    LoginItem,
    UserItem,
    condition_failed,
    connection,
    valid_key_part,
)

USER = "user#"
LOGIN = "login#"


@dataclass(frozen=True)
class User:
    tenant_id: str
    sub: str
    username: str
    created_at: int
    updated_at: int
    claims: Mapping[str, Any] = field(default_factory=dict)
    active: bool = True


@dataclass(frozen=True)
class Login:
    tenant_id: str
    username: str
    sub: str
    password_hash: str
    disabled: bool = False


def normalize_username(username: str) -> str:
    """Usernames match case-insensitively and in any Unicode normal form."""
    return unicodedata.normalize("NFKC", username).casefold().strip()


def get_login(tenant_id: str, username: str) -> Login | None:
    name = normalize_username(username)
    if not valid_key_part(name):
        return None
    try:
        item = LoginItem.get(tenant_id, LOGIN + name)
    except LoginItem.DoesNotExist:
        return None
    return Login(
        tenant_id,
        name,
        item.sub,
        item.password_hash,
        bool(item.disabled),
    )


def get_user(tenant_id: str, sub: str) -> User | None:
    if not valid_key_part(sub):
        return None
    try:
        return from_item(UserItem.get(tenant_id, USER + sub))
    except UserItem.DoesNotExist:
        return None


def create_user(user: User, password_hash: str) -> bool:
    """Store a user and its login together; False if the username (or sub) is taken."""
    name = normalize_username(user.username)
    login = LoginItem(user.tenant_id, LOGIN + name, sub=user.sub, password_hash=password_hash)
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.save(login, condition=LoginItem.sk.does_not_exist())
            transaction.save(_to_item(user), condition=UserItem.sk.does_not_exist())
    except TransactWriteError as error:
        if condition_failed(error):
            return False
        raise
    return True


def set_password_hash(tenant_id: str, username: str, password_hash: str) -> None:
    item = LoginItem(tenant_id, LOGIN + normalize_username(username))
    item.update(
        actions=[LoginItem.password_hash.set(password_hash)],
        condition=LoginItem.sk.exists(),
    )


def update_claims(tenant_id: str, sub: str, claims: Mapping[str, Any], now: int | None = None) -> User:
    item = UserItem(tenant_id, USER + sub)
    item.update(
        actions=[UserItem.claims.set(dict(claims)), UserItem.updated_at.set(now or int(time.time()))],
        condition=UserItem.sk.exists(),
    )
    return from_item(item)


def set_active(tenant_id: str, sub: str, username: str, active: bool) -> User:
    """Enable or disable a user: its profile (checked by UserInfo and introspection) and its
    login (checked at every password login) change together."""
    user, login = UserItem(tenant_id, USER + sub), LoginItem(tenant_id, LOGIN + normalize_username(username))
    with TransactWrite(connection=connection()) as transaction:
        transaction.update(user, actions=[UserItem.active.set(active)], condition=UserItem.sk.exists())
        flag = LoginItem.disabled.remove() if active else LoginItem.disabled.set(True)
        transaction.update(login, actions=[flag], condition=LoginItem.sk.exists())
    found = get_user(tenant_id, sub)
    if found is None:
        raise LookupError(sub)
    return found


def list_users(tenant_id: str, limit: int = 100, after: str | None = None) -> tuple[list[User], str | None]:
    """A page of the tenant's users (one Query), and where the next page starts."""
    query = UserItem.query(
        tenant_id,
        UserItem.sk.startswith(USER),
        limit=limit,
        last_evaluated_key={"pk": {"S": tenant_id}, "sk": {"S": USER + after}} if after else None,
    )
    users = [from_item(item) for item in query]
    last = query.last_evaluated_key
    return users, last["sk"]["S"][len(USER) :] if last else None


def delete_user(tenant_id: str, sub: str, username: str) -> None:
    """The profile and the login go together; the user's tokens fail at their next check."""
    with TransactWrite(connection=connection()) as transaction:
        transaction.delete(UserItem(tenant_id, USER + sub))
        transaction.delete(LoginItem(tenant_id, LOGIN + normalize_username(username)))


def _to_item(user: User) -> UserItem:
    return UserItem(
        user.tenant_id,
        USER + user.sub,
        username=user.username,
        claims=dict(user.claims),
        active=user.active,
        created_at=user.created_at,
        updated_at=user.updated_at,
    )


def from_item(item: UserItem) -> User:
    return User(
        tenant_id=item.pk,
        sub=item.sk[len(USER) :],
        username=item.username,
        claims=item.claims or {},
        active=bool(item.active),
        created_at=int(item.created_at),
        updated_at=int(item.updated_at),
    )

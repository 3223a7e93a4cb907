"""End users: a profile item keyed by the opaque ``sub`` and a login item keyed by username.

A password login reads only the login item (it holds the sub and the password hash); the
UserInfo endpoint reads only the profile item. Renaming a user never changes the sub. A user
with an ``email`` claim also has a lookup item under that address (``chalicelib.store.emails``),
written with the profile.
"""

from __future__ import annotations

import secrets
import time
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from chalicelib.store import emails
from chalicelib.store.models import (
    LoginItem,
    UserItem,
    condition_failed,
    connection,
    valid_key_part,
)
from chalicelib.store.versions import at_version, lost_race, update_if_unchanged, version_of

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
    # The profile item's version when this was read: writing it back requires the same one.
    version: int = 0
    epoch: int = 0
    # May sign in to the tenant's admin console.
    admin: bool = False

    def accepts(self, epoch: int) -> bool:
        """Whether a session, code, grant or token stamped with ``epoch`` may still act for
        this user (see ``may_act``)."""
        return self.active and self.epoch == epoch


@dataclass(frozen=True)
class Login:
    tenant_id: str
    username: str
    sub: str
    password_hash: str
    disabled: bool = False
    epoch: int = 0


def may_act(epoch: int) -> Condition:
    """The user's epoch: a number each user starts at at random, which disabling them, or an
    admin setting their password, increments (on the profile and the login together). Every
    session, code, grant and access token is stamped with the epoch of the login it comes
    from, and acts for the user only while the user is active and still at that epoch: an
    attacker who was in is out at once, whatever the clocks say, and a user deleted and
    created again under the same sub (a deployment's generate_sub hook) inherits nothing.
    This condition says it to DynamoDB; ``User.accepts`` says it to Python."""
    same = UserItem.epoch == epoch
    if epoch == 0:  # users from before epochs have none
        same = UserItem.epoch.does_not_exist() | same
    return UserItem.sk.exists() & (UserItem.active == True) & same  # noqa: E712 (an expression)


def normalize_username(username: str) -> str:
    """Usernames match case-insensitively and in any Unicode normal form: NFKC, case folding,
    then NFKC again, since folding can leave a decomposed form ("ß" + combining caron folds to
    "ss" + caron, which NFKC composes to "sš"). The result is stable (a second pass changes
    nothing), so every spelling of a name has one login item and one abuse-limit counter."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", username).casefold()).strip()


def address(claims: Mapping[str, Any]) -> str | None:
    """The ``email`` claim as the lookup files it (case and Unicode form aside, as usernames);
    None without one."""
    email = claims.get("email")
    normalized = normalize_username(email) if isinstance(email, str) else ""
    return normalized if valid_key_part(normalized) else None


def find_by_email(tenant_id: str, email: str) -> list[User]:
    """The users whose ``email`` claim is ``email``: one Query of the lookup items, one
    BatchGetItem of their profiles (each checked to hold the address still)."""
    wanted = normalize_username(email)
    subs = emails.find(tenant_id, wanted) if valid_key_part(wanted) else []
    found = [from_item(item) for item in UserItem.batch_get([(tenant_id, USER + sub) for sub in subs])] if subs else []
    return sorted((user for user in found if address(user.claims) == wanted), key=lambda user: user.sub)


def get_login(tenant_id: str, username: str, consistent: bool = False) -> Login | None:
    """The login; ``consistent`` for the admin's reads, which are written back."""
    name = normalize_username(username)
    if not valid_key_part(name):
        return None
    try:
        item = LoginItem.get(tenant_id, LOGIN + name, consistent_read=consistent)
    except LoginItem.DoesNotExist:
        return None
    return Login(
        tenant_id,
        name,
        item.sub,
        item.password_hash,
        bool(item.disabled),
        int(item.epoch or 0),
    )


def get_user(tenant_id: str, sub: str, consistent: bool = False) -> User | None:
    """The profile; ``consistent`` for the admin's reads, which are written back."""
    if not valid_key_part(sub):
        return None
    try:
        return from_item(UserItem.get(tenant_id, USER + sub, consistent_read=consistent))
    except UserItem.DoesNotExist:
        return None


def create_user(user: User, password_hash: str) -> User | None:
    """Store a user and its login together; None if the username (or sub) is taken. The
    user starts at version 1 (a transaction's put takes PynamoDB's version condition): unlike
    a client id, a sub is never given to another user, so a reader of a deleted user's
    version cannot meet a new user under its key."""
    name = normalize_username(user.username)
    epoch = secrets.randbelow(1 << 31) + 1  # random: see may_act
    login = LoginItem(user.tenant_id, LOGIN + name, sub=user.sub, password_hash=password_hash, epoch=epoch)
    item = _to_item(replace(user, epoch=epoch))
    email = address(user.claims)
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.save(login, condition=LoginItem.sk.does_not_exist())
            transaction.save(item, condition=UserItem.sk.does_not_exist())
            if email is not None:
                transaction.save(emails.item(user.tenant_id, email, user.sub))
    except TransactWriteError as error:
        if condition_failed(error):
            return None
        raise
    return from_item(item)


def set_password_hash(user: User, password_hash: str) -> bool:
    """Replace the user's password hash, and move the user to a new epoch (``may_act``): what
    the old password opened is closed; False, nothing written, if the login is gone (or is
    another user's now) or the profile changed since it was read."""
    login = LoginItem(user.tenant_id, LOGIN + normalize_username(user.username))
    item = at_version(UserItem(user.tenant_id, USER + user.sub), user.version)
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.update(
                login,
                actions=[LoginItem.password_hash.set(password_hash), LoginItem.epoch.add(1)],
                condition=LoginItem.sk.exists() & (LoginItem.sub == user.sub),
            )
            transaction.update(item, actions=[UserItem.epoch.add(1)], condition=UserItem.sk.exists())
    except TransactWriteError as error:
        if lost_race(error):
            return False
        raise
    return True


def rehash_password(login: Login, password_hash: str) -> bool:
    """Replace a hash made with older parameters (at a successful login) only if it is still
    the one that was read: an admin's password change meanwhile must not be overwritten by a
    hash of the old password. False, nothing written, if it was."""
    return _replace_hash(login.tenant_id, login.username, password_hash, LoginItem.password_hash == login.password_hash)


def _replace_hash(tenant_id: str, username: str, password_hash: str, condition: Any) -> bool:
    item = LoginItem(tenant_id, LOGIN + normalize_username(username))
    try:
        item.update(actions=[LoginItem.password_hash.set(password_hash)], condition=LoginItem.sk.exists() & condition)
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def update_user(
    user: User,
    *,
    claims: Mapping[str, Any] | None = None,
    active: bool | None = None,
    admin: bool | None = None,
    now: int | None = None,
) -> User | None:
    """Write back changes to a user read as ``user``: all its claims, and whether it is active.
    The user as stored now, or None (nothing written) if it changed since it was read or is
    gone. Disabling changes the login too (a password login reads only the login item), and
    a new address moves the user's email lookup: each in one transaction with the profile."""
    item = at_version(UserItem(user.tenant_id, USER + user.sub), user.version)
    stamp = now or int(time.time())
    actions: list[Any] = []
    if claims is not None:
        actions += [UserItem.claims.set(dict(claims)), UserItem.updated_at.set(stamp)]
    if active is not None:
        actions.append(UserItem.active.set(active))
    if admin is not None:
        actions.append(UserItem.admin.set(admin) if admin else UserItem.admin.remove())
    if active is False:  # what the user's sessions and grants could do ends here (may_act)
        actions.append(UserItem.epoch.add(1))
    if not actions:
        return user
    old, new = address(user.claims), address(claims) if claims is not None else address(user.claims)
    if active is None and old == new:
        return from_item(item) if update_if_unchanged(item, actions) else None
    if not _write_together(user, item, actions, active, (old, new)):
        return None
    changed = replace(
        user,
        active=user.active if active is None else active,
        version=user.version + 1,
        epoch=user.epoch + (1 if active is False else 0),
        admin=user.admin if admin is None else admin,
    )
    return changed if claims is None else replace(changed, claims=dict(claims), updated_at=stamp)


def _write_together(
    user: User, item: UserItem, actions: list[Any], active: bool | None, addresses: tuple[str | None, str | None]
) -> bool:
    """The profile's update, the login's flag (when ``active`` changes) and the move of the
    email lookup from the old address to the new (when it changes), in one transaction."""
    login = LoginItem(user.tenant_id, LOGIN + normalize_username(user.username))
    flag = [LoginItem.disabled.remove()] if active else [LoginItem.disabled.set(True), LoginItem.epoch.add(1)]
    old, new = addresses

    def write(transaction: TransactWrite) -> None:
        transaction.update(item, actions=actions, condition=UserItem.sk.exists())
        if active is not None:
            transaction.update(login, actions=flag, condition=LoginItem.sk.exists() & (LoginItem.sub == user.sub))
        if old != new and old is not None:
            transaction.delete(emails.item(user.tenant_id, old, user.sub))
        if old != new and new is not None:
            transaction.save(emails.item(user.tenant_id, new, user.sub))

    return _together(write)


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


def delete_user(user: User) -> bool:
    """Delete the user read as ``user``, its profile and its login together (its tokens fail
    at their next check); False (nothing deleted) if it changed since, or is gone already."""
    item = at_version(UserItem(user.tenant_id, USER + user.sub), user.version)
    login = LoginItem(user.tenant_id, LOGIN + normalize_username(user.username))
    email = address(user.claims)

    def write(transaction: TransactWrite) -> None:
        transaction.delete(item, condition=UserItem.sk.exists())
        transaction.delete(login, condition=LoginItem.sk.exists() & (LoginItem.sub == user.sub))
        if email is not None:
            transaction.delete(emails.item(user.tenant_id, email, user.sub))

    return _together(write)


def index_email(user: User) -> bool:
    """Write the email lookup of a user read as ``user`` (one whose address was set before
    the lookup existed), if the profile is still as read; False, nothing written, if not (a
    change since wrote the lookup itself) or the user has no address."""
    email = address(user.claims)
    if email is None:
        return False
    version = UserItem.version == user.version if user.version else UserItem.version.does_not_exist()
    unchanged = UserItem.sk.exists() & version

    def write(transaction: TransactWrite) -> None:
        transaction.condition_check(UserItem, user.tenant_id, USER + user.sub, condition=unchanged)
        transaction.save(emails.item(user.tenant_id, email, user.sub))

    return _together(write)


def _together(write: Callable[[TransactWrite], None]) -> bool:
    """Run the writes ``write`` makes in one transaction: False, nothing written, if one of
    their conditions failed or another transaction was writing the same items."""
    try:
        with TransactWrite(connection=connection()) as transaction:
            write(transaction)
    except TransactWriteError as error:
        if lost_race(error):
            return False
        raise
    return True


def _to_item(user: User) -> UserItem:
    item = UserItem(
        user.tenant_id,
        USER + user.sub,
        username=user.username,
        claims=dict(user.claims),
        active=user.active,
        created_at=user.created_at,
        updated_at=user.updated_at,
        epoch=user.epoch or None,
        admin=user.admin or None,
    )
    return at_version(item, user.version)


def from_item(item: UserItem) -> User:
    return User(
        tenant_id=item.pk,
        sub=item.sk[len(USER) :],
        username=item.username,
        claims=item.claims or {},
        active=bool(item.active),
        created_at=int(item.created_at),
        updated_at=int(item.updated_at),
        version=version_of(item),
        epoch=int(item.epoch or 0),
        admin=bool(item.admin),
    )

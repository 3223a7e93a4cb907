"""Create and manage end users of a tenant."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from chalicelib import events
from chalicelib.accounts import subs
from chalicelib.accounts.passwords import MIN_LENGTH as MIN_PASSWORD
from chalicelib.accounts.passwords import hash_password
from chalicelib.admin import AdminError, Conflict, Missing
from chalicelib.admin.optimistic import check_version, retrying
from chalicelib.admin.tenants import get_tenant
from chalicelib.oidc.claims import ADDRESS_FIELDS
from chalicelib.oidc.scopes import STANDARD_SCOPES
from chalicelib.store import users as store
from chalicelib.store.users import User, normalize_username

CLAIMS = {claim for scope in STANDARD_SCOPES.values() for claim in scope.claims} - {"updated_at"}
BOOLEAN_CLAIMS = {"email_verified", "phone_number_verified"}


def create_user(tenant_id: str, username: str, password: str, claims: Mapping[str, Any] | None = None) -> User:
    """A new user with a fresh opaque ``sub`` (never the username: a rename keeps it)."""
    tenant = get_tenant(tenant_id)
    name = normalize_username(username)
    if not name or len(name) > 128 or not name.isprintable():
        raise AdminError("a username has 1 to 128 printable characters")
    check_password(password)
    now = int(time.time())
    user = User(
        tenant_id=tenant_id,
        sub=_new_sub(tenant_id, username.strip()),
        username=username.strip(),
        created_at=now,
        updated_at=now,
        claims=check_claims(claims or {}, _extra_claims(tenant.settings)),
    )
    created = store.create_user(user, hash_password(password))
    if created is None:
        raise AdminError(f"username {username} is taken in tenant {tenant_id}")
    return created


def backfill_emails(tenant_id: str) -> dict[str, int]:
    """File the users whose address was set before the email lookup existed under it (so the
    forgot-password form finds them by address): pages of the tenant's users, one conditional
    write per user with an address; safe to repeat."""
    get_tenant(tenant_id)
    counts = {"users": 0, "indexed": 0}
    after = None
    while True:
        page, after = store.list_users(tenant_id, limit=100, after=after)
        counts["users"] += len(page)
        counts["indexed"] += sum(store.index_email(user) for user in page)
        if after is None:
            return counts


def _new_sub(tenant_id: str, username: str) -> str:
    try:
        return subs.new_sub(tenant_id, username)
    except ValueError as error:
        raise AdminError(str(error)) from None


def get_user_by_username(tenant_id: str, username: str) -> User:
    login = store.get_login(tenant_id, username, consistent=True)
    user = store.get_user(tenant_id, login.sub, consistent=True) if login else None
    if user is None:
        raise Missing(f"no user {username} in tenant {tenant_id}")
    return user


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AdminError(f"a password has at least {MIN_PASSWORD} characters")


def set_password(tenant_id: str, username: str, password: str) -> None:
    """A new password; the user's sessions and grants from before it are void (whoever was
    signed in with the old one is out). Missing if the user is gone."""
    check_password(password)
    hashed = hash_password(password)

    def attempt() -> bool | None:
        return store.set_password_hash(get_user_by_username(tenant_id, username), hashed) or None

    retrying(attempt, f"user {username}")


def update_user(
    tenant_id: str,
    username: str,
    *,
    claims: Mapping[str, Any] | None = None,
    active: bool | None = None,
    admin: bool | None = None,
    expected: int | None = None,
) -> User:
    """Change some of a user's claims (a value of None removes the claim), whether it is
    active and whether it administers the tenant (its console), in one write. The claims
    are merged into the user's as they are when written, so a concurrent change of other
    claims is kept (retried; 409 if it keeps changing), and a user deleted meanwhile stays
    deleted. A disabled user cannot log in, and its tokens stop working at UserInfo and
    introspection. ``expected``: the version read (If-Match)."""
    extra = _extra_claims(get_tenant(tenant_id).settings)

    def attempt() -> User | None:
        user = get_user_by_username(tenant_id, username)
        check_version(user.version, expected, f"user {username}")
        merged = None
        if claims is not None:
            merged = {name: value for name, value in {**user.claims, **claims}.items() if value is not None}
            merged = check_claims(merged, extra)
        return store.update_user(user, claims=merged, active=active, admin=admin)

    return retrying(attempt, f"user {username}")


def update_claims(tenant_id: str, username: str, claims: Mapping[str, Any]) -> User:
    """Replace some of a user's claims (a value of None removes the claim)."""
    return update_user(tenant_id, username, claims=claims)


def set_active(tenant_id: str, username: str, active: bool) -> User:
    """Disable (or enable again) a user."""
    return update_user(tenant_id, username, active=active)


def unlock(tenant_id: str, username: str) -> int:
    """Lift the abuse limits on the user's account (failed attempts, back-off), from every
    browser; how many counters were cleared. Source-address limits stay: they are not the
    account's."""
    from chalicelib.limits import login as limits

    get_user_by_username(tenant_id, username)
    return limits.unlock(tenant_id, normalize_username(username))


def reset_second_factor(tenant_id: str, username: str, *, actor: str = "cli") -> int:
    """Remove the user's authenticator app and recovery codes (a lost phone): where the
    tenant requires a second factor, the next sign-in enrols a new one. The count of codes
    tried on the account is forgotten too. How many factors went."""
    from chalicelib.limits import factors as limits
    from chalicelib.store.factors import remove_factors

    user = get_user_by_username(tenant_id, username)
    removed = remove_factors(tenant_id, user.sub)
    limits.unlock(tenant_id, user.sub)
    events.emit("mfa_reset", tenant_id, actor=actor, sub=user.sub, factors_removed=removed)
    return removed


def delete_user(tenant_id: str, username: str, *, expected: int | None = None, actor: str = "cli") -> int:
    """Delete the user as read (Missing if there is none; see ``delete_client``) with what
    it left: its sessions, grants (so its refresh tokens) and consents, and its account's
    abuse-limit counters. How many items went.

    The user is disabled first (one write, which also ends every session and grant it has:
    its epoch moves), so no new session or grant can be made for it while the rest is swept;
    its profile and login go last, in one write. A deletion that stopped midway (a timeout)
    left a disabled user, and running it again finishes it."""
    from chalicelib.limits import login as limits
    from chalicelib.store import lifecycle

    def disable() -> User | None:
        user = get_user_by_username(tenant_id, username)
        check_version(user.version, expected, f"user {username}")
        return user if not user.active else store.update_user(user, active=False)

    user = retrying(disable, f"user {username}")
    removed = lifecycle.delete_keys(lifecycle.user_keys(tenant_id, user.sub))
    removed += limits.unlock(tenant_id, normalize_username(user.username))

    def delete() -> User | None:
        current = get_user_by_username(tenant_id, username)
        if current.sub != user.sub or current.active:  # replaced or enabled again meanwhile
            raise Conflict(f"user {username} changed while it was being deleted: try again")
        return current if store.delete_user(current) else None

    deleted = retrying(delete, f"user {username}")
    removed += 2 if store.address(deleted.claims) is None else 3  # the profile, the login, the email lookup
    events.emit("user_deleted", tenant_id, actor=actor, sub=user.sub, items=removed)
    return removed


def list_users(tenant_id: str, after: str | None = None) -> tuple[list[User], str | None]:
    get_tenant(tenant_id)
    return store.list_users(tenant_id, after=after)


def _extra_claims(settings: Mapping[str, Any]) -> set[str]:
    """Claims the tenant's own scopes release: any JSON value."""
    return {claim for spec in settings.get("extra_scopes", {}).values() for claim in spec.get("claims", ())}


def check_claims(claims: Mapping[str, Any], extra: set[str] | frozenset[str] = frozenset()) -> dict[str, Any]:
    """The OIDC standard claims (Core §5.1), with their types; and the tenant's own."""
    unknown = set(claims) - CLAIMS - set(extra)
    if unknown:
        raise AdminError(f"unknown claims: {', '.join(sorted(unknown))}")
    for name, value in claims.items():
        if name in extra:
            continue
        if name in BOOLEAN_CLAIMS and not isinstance(value, bool):
            raise AdminError(f"{name} must be true or false")
        if name == "address":
            # OIDC Core §5.1.1: every member of the address claim is a string.
            if not isinstance(value, Mapping) or set(value) - set(ADDRESS_FIELDS):
                raise AdminError(f"address has the fields {', '.join(ADDRESS_FIELDS)}")
            if not all(isinstance(part, str) for part in value.values()):
                raise AdminError("the fields of address are strings")
        elif name not in BOOLEAN_CLAIMS and not isinstance(value, str):
            raise AdminError(f"{name} must be a string")
    return dict(claims)

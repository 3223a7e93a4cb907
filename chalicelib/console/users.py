"""The console's user pages: list (paged), create, edit claims and the admin flag, reset the
password, unlock, disable or enable, delete; and the user's OP sessions and remembered
consents, each of which can be revoked.

Changes go through ``chalicelib.admin.users``; those of the user item name the version the
form was rendered from, so a user changed meanwhile is refused (409), never overwritten.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from chalicelib.admin import AdminError
from chalicelib.admin import users as user_admin
from chalicelib.admin.optimistic import check_version
from chalicelib.console import forms
from chalicelib.console.audit import audited
from chalicelib.console.session import Admin
from chalicelib.context import Context
from chalicelib.oidc.errors import InvalidPage, NotFound
from chalicelib.oidc.interaction import public_sid
from chalicelib.oidc.results import Result
from chalicelib.store import console as store
from chalicelib.store.models import valid_key_part
from chalicelib.store.sessions import end_session
from chalicelib.store.users import User

SECTION = "users"
# The claims the edit form shows, as text fields; an emptied field removes the claim.
TEXT_CLAIMS = ("name", "given_name", "family_name", "preferred_username", "email", "phone_number", "locale")
FLAG_CLAIMS = ("email_verified", "phone_number_verified")


def list_page(ctx: Context, admin: Admin, query: Mapping[str, str]) -> Result:
    after = query.get("after") or None
    if after is not None and not valid_key_part(after):  # bytes, as DynamoDB counts a sort key
        raise NotFound("no such page of users")
    users, next_after = user_admin.list_users(ctx.tenant.id, after)
    return forms.page(ctx, admin, "users.html", SECTION, done=query.get("done"), users=users,
                      next_after=next_after, first=after is None)  # fmt: skip


def new_page(ctx: Context, admin: Admin) -> Result:
    return forms.page(ctx, admin, "user_new.html", SECTION, values={}, error=None)


def create(ctx: Context, admin: Admin, form: Mapping[str, str]) -> Result:
    username = form.get("username", "")
    try:
        user = user_admin.create_user(ctx.tenant.id, username, form.get("password", ""), _claims(form, drop_empty=True))
    except AdminError as error:
        values = {name: value for name, value in form.items() if name != "password"}
        return forms.page(ctx, admin, "user_new.html", SECTION, status=400, values=values, error=str(error))
    if forms.checked(form, "admin"):
        user = user_admin.update_user(ctx.tenant.id, user.username, admin=True, expected=user.version)
    audited(ctx, admin, "admin_user_created", username=user.username, sub=user.sub, admin=user.admin)
    return forms.done(ctx, f"/user?{_query(user.username)}", "user-created")


def edit_page(
    ctx: Context, admin: Admin, query: Mapping[str, str], error: str | None = None, status: int = 200
) -> Result:
    user = user_admin.get_user_by_username(ctx.tenant.id, query.get("username", ""))
    sessions = store.user_sessions(ctx.tenant.id, user.sub, ctx.now)
    return forms.page(
        ctx, admin, "user.html", SECTION, status=status, done=query.get("done"), user=user, error=error,
        text_claims=TEXT_CLAIMS, flag_claims=FLAG_CLAIMS, query=_query(user.username),
        sessions=[(public_sid(session.key), session) for session in sessions],
        consents=store.user_consents(ctx.tenant.id, user.sub, ctx.now), is_self=user.sub == admin.sub,
    )  # fmt: skip


def change(ctx: Context, admin: Admin, form: Mapping[str, str]) -> Result:
    """The user page's buttons. Each reads the user first: a user deleted since the page was
    rendered is refused, and so is one changed since, by the actions that write the user."""
    username, expected = form.get("username", ""), forms.version(form)
    action = ACTIONS.get(form.get("action", ""))
    if action is None:
        raise InvalidPage("unknown action")
    user = user_admin.get_user_by_username(ctx.tenant.id, username)
    if form.get("action") not in UNVERSIONED:
        check_version(user.version, expected, f"user {username}")
    if user.sub == admin.sub and _locks_out(form):
        message = "you cannot disable, delete or demote yourself here: another administrator can"
        return edit_page(ctx, admin, {"username": username}, error=message, status=400)
    if form.get("action") == "delete" and not forms.confirmed(form):
        fields = {"username": user.username, "version": str(expected)}
        return forms.confirm_delete(ctx, admin, SECTION, "user", user.username, fields,
                                    "Their sessions, grants and consents end with them.")  # fmt: skip
    try:
        notice = action(ctx, admin, user, form)
    except AdminError as error:
        if forms.is_refusal(error):  # the item is gone or changed: the page for each
            raise
        return edit_page(ctx, admin, {"username": username}, error=str(error), status=400)
    if notice == "user-deleted":
        return forms.done(ctx, "/users", notice)
    return forms.done(ctx, f"/user?{_query(user.username)}", notice)


def _save(ctx: Context, admin: Admin, user: User, form: Mapping[str, str]) -> str:
    is_admin = forms.checked(form, "admin")
    user_admin.update_user(ctx.tenant.id, user.username, claims=_claims(form), admin=is_admin, expected=user.version)
    audited(ctx, admin, "admin_user_updated", username=user.username, admin=is_admin)
    return "user-saved"


def _password(ctx: Context, admin: Admin, user: User, form: Mapping[str, str]) -> str:
    user_admin.set_password(ctx.tenant.id, user.username, form.get("password", ""))
    audited(ctx, admin, "admin_user_password_set", username=user.username)
    return "password-set"


def _unlock(ctx: Context, admin: Admin, user: User, form: Mapping[str, str]) -> str:
    cleared = user_admin.unlock(ctx.tenant.id, user.username)
    audited(ctx, admin, "admin_user_unlocked", username=user.username, counters_cleared=cleared)
    return "user-unlocked"


def _active(active: bool) -> Callable[[Context, Admin, User, Mapping[str, str]], str]:
    def act(ctx: Context, admin: Admin, user: User, form: Mapping[str, str]) -> str:
        user_admin.update_user(ctx.tenant.id, user.username, active=active, expected=user.version)
        audited(ctx, admin, "admin_user_enabled" if active else "admin_user_disabled", username=user.username)
        return "user-enabled" if active else "user-disabled"

    return act


def _delete(ctx: Context, admin: Admin, user: User, form: Mapping[str, str]) -> str:
    user_admin.delete_user(ctx.tenant.id, user.username, expected=user.version)
    audited(ctx, admin, "admin_user_deleted", username=user.username, sub=user.sub)
    return "user-deleted"


def _revoke_session(ctx: Context, admin: Admin, user: User, form: Mapping[str, str]) -> str:
    """Sessions are named by their public sid in the page, never by their storage key."""
    sid = form.get("sid", "")
    found = next((s for s in store.user_sessions(ctx.tenant.id, user.sub, ctx.now) if public_sid(s.key) == sid), None)
    if found is None or end_session(ctx.tenant.id, found.key, ctx.now) is None:
        raise AdminError("that session has ended already")
    audited(ctx, admin, "admin_session_revoked", username=user.username, sid=sid)
    return "session-revoked"


def _revoke_consent(ctx: Context, admin: Admin, user: User, form: Mapping[str, str]) -> str:
    client_id = form.get("client_id", "")
    if not store.delete_consent(ctx.tenant.id, user.sub, client_id):
        raise AdminError("that consent was revoked already")
    audited(ctx, admin, "admin_consent_revoked", username=user.username, client_id=client_id)
    return "consent-revoked"


# Actions that write nothing of the user's item: a change of its claims meanwhile is no reason
# to refuse them.
UNVERSIONED = frozenset({"unlock", "revoke-session", "revoke-consent"})
ACTIONS: dict[str, Callable[[Context, Admin, User, Mapping[str, str]], str]] = {
    "save": _save,
    "password": _password,
    "unlock": _unlock,
    "disable": _active(False),
    "enable": _active(True),
    "delete": _delete,
    "revoke-session": _revoke_session,
    "revoke-consent": _revoke_consent,
}


def _locks_out(form: Mapping[str, str]) -> bool:
    """Whether the change would shut its own author out of the console (no one would be
    left to undo it when they are the tenant's only administrator)."""
    action = form.get("action")
    return action in ("disable", "delete") or (action == "save" and not forms.checked(form, "admin"))


def _claims(form: Mapping[str, str], drop_empty: bool = False) -> dict[str, Any]:
    """The claims of the form: an emptied field or an unticked flag removes the claim."""
    claims: dict[str, Any] = {name: forms.text(form, name) for name in TEXT_CLAIMS}
    claims.update({name: True if forms.checked(form, name) else None for name in FLAG_CLAIMS})
    return {name: value for name, value in claims.items() if value is not None} if drop_empty else claims


def _query(username: str) -> str:
    from urllib.parse import urlencode

    return urlencode({"username": username})

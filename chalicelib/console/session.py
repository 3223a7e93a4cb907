"""The console's own session: a random credential in an HttpOnly cookie scoped to the
console's path, stored only as its digest, for a short while (``LIFETIME``).

Every console request reads the session and the user behind it (consistent reads): an
administrator who is disabled, demoted, deleted or given a new password is out at their
next click, whatever the session's expiry says.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from chalicelib.console import PATH
from chalicelib.context import Context
from chalicelib.oidc.errors import InvalidPage
from chalicelib.oidc.results import Cookie
from chalicelib.opaque import digest, new_token
from chalicelib.store import console as store
from chalicelib.store.users import User, get_user

COOKIE = "op_console"
LIFETIME = 1800  # seconds: a console session is short; signing in again is one redirect when the OP session lives
_CREDENTIAL = re.compile(r"[A-Za-z0-9_-]{43}")


@dataclass(frozen=True)
class Admin:
    """The administrator behind a console request."""

    tenant_id: str
    sub: str
    username: str
    session_key: str

    @property
    def actor(self) -> str:
        """How audit events name them (the sub: stable when the username changes)."""
        return f"console:{self.sub}"


class NotAdministrator(InvalidPage):
    error = "access_denied"
    status = 403

    def __init__(self) -> None:
        super().__init__("only the tenant's administrators may use its console")


def start(ctx: Context, user: User) -> Cookie:
    """A new console session for ``user`` (an administrator): the cookie that carries it."""
    if not (user.admin and user.active):
        raise NotAdministrator()
    credential = new_token()
    store.save_console_session(
        store.ConsoleSession(
            ctx.tenant.id, digest(credential), user.sub, user.username, ctx.now, ctx.now + LIFETIME, user.epoch
        )
    )
    return Cookie(COOKIE, credential, max_age=LIFETIME, path=PATH)


def current_admin(ctx: Context, cookies: Mapping[str, str]) -> Admin | None:
    """The signed-in administrator; None without a live session (sign in again); raises
    NotAdministrator for a user who is signed in but no longer an administrator."""
    credential = cookies.get(COOKIE, "")
    if _CREDENTIAL.fullmatch(credential) is None:
        return None
    key = digest(credential)
    session = store.get_console_session(ctx.tenant.id, key, ctx.now)
    if session is None:
        return None
    user = get_user(ctx.tenant.id, session.sub, consistent=True)
    if user is None or not user.accepts(session.epoch):
        return None
    if not user.admin:
        raise NotAdministrator()
    return Admin(ctx.tenant.id, user.sub, user.username, key)


def end(ctx: Context, admin: Admin) -> Cookie:
    """Delete the session; the cookie that clears it."""
    store.end_console_session(ctx.tenant.id, admin.session_key)
    return Cookie(COOKIE, None, path=PATH)

"""The user's own passkeys page (``/{tenant}/passkeys``): list them, add one, remove one.

It belongs to whoever holds a live OP session in this browser (the session cookie; the
user must still be active and at the session's epoch); anyone else is told to sign in
first. Adding runs the registration ceremony (``chalicelib.oidc.passkeys``: a challenge
sealed in this browser's cookie, counted under the second-factor limits); removing is a
conditional delete. The forms are CSRF protected by their route. The account page links
here; the page stands alone.
"""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib import events
from chalicelib.accounts import passkeys
from chalicelib.context import Context
from chalicelib.i18n import N_
from chalicelib.oidc import interaction
from chalicelib.oidc import passkeys as passkey_check
from chalicelib.oidc.results import Page
from chalicelib.store import passkeys as store
from chalicelib.store.authorizations import load_live_session
from chalicelib.store.sessions import Session
from chalicelib.store.users import User

ADDED = N_("Your passkey was added. You can sign in with it now.")
REMOVED = N_("The passkey was removed. It no longer signs you in.")
NOT_FOUND = N_("That passkey is not one of yours, or it was removed already.")


def passkeys_page(ctx: Context, cookies: Mapping[str, str]) -> Page:
    signed_in = _signed_in(ctx, cookies)
    if signed_in is None:
        return _signed_out(ctx)
    return _page(ctx, *signed_in)


def submit_passkeys(ctx: Context, form: Mapping[str, str], cookies: Mapping[str, str]) -> Page:
    signed_in = _signed_in(ctx, cookies)
    if signed_in is None:
        return _signed_out(ctx, status=401)
    session, user = signed_in
    action = form.get("action")
    if action == "remove":
        if not store.remove_passkey(ctx.tenant.id, user.sub, form.get("passkey", "")):
            return _page(ctx, session, user, error={"message": NOT_FOUND}, status=404)
        events.emit("passkey_removed", ctx.tenant.id, sub=user.sub)
        return _page(ctx, session, user, notice=REMOVED)
    if action == "passkey" and passkey_check.offered(ctx):
        outcome = passkey_check.check_registration(ctx, form.get("credential", ""), cookies, user.sub, session.epoch)
        if isinstance(outcome, passkey_check.Refused):
            problem = {"minutes": -(-outcome.wait // 60)} if outcome.wait else {"message": passkey_check.REFUSED}
            return _page(ctx, session, user, error=problem, status=429 if outcome.wait else 400)
        return _page(ctx, session, user, notice=ADDED)
    return _page(ctx, session, user, status=400)


def _signed_in(ctx: Context, cookies: Mapping[str, str]) -> tuple[Session, User] | None:
    parsed = interaction.parse_session_cookie(cookies.get(interaction.SESSION_COOKIE))
    return load_live_session(ctx.tenant.id, parsed[0], parsed[1], ctx.now) if parsed else None


def _page(
    ctx: Context, session: Session, user: User, notice: str | None = None, error: dict | None = None, status: int = 200
) -> Page:
    listed = store.list_passkeys(ctx.tenant.id, user.sub)
    full = len(listed) >= store.MAX_PER_USER
    offer = None
    if passkey_check.offered(ctx) and not full and passkeys.registerable(user.sub):
        offer = passkey_check.offer_registration(ctx, user.sub, user.username, listed)
    context = {
        "signed_in": True,
        "username": user.username,
        "passkeys": listed,
        "passkey_options": offer.options if offer else None,
        "offered": passkey_check.offered(ctx),
        "full": full and passkey_check.offered(ctx),
        "notice": notice,
        "error": error,
        "action": ctx.url("passkeys"),
    }
    return Page("passkeys.html", context, status=status, cookies=(offer.cookie,) if offer else ())


def _signed_out(ctx: Context, status: int = 200) -> Page:
    context = {"signed_in": False, "passkeys": [], "passkey_options": None, "offered": passkey_check.offered(ctx),
               "full": False, "notice": None, "error": None, "action": ctx.url("passkeys"), "username": ""}  # fmt: skip
    return Page("passkeys.html", context, status=status)

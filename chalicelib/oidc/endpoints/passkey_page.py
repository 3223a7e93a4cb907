"""The user's own passkeys page (``/{tenant}/passkeys``): list them, add one, remove one.

It belongs to whoever holds a live OP session in this browser (the session cookie; the
user must still be active and at the session's epoch); anyone else is told to sign in
first. Adding runs the registration ceremony (``chalicelib.oidc.passkeys``: a challenge
sealed in this browser's cookie, counted under the second-factor limits); removing is a
conditional delete. The forms are CSRF protected by their route. The account page links
here; the page stands alone.

Adding and removing are sensitive changes (``chalicelib.accounts.recent``, the account
page's rule): they go ahead within five minutes of the session's sign-in, else after the
password is typed again on this page. That confirmation lives in the registration
challenge the page then issues (``passkeys.CONFIRMED``, sealed, five minutes from the
password), so it needs no write and ends with the challenge.
"""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib import events
from chalicelib.accounts import passkeys, recent
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
CONFIRM_FIRST = N_("You signed in more than 5 minutes ago: type your password to continue.")
WRONG_PASSWORD = N_("Your current password is not right.")


def passkeys_page(ctx: Context, cookies: Mapping[str, str]) -> Page:
    signed_in = _signed_in(ctx, cookies)
    if signed_in is None:
        return _signed_out(ctx)
    session, user = signed_in
    return _page(ctx, session, user, passkey_check.confirmation(ctx, cookies, user.sub))


def submit_passkeys(ctx: Context, form: Mapping[str, str], cookies: Mapping[str, str]) -> Page:
    signed_in = _signed_in(ctx, cookies)
    if signed_in is None:
        return _signed_out(ctx, status=401)
    session, user = signed_in
    action = form.get("action")
    if action == "confirm":
        return _confirm(ctx, session, user, form.get("password", ""), cookies)
    confirmed = passkey_check.confirmation(ctx, cookies, user.sub)
    fresh = recent.recent(session.auth_time, ctx.now)
    if action in ("remove", "passkey") and not fresh and confirmed is None:
        return _page(ctx, session, user, None, error={"message": CONFIRM_FIRST}, status=401)
    if action == "remove":
        if not store.remove_passkey(ctx.tenant.id, user.sub, form.get("passkey", "")):
            return _page(ctx, session, user, confirmed, error={"message": NOT_FOUND}, status=404)
        events.emit("passkey_removed", ctx.tenant.id, sub=user.sub)
        return _page(ctx, session, user, confirmed, notice=REMOVED)
    if action == "passkey" and passkey_check.offered(ctx):
        uses = ("register", passkey_check.CONFIRMED) if fresh else (passkey_check.CONFIRMED,)
        credential = form.get("credential", "")
        outcome = passkey_check.check_registration(ctx, credential, cookies, user.sub, session.epoch, uses)
        if isinstance(outcome, passkey_check.Refused):
            problem = {"minutes": -(-outcome.wait // 60)} if outcome.wait else {"message": passkey_check.REFUSED}
            return _page(ctx, session, user, confirmed, error=problem, status=429 if outcome.wait else 400)
        return _page(ctx, session, user, confirmed, notice=ADDED)
    return _page(ctx, session, user, confirmed, status=400)


def _confirm(ctx: Context, session: Session, user: User, password: str, cookies: Mapping[str, str]) -> Page:
    """The password typed again (a counted login attempt): the page's changes are open for
    five minutes from now."""
    refusal = recent.confirm_password(ctx, user.username, user.sub, password, cookies)
    if refusal is None:
        return _page(ctx, session, user, ctx.now * 1000)
    if refusal.wait is not None:
        events.emit("account_limited", ctx.tenant.id, sub=user.sub, page="passkeys")
        return _page(ctx, session, user, None, error={"minutes": -(-refusal.wait // 60)}, status=429)
    events.emit("account_password_failed", ctx.tenant.id, sub=user.sub, page="passkeys")
    return _page(ctx, session, user, None, error={"message": WRONG_PASSWORD}, status=401)


def _signed_in(ctx: Context, cookies: Mapping[str, str]) -> tuple[Session, User] | None:
    parsed = interaction.parse_session_cookie(cookies.get(interaction.SESSION_COOKIE))
    return load_live_session(ctx.tenant.id, parsed[0], parsed[1], ctx.now) if parsed else None


def _page(
    ctx: Context,
    session: Session,
    user: User,
    confirmed_ms: int | None,
    notice: str | None = None,
    error: dict | None = None,
    status: int = 200,
) -> Page:
    """The page; changes are offered on a recent sign-in or a confirmed password (when
    ``confirmed_ms``), else the password form that opens them."""
    listed = store.list_passkeys(ctx.tenant.id, user.sub)
    full = len(listed) >= store.MAX_PER_USER
    fresh = recent.recent(session.auth_time, ctx.now)
    open_ = fresh or confirmed_ms is not None
    confirmed = None if fresh else confirmed_ms
    offer, cookies = None, ()
    if open_ and passkey_check.offered(ctx) and not full and passkeys.registerable(user.sub):
        offer = passkey_check.offer_registration(ctx, user.sub, user.username, listed, confirmed)
        cookies = (offer.cookie,)
    elif confirmed is not None:  # nothing to add: the cookie still carries the confirmation
        cookies = (passkey_check.challenge_for(ctx, passkey_check.CONFIRMED, user.sub, confirmed)[1],)
    context = {
        "signed_in": True,
        "username": user.username,
        "passkeys": listed,
        "passkey_options": offer.options if offer else None,
        "offered": passkey_check.offered(ctx),
        "full": full and passkey_check.offered(ctx),
        "unlocked": open_,
        "notice": notice,
        "error": error,
        "action": ctx.url("passkeys"),
    }
    return Page("passkeys.html", context, status=status, cookies=cookies)


def _signed_out(ctx: Context, status: int = 200) -> Page:
    context = {"signed_in": False, "passkeys": [], "passkey_options": None, "offered": passkey_check.offered(ctx),
               "full": False, "unlocked": False, "notice": None, "error": None, "action": ctx.url("passkeys"),
               "username": ""}  # fmt: skip
    return Page("passkeys.html", context, status=status)

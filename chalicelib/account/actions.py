"""The account page's buttons: change the password, end sessions, withdraw a consent, and
(``chalicelib.account.second_factor``) remove the authenticator app or renew recovery codes.

Every action acts for the holder of this browser's session only, on their own items; every
password typed here is counted by the login limits before it is checked; sensitive actions
need a recent sign-in or the password again (``chalicelib.account.confirm``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from chalicelib import events
from chalicelib.account import confirm, overview, second_factor, url
from chalicelib.account.overview import Holder
from chalicelib.accounts import passwords
from chalicelib.context import Context
from chalicelib.i18n import N_
from chalicelib.oidc import flow, interaction
from chalicelib.oidc.endpoints.logout import notify_back_channel
from chalicelib.oidc.errors import InvalidPage
from chalicelib.oidc.results import Cookie, Redirect, Result
from chalicelib.opaque import new_token
from chalicelib.store import account as store
from chalicelib.store import authorizations, users
from chalicelib.store import console as listing
from chalicelib.store.grants import revoke_grant
from chalicelib.store.sessions import Session, end_session, session_key

TOO_SHORT = N_("The new password must have 8 to 1024 characters.")
SAME = N_("The new password is the one you have now: choose another.")
CHANGED = N_("Your account changed meanwhile. Try again.")
GONE = N_("That has ended already.")
Action = Callable[[Context, Holder, Mapping[str, str], Mapping[str, str]], Result]


def submit(ctx: Context, holder: Holder, form: Mapping[str, str], cookies: Mapping[str, str]) -> Result:
    action = ACTIONS.get(form.get("action", ""))
    if action is None:
        raise InvalidPage("unknown action")
    return action(ctx, holder, form, cookies)


def change_password(ctx: Context, holder: Holder, form: Mapping[str, str], cookies: Mapping[str, str]) -> Result:
    """The new password, on the current one: the user moves to a new epoch (every session,
    grant and token from before ends, ``users.may_act``) and this browser gets a new session."""
    current, new = form.get("current_password", ""), form.get("new_password", "")
    if not passwords.MIN_LENGTH <= len(new) <= passwords.MAX_LENGTH:
        return overview.page(ctx, holder, error={"message": TOO_SHORT}, status=400)
    refused = confirm.check_password(ctx, holder, current, cookies)
    if refused is not None:
        return refused
    if new == current:
        return overview.page(ctx, holder, error={"message": SAME}, status=400)
    if not users.set_password_hash(holder.user, passwords.hash_password(new)):
        return overview.page(ctx, holder, error={"message": CHANGED}, status=409)
    ended = _end(ctx, listing.user_sessions(ctx.tenant.id, holder.user.sub, ctx.now))
    credential = new_token()
    session = replace(
        holder.session,
        key=session_key(credential),
        auth_time=ctx.now,
        created_at=ctx.now,
        expires_at=ctx.now + ctx.settings.session_expire,
        clients=frozenset(),
        epoch=holder.user.epoch + 1,  # set_password_hash moved it by one
    )
    if not authorizations.commit(ctx.tenant.id, now=ctx.now, new_session=session):
        raise InvalidPage(CHANGED)
    events.emit("account_password_changed", ctx.tenant.id, sub=holder.user.sub, sessions_ended=ended)
    cookies_out = flow.session_cookies(ctx, flow.Login(session, new=True, credential=credential))
    return _done(ctx, "password-changed", cookies_out)


def end_one(ctx: Context, holder: Holder, form: Mapping[str, str], cookies: Mapping[str, str]) -> Result:
    """End one of the user's other sessions, named by its public sid (never its key)."""
    sid = form.get("sid", "")
    found = [s for s in _others(ctx, holder) if interaction.public_sid(s.key) == sid]
    if not found or not _end(ctx, found):
        return overview.page(ctx, holder, error={"message": GONE}, status=409)
    return _done(ctx, "session-ended")


def end_others(ctx: Context, holder: Holder, form: Mapping[str, str], cookies: Mapping[str, str]) -> Result:
    _end(ctx, _others(ctx, holder))
    return _done(ctx, "sessions-ended")


def withdraw_consent(ctx: Context, holder: Holder, form: Mapping[str, str], cookies: Mapping[str, str]) -> Result:
    """Forget the consent and revoke the client's grants for the user: its refresh tokens
    are refused from now on, and its access tokens fail every check that reads the grant."""
    client_id, sub = form.get("client_id", ""), holder.user.sub
    if not listing.delete_consent(ctx.tenant.id, sub, client_id):
        return overview.page(ctx, holder, error={"message": GONE}, status=409)
    gids = store.live_grants(ctx.tenant.id, sub, client_id, ctx.now)
    keep_until = ctx.now + ctx.settings.token_expire
    for gid in gids:
        revoke_grant(ctx.tenant.id, gid, ctx.now, keep_until)
    events.emit("account_consent_withdrawn", ctx.tenant.id, sub=sub, client_id=client_id, grants_revoked=len(gids))
    return _done(ctx, "consent-withdrawn")


def _others(ctx: Context, holder: Holder) -> list[Session]:
    return [s for s in overview.live_sessions(ctx, holder) if s.key != holder.session.key]


def _end(ctx: Context, sessions: list[Session]) -> int:
    """Delete each session (one DeleteItem that returns what it held, as logout does) and
    queue the back-channel logout notices of the clients it signed in to; how many ended."""
    ended = 0
    for session in sessions:
        gone = end_session(ctx.tenant.id, session.key, ctx.now)
        if gone is None:
            continue
        ended += 1
        events.emit("account_session_ended", ctx.tenant.id, sub=gone.sub, sid=interaction.public_sid(gone.key))
        notify_back_channel(ctx, gone)
    return ended


def _done(ctx: Context, notice: str, cookies: tuple[Cookie, ...] = ()) -> Redirect:
    """Post/redirect/get: a reload of the page repeats nothing."""
    return Redirect(url(ctx.issuer, f"?done={notice}"), cookies=cookies)


ACTIONS: dict[str, Action] = {
    "change-password": change_password,
    "end-session": end_one,
    "end-others": end_others,
    "withdraw-consent": withdraw_consent,
    "remove-totp": second_factor.remove,
    "recovery-codes": second_factor.renew_codes,
}

"""The password, typed again on the account page: to change it, and to confirm a sensitive
action when the session's sign-in is not recent (``chalicelib.accounts.recent``)."""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib import events
from chalicelib.account import overview
from chalicelib.account.overview import Holder
from chalicelib.accounts import recent
from chalicelib.context import Context
from chalicelib.i18n import N_
from chalicelib.oidc.results import Page

WRONG_PASSWORD = N_("Your current password is not right.")


def check_password(
    ctx: Context, holder: Holder, password: str, cookies: Mapping[str, str], status: int = 401
) -> Page | None:
    """None if ``password`` is the holder's; else the page that says why. Counted as a login
    attempt (per account, per this browser, per source) before it is checked, so the page
    is no oracle for someone who found a signed-in browser."""
    refusal = recent.confirm_password(ctx, holder.user.username, holder.user.sub, password, cookies)
    if refusal is None:
        return None
    if refusal.wait is not None:
        events.emit("account_limited", ctx.tenant.id, sub=holder.user.sub)
        return overview.page(ctx, holder, error={"minutes": -(-refusal.wait // 60)}, status=429)
    if password:
        events.emit("account_password_failed", ctx.tenant.id, sub=holder.user.sub)
    return overview.page(ctx, holder, error={"message": WRONG_PASSWORD}, status=status)


def reauthenticated(ctx: Context, holder: Holder, form: Mapping[str, str], cookies: Mapping[str, str]) -> Page | None:
    """A sensitive action goes ahead on a sign-in of the last five minutes, else on the
    password typed with it: whoever finds a signed-in browser cannot take the account."""
    if holder.recent(ctx.now):
        return None
    return check_password(ctx, holder, form.get("password", ""), cookies)

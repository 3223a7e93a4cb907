"""One function per route of the account page: find the holder of this browser's session
(else sign in first), then show or act."""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.account import actions, overview, second_factor, signin
from chalicelib.context import Context
from chalicelib.oidc.results import Result


def account_page(ctx: Context, query: Mapping[str, str], cookies: Mapping[str, str]) -> Result:
    holder = overview.signed_in(ctx, cookies)
    if holder is None:
        return signin.start(ctx)
    return overview.page(ctx, holder, done=query.get("done"))


def submit_account(ctx: Context, form: Mapping[str, str], cookies: Mapping[str, str]) -> Result:
    holder = overview.signed_in(ctx, cookies)
    if holder is None:  # the session ended meanwhile: nothing is done, sign in again
        return signin.start(ctx)
    return actions.submit(ctx, holder, form, cookies)


def totp_page(ctx: Context, cookies: Mapping[str, str]) -> Result:
    holder = overview.signed_in(ctx, cookies)
    return signin.start(ctx) if holder is None else second_factor.enrol_page(ctx, holder)


def submit_totp(ctx: Context, form: Mapping[str, str], cookies: Mapping[str, str]) -> Result:
    holder = overview.signed_in(ctx, cookies)
    return signin.start(ctx) if holder is None else second_factor.submit_enrol(ctx, holder, form)


def callback(ctx: Context, query: Mapping[str, str], cookies: Mapping[str, str]) -> Result:
    return signin.callback(ctx, query, cookies)

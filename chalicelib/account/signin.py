"""Signing in to the account page through the tenant's own OpenID flow.

The page needs an OP session, and only the tenant's login (with its second factor, its
limits and its hooks) may start one; so a browser without one is sent to the authorization
endpoint as a built-in confidential client, ``account`` (``chalicelib.own_rp``: the flow
the console's sign-in uses too). Its callback redeems the code before returning to the
page, which reads the session the login just set.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib import own_rp
from chalicelib.account import PATH, url
from chalicelib.context import Context
from chalicelib.i18n import N_
from chalicelib.oidc.results import Redirect

EXPIRED = N_("This sign-in has expired or was started in another browser: open your account page again.")
ACCOUNT = own_rp.BuiltIn(
    client_id="account",
    name="Your account",
    path=PATH,
    flow_cookie="op_account_flow",
    expired=EXPIRED,
    cancelled=EXPIRED,
    taken=N_("This tenant has an application of its own named 'account': the account page is off."),
    cannot="the account page cannot sign in here",
)
CLIENT_ID = ACCOUNT.client_id
FLOW_COOKIE = ACCOUNT.flow_cookie


def start(ctx: Context) -> Redirect:
    """Send the browser to sign in for the account page."""
    return own_rp.start(ctx, ACCOUNT, _wanted(ctx))


def callback(ctx: Context, query: Mapping[str, str], cookies: Mapping[str, str]) -> Redirect:
    """The authorization response (``own_rp.finish``); then the account page."""
    own_rp.finish(ctx, ACCOUNT, query, cookies)
    return Redirect(url(ctx.issuer), cookies=(own_rp.forget_flow(ACCOUNT),))


def _wanted(ctx: Context) -> dict[str, Any]:
    return {
        "redirect_uris": (url(ctx.issuer, "/callback"),),
        "response_types": ("code",),
        "grant_types": ("authorization_code",),
        "require_consent": False,
    }

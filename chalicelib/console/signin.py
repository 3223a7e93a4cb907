"""Signing in to the console through the tenant's own OpenID flow: the provider is its own
first relying party, the built-in confidential client ``console`` (``chalicelib.own_rp``:
the flow the account page's sign-in uses too). The callback verifies the ID token and
starts a console session for an administrator.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib import events, own_rp
from chalicelib.console import PATH, session, url
from chalicelib.console.audit import audited
from chalicelib.context import Context
from chalicelib.oidc.results import Redirect
from chalicelib.store.users import get_user

CONSOLE = own_rp.BuiltIn(
    client_id="console",
    name="Admin console",
    path=PATH,
    flow_cookie="op_console_flow",
    expired="this sign-in has expired or was started in another browser: open the console again",
    cancelled="the sign-in was cancelled or refused: open the console again to retry",
    taken="this tenant has a client 'console' of its own: rename it to use the console",
    cannot="the console cannot sign in here",
)
CLIENT_ID = CONSOLE.client_id
FLOW_COOKIE = CONSOLE.flow_cookie
EXPIRED = CONSOLE.expired
# The pages a sign-in may return to: the console's sections, named, never a URL (a redirect
# to wherever a link said would be an open redirector).
RETURNS = ("clients", "users", "settings", "keys", "events")


def start(ctx: Context, back: str | None = None) -> Redirect:
    """Send the browser to the tenant's authorization endpoint for the console client; the
    sign-in returns to the section ``back`` names (else the clients)."""
    return own_rp.start(ctx, CONSOLE, _wanted(ctx), carried=back if back in RETURNS else "")


def callback(ctx: Context, query: Mapping[str, str], cookies: Mapping[str, str]) -> Redirect:
    """The authorization response (``own_rp.finish``), then a console session for an
    administrator."""
    signed_in = own_rp.finish(ctx, CONSOLE, query, cookies)
    sub = signed_in.claims["sub"]
    user = get_user(ctx.tenant.id, sub, consistent=True)
    if user is None or not user.admin or not user.active:
        events.emit("console_refused", ctx.tenant.id, sub=sub)
        raise session.NotAdministrator()
    cookie = session.start(ctx, user)
    audited(ctx, session.Admin(ctx.tenant.id, user.sub, user.username, ""), "console_signed_in", username=user.username)
    back = signed_in.carried if signed_in.carried in RETURNS else "clients"
    return Redirect(url(ctx.issuer, f"/{back}"), cookies=(cookie, own_rp.forget_flow(CONSOLE)))


def _wanted(ctx: Context) -> dict[str, Any]:
    """The console client's settings: its URIs follow the issuer; its ID token algorithm is
    one the tenant has a key for."""
    algorithms = ctx.tenant.keyring.signing_algorithms
    return {
        "redirect_uris": (url(ctx.issuer, "/callback"),),
        "post_logout_redirect_uris": (url(ctx.issuer, "/signed-out"),),
        "response_types": ("code",),
        "grant_types": ("authorization_code",),
        "require_consent": False,
        "id_token_signed_response_alg": "RS256" if "RS256" in algorithms or not algorithms else algorithms[0],
    }

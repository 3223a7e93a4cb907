"""OpenID Connect Session Management 1.0: the ``session_state`` of authorization responses
and the browser state the OP's check-session iframe compares it against.

The browser state is a value derived from the OP session (never the session's credential
itself), held in a cookie that the iframe's script can read. It changes when the user logs
in or out, and with it every ``session_state`` computed from it: that is how an RP's
iframe learns the session changed. Off unless the tenant enables it (the seed's default).
"""

from __future__ import annotations

import hashlib
import hmac

from chalicelib.context import Context
from chalicelib.keys.master import tenant_key
from chalicelib.oidc.response_modes import origin
from chalicelib.oidc.results import Cookie
from chalicelib.opaque import b64url, new_id

BROWSER_STATE_COOKIE = "op_browser_state"


def enabled(ctx: Context) -> bool:
    return ctx.settings.session_management_enable


def browser_state(ctx: Context, session_key: str) -> str:
    key = tenant_key(ctx.tenant.id, "browser-state")
    return b64url(hmac.new(key, session_key.encode(), hashlib.sha256).digest())[:32]


def unauthenticated_state(ctx: Context) -> str:
    """The browser state when nobody is logged in (OIDC_UNAUTHENTICATED_SESSION_MANAGEMENT_KEY):
    the tenant's configured value, else one derived for the tenant (stable across containers)."""
    configured = ctx.settings.unauthenticated_session_management_key
    return configured or b64url(tenant_key(ctx.tenant.id, "unauthenticated-browser-state"))[:32]


def session_state(client_id: str, redirect_uri: str, state: str, salt: str | None = None) -> str:
    """Session Management §3: a salted hash of the client, the RP's origin and the browser
    state; the check-session iframe recomputes it in the browser (hex SHA-256)."""
    salt = salt or new_id(8)
    material = f"{client_id} {origin(redirect_uri) or ''} {state} {salt}"
    return hashlib.sha256(material.encode()).hexdigest() + "." + salt


def response_values(ctx: Context, client_id: str, redirect_uri: str, session_key: str) -> dict[str, str]:
    if not enabled(ctx):
        return {}
    return {"session_state": session_state(client_id, redirect_uri, browser_state(ctx, session_key))}


def browser_state_cookie(ctx: Context, session_key: str | None) -> tuple[Cookie, ...]:
    """Set (at login) or clear (at logout, ``sid`` None) the cookie the iframe reads. It is
    readable by script by design, and sent to the iframe when an RP on another site embeds
    it (SameSite=None, which browsers accept only on https)."""
    if not enabled(ctx):
        return ()
    value = browser_state(ctx, session_key) if session_key is not None else None
    return (Cookie(BROWSER_STATE_COOKIE, value, max_age=ctx.settings.session_expire, http_only=False, cross_site=True),)

"""Signing in to the account page through the tenant's own OpenID flow.

The page needs an OP session, and only the tenant's login (with its second factor, its
limits and its hooks) may start one; so a browser without one is sent to the authorization
endpoint as a built-in confidential client, ``account``, with ``state`` and a PKCE challenge.
Its secret is derived from the master secret for the tenant (the client item keeps only its
digest), and the PKCE verifier is a MAC of the state: nothing of the flow is stored. The
callback checks the state against the browser's short-lived flow cookie (so no one can
finish a sign-in started elsewhere), redeems the code through the token endpoint's own
function (the code is spent, not left lying), and returns to the page, which reads the
session the login just set.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from chalicelib.account import PATH, url
from chalicelib.admin import AdminError, Conflict
from chalicelib.admin import clients as client_admin
from chalicelib.context import Context
from chalicelib.i18n import N_
from chalicelib.keys.master import tenant_key
from chalicelib.oidc.errors import InvalidPage
from chalicelib.oidc.pkce import s256
from chalicelib.oidc.results import Cookie, Redirect
from chalicelib.opaque import b64url, digest, new_token
from chalicelib.store import clients as client_store
from chalicelib.store.clients import Client

CLIENT_ID = "account"
FLOW_COOKIE = "op_account_flow"
FLOW_LIFETIME = 600
_STATE = re.compile(r"[A-Za-z0-9_-]{43}")
EXPIRED = N_("This sign-in has expired or was started in another browser: open your account page again.")


def client_secret(tenant_id: str) -> str:
    return b64url(hmac.new(tenant_key(tenant_id, "account-client"), b"secret", hashlib.sha256).digest())


def verifier(tenant_id: str, state: str) -> str:
    return b64url(hmac.new(tenant_key(tenant_id, "account-pkce"), state.encode(), hashlib.sha256).digest())


def start(ctx: Context) -> Redirect:
    """Send the browser to sign in for the account page."""
    ensure_client(ctx)
    state = new_token()
    query = {
        "client_id": CLIENT_ID,
        "redirect_uri": url(ctx.issuer, "/callback"),
        "response_type": "code",
        "scope": "openid",
        "state": state,
        "code_challenge": s256(verifier(ctx.tenant.id, state)),
        "code_challenge_method": "S256",
    }
    flow = Cookie(FLOW_COOKIE, state, max_age=FLOW_LIFETIME, path=PATH)
    return Redirect(f"{ctx.url('authorization_endpoint')}?{urlencode(query)}", cookies=(flow,))


def callback(ctx: Context, query: Mapping[str, str], cookies: Mapping[str, str]) -> Redirect:
    """The authorization response: this browser's (state), from this issuer (RFC 9207), with
    a code that redeems; then the account page."""
    state, expected = query.get("state", ""), cookies.get(FLOW_COOKIE, "")
    if _STATE.fullmatch(expected) is None or not state.isascii() or not hmac.compare_digest(expected, state):
        raise InvalidPage(EXPIRED)
    if query.get("iss", ctx.issuer) != ctx.issuer or "error" in query or not query.get("code"):
        raise InvalidPage(EXPIRED)
    _redeem(ctx, query["code"], state)
    return Redirect(url(ctx.issuer), cookies=(Cookie(FLOW_COOKIE, None, path=PATH),))


def _redeem(ctx: Context, code: str, state: str) -> None:
    from chalicelib.oidc.endpoints.token import token

    credentials = base64.b64encode(f"{CLIENT_ID}:{client_secret(ctx.tenant.id)}".encode()).decode()
    form = {
        "grant_type": ["authorization_code"],
        "code": [code],
        "redirect_uri": [url(ctx.issuer, "/callback")],
        "code_verifier": [verifier(ctx.tenant.id, state)],
    }
    if token(ctx, {"authorization": f"Basic {credentials}"}, form).status != 200:
        raise InvalidPage(EXPIRED)


def ensure_client(ctx: Context) -> Client:
    """The tenant's account client, created or brought up to date by conditional writes (of
    two browsers starting at once, one creates it and the other finds it)."""
    wanted: dict[str, Any] = {
        "redirect_uris": (url(ctx.issuer, "/callback"),),
        "response_types": ("code",),
        "grant_types": ("authorization_code",),
        "require_consent": False,
    }
    secret = client_secret(ctx.tenant.id)
    existing = client_store.get_client(ctx.tenant.id, CLIENT_ID, consistent=True)
    if existing is None:
        try:
            created, _ = client_admin.create_client(
                ctx.tenant.id, name="Your account", client_type="confidential", client_id=CLIENT_ID,
                client_secret=secret, **wanted,
            )  # fmt: skip
            return created
        except AdminError as error:  # created meanwhile by another sign-in, or refused
            existing = client_store.get_client(ctx.tenant.id, CLIENT_ID, consistent=True)
            if existing is None:  # a deployment whose issuer no client may use (http, not local)
                raise InvalidPage(f"the account page cannot sign in here: {error}") from None
    if existing.secret_hash != digest(secret):
        raise InvalidPage(N_("This tenant has an application of its own named 'account': the account page is off."))
    # Each name the deployment answers on (its own issuer) adds its redirect URI, never
    # removing another's (as the console's client does).
    present = tuple(existing.redirect_uris)
    wanted["redirect_uris"] = present + tuple(uri for uri in wanted["redirect_uris"] if uri not in present)
    if any(getattr(existing, name) != value for name, value in wanted.items()):
        try:
            existing = client_admin.update_client(ctx.tenant.id, CLIENT_ID, expected=existing.version, **wanted)
        except Conflict:
            existing = client_admin.get_client(ctx.tenant.id, CLIENT_ID)
        except AdminError as error:
            raise InvalidPage(f"the account page cannot sign in here: {error}") from None
    return existing

"""Signing in to the console through the tenant's own OpenID flow: the provider is its own
first relying party.

Each tenant gets a built-in confidential client, ``console``, created (or brought up to date)
when someone first signs in: its redirect URI is ``<issuer>/console/callback``, and its
secret is derived from the deployment's master secret for the tenant, so the console holds
it without storing it (the client item keeps only its digest, like every client's). The
console sends the browser to the authorization endpoint with ``state``, ``nonce`` and a PKCE
challenge, the user signs in on the tenant's login page, and the callback redeems the code
at the token endpoint (in-process, through the same function that serves it over HTTP) and
verifies the ID token against the tenant's JWKS before it starts a console session.

The browser keeps ``state`` and ``nonce`` in a short-lived cookie on the console's path; the
PKCE verifier is a MAC of the state under a tenant key, so it is never stored anywhere.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from chalicelib import events
from chalicelib.admin import AdminError, Conflict
from chalicelib.admin import clients as client_admin
from chalicelib.console import PATH, session, url
from chalicelib.console.audit import audited
from chalicelib.context import Context
from chalicelib.keys.master import tenant_key
from chalicelib.oidc.errors import InvalidPage
from chalicelib.oidc.pkce import s256
from chalicelib.oidc.results import Cookie, Redirect
from chalicelib.opaque import b64url, digest, new_token
from chalicelib.store import clients as client_store
from chalicelib.store.clients import Client
from chalicelib.store.users import get_user

CLIENT_ID = "console"
FLOW_COOKIE = "op_console_flow"
FLOW_LIFETIME = 600
_FLOW = re.compile(r"([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{43})\.([a-z]{0,16})")
# The pages a sign-in may return to: the console's sections, named, never a URL (a redirect
# to wherever a link said would be an open redirector).
RETURNS = ("clients", "users", "settings", "keys", "events")
EXPIRED = "this sign-in has expired or was started in another browser: open the console again"


def client_secret(tenant_id: str) -> str:
    return b64url(hmac.new(tenant_key(tenant_id, "console-client"), b"secret", hashlib.sha256).digest())


def verifier(tenant_id: str, state: str) -> str:
    return b64url(hmac.new(tenant_key(tenant_id, "console-pkce"), state.encode(), hashlib.sha256).digest())


def start(ctx: Context, back: str | None = None) -> Redirect:
    """Send the browser to the tenant's authorization endpoint for the console client; the
    sign-in returns to the section ``back`` names (else the clients)."""
    ensure_client(ctx)
    state, nonce = new_token(), new_token()
    query = {
        "client_id": CLIENT_ID,
        "redirect_uri": url(ctx.issuer, "/callback"),
        "response_type": "code",
        "scope": "openid",
        "state": state,
        "nonce": nonce,
        "code_challenge": s256(verifier(ctx.tenant.id, state)),
        "code_challenge_method": "S256",
    }
    section = back if back in RETURNS else ""
    flow = Cookie(FLOW_COOKIE, f"{state}.{nonce}.{section}", max_age=FLOW_LIFETIME, path=PATH)
    return Redirect(f"{ctx.url('authorization_endpoint')}?{urlencode(query)}", cookies=(flow,))


def callback(ctx: Context, query: Mapping[str, str], cookies: Mapping[str, str]) -> Redirect:
    """The authorization response: check it is this browser's (state), redeem the code,
    verify the ID token, and start a console session for an administrator."""
    flow = _FLOW.fullmatch(cookies.get(FLOW_COOKIE, ""))
    state = query.get("state", "")
    if flow is None or not state.isascii() or not hmac.compare_digest(flow.group(1).encode(), state.encode()):
        raise InvalidPage(EXPIRED)
    if query.get("iss", ctx.issuer) != ctx.issuer:  # RFC 9207: a mix-up, not our answer
        raise InvalidPage(EXPIRED)
    if "error" in query or not query.get("code"):
        raise InvalidPage("the sign-in was cancelled or refused: open the console again to retry")
    claims = _verified_id_token(ctx, _redeem(ctx, query["code"], state), flow.group(2))
    user = get_user(ctx.tenant.id, claims["sub"], consistent=True)
    if user is None or not user.admin or not user.active:
        events.emit("console_refused", ctx.tenant.id, sub=claims["sub"])
        raise session.NotAdministrator()
    cookie = session.start(ctx, user)
    audited(ctx, session.Admin(ctx.tenant.id, user.sub, user.username, ""), "console_signed_in", username=user.username)
    back = flow.group(3) if flow.group(3) in RETURNS else "clients"
    return Redirect(url(ctx.issuer, f"/{back}"), cookies=(cookie, Cookie(FLOW_COOKIE, None, path=PATH)))


def _redeem(ctx: Context, code: str, state: str) -> str:
    from chalicelib.oidc.endpoints.token import token

    credentials = base64.b64encode(f"{CLIENT_ID}:{client_secret(ctx.tenant.id)}".encode()).decode()
    form = {
        "grant_type": ["authorization_code"],
        "code": [code],
        "redirect_uri": [url(ctx.issuer, "/callback")],
        "code_verifier": [verifier(ctx.tenant.id, state)],
    }
    return token(ctx, {"authorization": f"Basic {credentials}"}, form).body["id_token"]


def _verified_id_token(ctx: Context, id_token: str, nonce: str) -> dict[str, Any]:
    """OIDC Core §3.1.3.7: signed by one of the tenant's published keys, for this client,
    from this issuer, with this sign-in's nonce, not expired (by the request's clock)."""
    import jwt

    try:
        header = jwt.get_unverified_header(id_token)
        jwk = next(key for key in ctx.tenant.keyring.jwks()["keys"] if key["kid"] == header.get("kid"))
        claims = jwt.decode(
            id_token,
            jwt.PyJWK(jwk).key,
            algorithms=[jwk["alg"]],
            audience=CLIENT_ID,
            issuer=ctx.issuer,
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False, "require": ["exp", "sub"]},
        )
    except (StopIteration, jwt.PyJWTError) as error:
        raise InvalidPage(f"the ID token did not verify ({type(error).__name__})") from None
    if not hmac.compare_digest(str(claims.get("nonce", "")).encode(), nonce.encode()) or claims["exp"] <= ctx.now:
        raise InvalidPage(EXPIRED)
    return claims


def ensure_client(ctx: Context) -> Client:
    """The tenant's console client, created or brought up to date (its URIs follow the
    issuer; its algorithm, a key the tenant has). Every write is conditional: of two
    browsers starting at once, one creates it and the other finds it."""
    wanted: dict[str, Any] = {
        "redirect_uris": (url(ctx.issuer, "/callback"),),
        "post_logout_redirect_uris": (url(ctx.issuer, "/signed-out"),),
        "response_types": ("code",),
        "grant_types": ("authorization_code",),
        "require_consent": False,
        "id_token_signed_response_alg": _algorithm(ctx),
    }
    secret = client_secret(ctx.tenant.id)
    existing = client_store.get_client(ctx.tenant.id, CLIENT_ID, consistent=True)
    if existing is None:
        try:
            created, _ = client_admin.create_client(
                ctx.tenant.id, name="Admin console", client_type="confidential", client_id=CLIENT_ID,
                client_secret=secret, **wanted,
            )  # fmt: skip
            return created
        except AdminError:  # created meanwhile by another sign-in: use that one
            existing = client_admin.get_client(ctx.tenant.id, CLIENT_ID)
    if existing.secret_hash != digest(secret):
        raise InvalidPage(f"this tenant has a client {CLIENT_ID!r} of its own: rename it to use the console")
    # A deployment may answer on several names (a custom domain and execute-api's), each its
    # own issuer: a sign-in on one adds its URIs and never takes another's away, so sign-ins
    # on two names cannot undo each other. (The names are the deployment's, never a
    # request's Host: chalicelib/tenancy/issuer.py.)
    for name in ("redirect_uris", "post_logout_redirect_uris"):
        present = tuple(getattr(existing, name))
        wanted[name] = present + tuple(uri for uri in wanted[name] if uri not in present)
    if any(getattr(existing, name) != value for name, value in wanted.items()):
        try:
            existing = client_admin.update_client(ctx.tenant.id, CLIENT_ID, expected=existing.version, **wanted)
        except Conflict:
            existing = client_admin.get_client(ctx.tenant.id, CLIENT_ID)  # brought up to date meanwhile
        except AdminError as error:  # a deployment whose issuer no client may use (http, not local)
            raise InvalidPage(f"the console cannot sign in here: {error}") from None
    return existing


def _algorithm(ctx: Context) -> str:
    algorithms = ctx.tenant.keyring.signing_algorithms
    return "RS256" if "RS256" in algorithms or not algorithms else algorithms[0]

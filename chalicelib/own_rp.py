"""The provider as its own relying party: the tenant's built-in confidential clients (the
admin console's ``console``, the account page's ``account``) sign a browser in through the
tenant's own authorization endpoint, so only the tenant's login (its second factor, its
limits, its hooks) ever starts a session.

A built-in client is created (or brought up to date) when someone first signs in: its
redirect URI is ``<issuer><path>/callback`` and its secret is derived from the deployment's
master secret for the tenant, so the page holds it without storing it (the client item keeps
only its digest, like every client's). The browser keeps ``state`` and ``nonce`` in a
short-lived cookie on the page's path; the PKCE verifier is a MAC of the state under a
tenant key; nothing of the flow is stored. The callback checks the state against that
cookie (nobody finishes a sign-in started in another browser) and the issuer (RFC 9207),
redeems the code in-process through the token endpoint's own function (the code is spent,
not left lying), and verifies the ID token against the tenant's keys (OIDC Core §3.1.3.7).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from chalicelib.admin import AdminError, Conflict
from chalicelib.admin import clients as client_admin
from chalicelib.context import Context
from chalicelib.keys.master import tenant_key
from chalicelib.oidc.errors import InvalidPage
from chalicelib.oidc.pkce import s256
from chalicelib.oidc.results import Cookie, Redirect
from chalicelib.opaque import b64url, digest, new_token
from chalicelib.store import clients as client_store
from chalicelib.store.clients import Client

FLOW_LIFETIME = 600
# The flow cookie: state, nonce, and what the page carries through the sign-in (a name).
_FLOW = re.compile(r"([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{43})\.([a-z]{0,16})")
# The client's lists of URIs: each name the deployment answers on adds its own, never
# removing another's, so sign-ins on two names cannot undo each other.
URI_LISTS = ("redirect_uris", "post_logout_redirect_uris")


@dataclass(frozen=True)
class BuiltIn:
    """One of the provider's own relying parties, and the words its refusals use."""

    client_id: str
    name: str  # the client's display name
    path: str  # its pages, under the issuer
    flow_cookie: str
    expired: str  # a callback that is not this browser's, or a code that does not redeem
    cancelled: str  # the authorization response is an error
    taken: str  # the tenant has a client of its own under this id
    cannot: str  # "... cannot sign in here: <why>" (an issuer no client may use)

    def url(self, issuer: str, page: str = "") -> str:
        return f"{issuer}{self.path}{page}"

    def client_secret(self, tenant_id: str) -> str:
        return _mac(tenant_id, f"{self.client_id}-client", "secret")

    def verifier(self, tenant_id: str, state: str) -> str:
        return _mac(tenant_id, f"{self.client_id}-pkce", state)


@dataclass(frozen=True)
class SignedIn:
    """A finished sign-in: the ID token's verified claims, and what the page carried."""

    claims: dict[str, Any]
    carried: str


def start(ctx: Context, rp: BuiltIn, wanted: Mapping[str, Any], carried: str = "") -> Redirect:
    """Send the browser to the tenant's authorization endpoint as ``rp`` (its client made
    as ``wanted`` first); ``carried`` (a lower-case name) comes back from the callback."""
    ensure_client(ctx, rp, wanted)
    state, nonce = new_token(), new_token()
    query = {
        "client_id": rp.client_id,
        "redirect_uri": rp.url(ctx.issuer, "/callback"),
        "response_type": "code",
        "scope": "openid",
        "state": state,
        "nonce": nonce,
        "code_challenge": s256(rp.verifier(ctx.tenant.id, state)),
        "code_challenge_method": "S256",
    }
    flow = Cookie(rp.flow_cookie, f"{state}.{nonce}.{carried}", max_age=FLOW_LIFETIME, path=rp.path)
    return Redirect(f"{ctx.url('authorization_endpoint')}?{urlencode(query)}", cookies=(flow,))


def finish(ctx: Context, rp: BuiltIn, query: Mapping[str, str], cookies: Mapping[str, str]) -> SignedIn:
    """The authorization response: this browser's (state), from this issuer, with a code
    that redeems to a valid ID token; InvalidPage otherwise."""
    flow = _FLOW.fullmatch(cookies.get(rp.flow_cookie, ""))
    state = query.get("state", "")
    if flow is None or not state.isascii() or not hmac.compare_digest(flow.group(1).encode(), state.encode()):
        raise InvalidPage(rp.expired)
    if query.get("iss", ctx.issuer) != ctx.issuer:  # RFC 9207: a mix-up, not our answer
        raise InvalidPage(rp.expired)
    if "error" in query or not query.get("code"):
        raise InvalidPage(rp.cancelled)
    claims = _verified_id_token(ctx, rp, _redeem(ctx, rp, query["code"], state), flow.group(2))
    return SignedIn(claims, flow.group(3))


def forget_flow(rp: BuiltIn) -> Cookie:
    return Cookie(rp.flow_cookie, None, path=rp.path)


def _redeem(ctx: Context, rp: BuiltIn, code: str, state: str) -> str:
    from chalicelib.oidc.endpoints.token import token

    credentials = base64.b64encode(f"{rp.client_id}:{rp.client_secret(ctx.tenant.id)}".encode()).decode()
    form = {
        "grant_type": ["authorization_code"],
        "code": [code],
        "redirect_uri": [rp.url(ctx.issuer, "/callback")],
        "code_verifier": [rp.verifier(ctx.tenant.id, state)],
    }
    answer = token(ctx, {"authorization": f"Basic {credentials}"}, form)
    if answer.status != 200 or not isinstance(answer.body.get("id_token"), str):
        raise InvalidPage(rp.expired)
    return answer.body["id_token"]


def _verified_id_token(ctx: Context, rp: BuiltIn, id_token: str, nonce: str) -> dict[str, Any]:
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
            audience=rp.client_id,
            issuer=ctx.issuer,
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False, "require": ["exp", "sub"]},
        )
    except (StopIteration, jwt.PyJWTError) as error:
        raise InvalidPage(f"the ID token did not verify ({type(error).__name__})") from None
    if not hmac.compare_digest(str(claims.get("nonce", "")).encode(), nonce.encode()) or claims["exp"] <= ctx.now:
        raise InvalidPage(rp.expired)
    return claims


def ensure_client(ctx: Context, rp: BuiltIn, wanted: Mapping[str, Any]) -> Client:
    """The tenant's ``rp`` client, created or brought up to date (``wanted``: its settings;
    its URIs follow the issuer). Every write is conditional: of two browsers starting at
    once, one creates it and the other finds it."""
    secret = rp.client_secret(ctx.tenant.id)
    # The container's copy answers almost every visit: a page that anyone may open must not
    # cost a strongly consistent read each time. Only a missing or outdated copy is read again.
    cached = ctx.client(rp.client_id)
    if cached is not None and cached.secret_hash == digest(secret) and _up_to_date(cached, wanted):
        return cached
    existing = client_store.get_client(ctx.tenant.id, rp.client_id, consistent=True)
    if existing is None:
        try:
            created, _ = client_admin.create_client(
                ctx.tenant.id, name=rp.name, client_type="confidential", client_id=rp.client_id,
                client_secret=secret, **wanted,
            )  # fmt: skip
            return created
        except AdminError as error:  # created meanwhile by another sign-in, or refused
            existing = client_store.get_client(ctx.tenant.id, rp.client_id, consistent=True)
            if existing is None:  # a deployment whose issuer no client may use (http, not local)
                raise InvalidPage(f"{rp.cannot}: {error}") from None
    if existing.secret_hash != digest(secret):
        raise InvalidPage(rp.taken)
    return _brought_up_to_date(ctx, rp, existing, wanted)


def _merged(existing: Client, wanted: Mapping[str, Any]) -> dict[str, Any]:
    """``wanted`` with the URIs the client has kept (other issuers of the deployment)."""
    # The URIs are the deployment's names (its issuers), never a request's Host header
    # (chalicelib/tenancy/issuer.py).
    merged = dict(wanted)
    for name in URI_LISTS:
        if name in merged:
            present = tuple(getattr(existing, name))
            merged[name] = present + tuple(uri for uri in merged[name] if uri not in present)
    return merged


def _up_to_date(existing: Client, wanted: Mapping[str, Any]) -> bool:
    return all(getattr(existing, name) == value for name, value in _merged(existing, wanted).items())


def _brought_up_to_date(ctx: Context, rp: BuiltIn, existing: Client, wanted: Mapping[str, Any]) -> Client:
    merged = _merged(existing, wanted)
    if _up_to_date(existing, wanted):
        return existing
    try:
        return client_admin.update_client(ctx.tenant.id, rp.client_id, expected=existing.version, **merged)
    except Conflict:
        return client_admin.get_client(ctx.tenant.id, rp.client_id)  # brought up to date meanwhile
    except AdminError as error:
        raise InvalidPage(f"{rp.cannot}: {error}") from None


def _mac(tenant_id: str, purpose: str, value: str) -> str:
    return b64url(hmac.new(tenant_key(tenant_id, purpose), value.encode(), hashlib.sha256).digest())

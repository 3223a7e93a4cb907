"""The device page's steps: enter the code, sign in, approve or deny, done.

1. ``GET /device`` shows the form, the code filled in from ``verification_uri_complete``'s
   ``user_code``; nothing is decided by opening a link (RFC 8628 §5.4): the person presses
   Continue, then Approve on a page that names the application.
2. ``POST /device`` with a code: counted (per source and across the tenant) before it is
   looked up; a wrong, expired, used or malformed code gets the same words. A live one is
   remembered in a cookie on this page's path (a sealed reference to the authorization:
   the keyed digest of its code, never the code), and the person signs in.
3. ``GET /device/callback``: the sign-in's answer (``own_rp.finish``); the consent page,
   whose form carries a ticket with who signed in, valid only with that cookie.
4. ``POST /device`` with a decision: one conditional write records it, if the authorization
   is still pending and live; then the done page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib import events, own_rp
from chalicelib.context import Context
from chalicelib.device import PATH, url
from chalicelib.i18n import N_
from chalicelib.limits import device as device_limits
from chalicelib.oidc import device_codes, interaction
from chalicelib.oidc.errors import InvalidPage
from chalicelib.oidc.results import Cookie, Page, Redirect, Result
from chalicelib.oidc.scopes import describe, tenant_scopes
from chalicelib.opaque import new_id
from chalicelib.store import device
from chalicelib.store.users import get_user

EXPIRED = N_("This request has expired or was started in another browser: enter the code again.")
WRONG = N_("That code is not valid. Check it on your device and try again.")
LIMITED = N_("Too many attempts. Try again later.")
DEVICE = own_rp.BuiltIn(
    client_id="device",
    name="Device sign-in",
    path=PATH,
    flow_cookie="op_device_flow",
    expired=EXPIRED,
    cancelled=EXPIRED,
    taken=N_("This tenant has an application of its own named 'device': the device page is off."),
    cannot="the device page cannot sign in here",
)
COOKIE = "op_device_request"


def entry_page(ctx: Context, query: Mapping[str, str]) -> Page:
    """The form, with the link's code filled in when it is one (anything else is dropped)."""
    code = device_codes.normalize(query.get("user_code", ""))
    return _entry(ctx, code=device_codes.display(code) if code else "")


def submit(ctx: Context, form: Mapping[str, str], cookies: Mapping[str, str]) -> Result:
    if "decision" in form:
        return _decide(ctx, form, cookies)
    return _enter(ctx, form.get("user_code", ""))


def callback(ctx: Context, query: Mapping[str, str], cookies: Mapping[str, str]) -> Result:
    """Signed in: the consent page for the authorization this browser's cookie names."""
    signed_in = own_rp.finish(ctx, DEVICE, query, cookies)
    key = _pending_key(ctx, cookies)
    found = device.find(ctx.tenant.id, key, ctx.now)
    client = ctx.client(found.client_id) if found else None
    if found is None or client is None:
        raise InvalidPage(EXPIRED)
    claims = signed_in.claims
    # The user's epoch as of the sign-in just made: a password reset or a disable before the
    # person presses Approve ends it (chalicelib.store.users.may_act), as it ends a session.
    user = get_user(ctx.tenant.id, claims["sub"])
    if user is None or not user.active:
        raise InvalidPage(EXPIRED)
    ticket = interaction.seal(
        ctx, "device-consent",
        {"u": key, "sub": claims["sub"], "at": claims.get("auth_time"), "amr": claims.get("amr") or [],
         "sid": claims.get("sid"), "ep": user.epoch},
    )  # fmt: skip
    context: dict[str, Any] = {
        "client": client,
        "account": user.username,
        "user_code": _pending(ctx, cookies).get("c"),
        "scopes": describe(tuple(found.scope.split()), tenant_scopes(ctx.settings)),
        "ticket": ticket,
        "action": url(ctx.issuer),
    }
    return Page("device_consent.html", context, cookies=(own_rp.forget_flow(DEVICE),))


def _enter(ctx: Context, typed: str) -> Result:
    code = device_codes.normalize(typed)
    if code is None:  # not a code at all: refused without counting or reading anything
        return _entry(ctx, code=typed[:64], error=WRONG, status=400)
    wait = device_limits.admit_user_code(ctx.tenant.id, ctx.source, ctx.settings, ctx.now)
    if wait is not None:
        events.emit("user_code_limited", ctx.tenant.id)
        return _entry(ctx, code=device_codes.display(code), error=LIMITED, status=429, retry_minutes=-(-wait // 60))
    key = device_codes.user_code_key(ctx.tenant.id, code)
    if device.find(ctx.tenant.id, key, ctx.now) is None:
        device_limits.record_wrong_code(ctx.tenant.id, ctx.source, ctx.settings, ctx.now)
        events.emit("user_code_failed", ctx.tenant.id)
        return _entry(ctx, code=device_codes.display(code), error=WRONG, status=400)
    started = own_rp.start(ctx, DEVICE, _wanted(ctx))
    # The code as typed goes along (sealed, in this browser only) to be shown again on the
    # consent page, next to the device's (RFC 8628 §5.4: the person compares the two).
    sealed = interaction.seal(ctx, "device", {"u": key, "c": device_codes.display(code)})
    pending = Cookie(COOKIE, sealed, max_age=ctx.settings.interaction_expire,
                     path=PATH)  # fmt: skip
    return Redirect(started.location, cookies=(*started.cookies, pending))


def _decide(ctx: Context, form: Mapping[str, str], cookies: Mapping[str, str]) -> Result:
    payload = interaction.unseal(ctx, "device-consent", form.get("ticket"))
    key = _pending_key(ctx, cookies)
    if payload.get("u") != key or not isinstance(payload.get("sub"), str):
        raise InvalidPage(EXPIRED)
    decision = form.get("decision")
    if decision not in ("approve", "deny"):  # only the page's own two buttons decide
        raise InvalidPage(EXPIRED)
    approved = decision == "approve"
    approval = _approval(ctx, payload) if approved else None
    if not device.decide(ctx.tenant.id, key, ctx.now, approval):
        raise InvalidPage(EXPIRED)
    event = "device_authorization_approved" if approved else "device_authorization_denied"
    events.emit(event, ctx.tenant.id, sub=payload["sub"])
    return Page("device_done.html", {"approved": approved}, cookies=(Cookie(COOKIE, None, path=PATH),))


def _approval(ctx: Context, payload: Mapping[str, Any]) -> device.Approval:
    """Who approves, as the sign-in proved; the user's epoch at that sign-in stamps the grant
    (a user disabled or re-passworded since, before Approve or before the device polls, gets
    nothing: ``users.may_act``)."""
    user = get_user(ctx.tenant.id, payload["sub"])
    epoch = payload.get("ep")
    if user is None or not isinstance(epoch, int) or not user.accepts(epoch):
        raise InvalidPage(EXPIRED)
    auth_time = payload.get("at")
    amr = tuple(value for value in payload.get("amr") or () if isinstance(value, str))
    sid = payload.get("sid")
    return device.Approval(
        sub=user.sub, auth_time=auth_time if isinstance(auth_time, int) else ctx.now, amr=amr or ("pwd",),
        epoch=user.epoch, sid=sid if isinstance(sid, str) else None, gid=new_id(),
    )  # fmt: skip


def _pending(ctx: Context, cookies: Mapping[str, str]) -> dict[str, Any]:
    return interaction.unseal(ctx, "device", cookies.get(COOKIE))


def _pending_key(ctx: Context, cookies: Mapping[str, str]) -> str:
    return str(_pending(ctx, cookies).get("u", ""))


def _entry(ctx: Context, code: str = "", error: str | None = None, status: int = 200, retry_minutes: int = 0) -> Page:
    context = {"code": code, "error": error, "retry_minutes": retry_minutes, "action": url(ctx.issuer)}
    return Page("device.html", context, status=status)


def _wanted(ctx: Context) -> dict[str, Any]:
    return {
        "redirect_uris": (url(ctx.issuer, "/callback"),),
        "response_types": ("code",),
        "grant_types": ("authorization_code",),
        "require_consent": False,
    }

"""The second-factor pages: enrol an authenticator app (QR code, then a code from it, then
the recovery codes, once), or give a code from it (or a recovery code) after the password.

The pending sign-in is the browser's (``chalicelib.oidc.second_factor``); every code tried
is counted first, per account and per source (``chalicelib.limits.factors``); the forms are
CSRF protected by their route. Only when the factor is proven does a session begin.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from chalicelib import events
from chalicelib.accounts import factors, passkeys
from chalicelib.context import Context
from chalicelib.i18n import N_
from chalicelib.limits import factors as limits
from chalicelib.oidc import acr, flow, second_factor
from chalicelib.oidc import passkeys as passkey_check
from chalicelib.oidc.authorize import AuthorizationRequest
from chalicelib.oidc.endpoints.login import start_session, with_cookies
from chalicelib.oidc.errors import AccessDenied
from chalicelib.oidc.response_modes import origin
from chalicelib.oidc.results import Cookie, Page, Result
from chalicelib.oidc.second_factor import Pending
from chalicelib.store.factors import list_factors

WRONG = N_("That code is not right. Try again.")


def mfa_page(ctx: Context, ticket: str | None, cookies: Mapping[str, str]) -> Result:
    payload, pending = second_factor.open_pending(ctx, ticket, cookies)
    return flow.run(ctx, payload["p"], lambda request: _page(ctx, request, ticket or "", pending))


def submit_mfa(ctx: Context, form: Mapping[str, str], cookies: Mapping[str, str]) -> Result:
    ticket = form.get("ticket", "")
    payload, pending = second_factor.open_pending(ctx, ticket, cookies)

    def step(request: AuthorizationRequest) -> Result:
        if form.get("action") == "cancel":
            raise AccessDenied("the end user cancelled the login")
        if pending.done:  # enrolled, recovery codes shown: "Continue"
            return _signed_in(ctx, request, pending, cookies)
        if form.get("action") == "passkey":  # counted under the same limits by its check
            return _passkey(ctx, request, ticket, pending, form.get("credential", ""), cookies)
        wait = limits.admit(ctx.tenant.id, pending.sub, ctx.source, ctx.settings, ctx.now)
        if wait is not None:
            events.emit("mfa_limited", ctx.tenant.id, client_id=request.client.client_id)
            error = {"minutes": -(-wait // 60)}  # the page words it (singular or plural)
            return _page(ctx, request, ticket, pending, error=error, status=429)
        code = form.get("code", "")
        if pending.secret is not None:
            return _confirm_enrolment(ctx, request, ticket, pending, code)
        return _verify(ctx, request, ticket, pending, code, cookies)

    return flow.run(ctx, payload["p"], step)


def _confirm_enrolment(ctx: Context, request: AuthorizationRequest, ticket: str, pending: Pending, code: str) -> Page:
    enrolment = factors.enrol(ctx.tenant.id, pending.sub, pending.epoch, pending.secret or "", code, ctx.now)
    if enrolment is None:
        events.emit("mfa_failed", ctx.tenant.id, client_id=request.client.client_id, sub=pending.sub, step="enrol")
        return _page(ctx, request, ticket, pending, error={"message": WRONG}, status=401)
    events.emit("mfa_enrolled", ctx.tenant.id, client_id=request.client.client_id, sub=pending.sub, method="totp")
    # The secret leaves the browser's state: it is stored, sealed, and never shown again.
    done = replace(pending, secret=None, done=True, amr=acr.MFA_AMR)
    page = _recovery_page(ctx, request, ticket, enrolment.recovery_codes)
    return replace(page, cookies=(second_factor.seal_pending(ctx, done),))


def _verify(
    ctx: Context, request: AuthorizationRequest, ticket: str, pending: Pending, code: str, cookies: Mapping[str, str]
) -> Result:
    found = list_factors(ctx.tenant.id, pending.sub)
    method = factors.verify(ctx.tenant.id, pending.sub, found, code, ctx.now)
    client_id = request.client.client_id
    if method is None:
        events.emit("mfa_failed", ctx.tenant.id, client_id=client_id, sub=pending.sub, step="verify")
        return _page(ctx, request, ticket, pending, error={"message": WRONG}, status=401)
    if method == "recovery":
        left = factors.remaining_recovery_codes(found) - 1
        events.emit("mfa_recovery_code_used", ctx.tenant.id, client_id=client_id, sub=pending.sub, remaining=left)
    return _signed_in(ctx, request, replace(pending, amr=acr.MFA_AMR), cookies)


def _passkey(
    ctx: Context,
    request: AuthorizationRequest,
    ticket: str,
    pending: Pending,
    credential: str,
    cookies: Mapping[str, str],
) -> Result:
    """A passkey as the second factor: registered now (enrolment) or one the user has.
    Either proves the authenticator and its user verification after the password."""
    if pending.secret is not None:
        outcome = passkey_check.check_registration(ctx, credential, cookies, pending.sub, pending.epoch)
        amr = passkeys.amr(outcome) if not isinstance(outcome, passkey_check.Refused) else ()
    else:
        outcome = passkey_check.check_sign_in(ctx, credential, cookies, "mfa", (pending.sub, pending.epoch))
        amr = outcome.amr if isinstance(outcome, passkey_check.SignedIn) else ()
    if isinstance(outcome, passkey_check.Refused):
        problem = {"minutes": -(-outcome.wait // 60)} if outcome.wait else {"message": passkey_check.REFUSED}
        return _page(ctx, request, ticket, pending, error=problem, status=429 if outcome.wait else 401)
    # The password, then the passkey: RFC 8176 values of both, "mfa" once.
    combined = tuple(dict.fromkeys((*(one for one in pending.amr if one != "mfa"), *amr)))
    result = _signed_in(ctx, request, replace(pending, secret=None, amr=combined), cookies)
    return with_cookies(result, (passkey_check.forget(),))


def _signed_in(ctx: Context, request: AuthorizationRequest, pending: Pending, cookies: Mapping[str, str]) -> Result:
    result = start_session(ctx, request, pending.sub, pending.epoch, pending.amr, cookies)
    return with_cookies(result, (Cookie(second_factor.COOKIE, None),))


def _page(
    ctx: Context,
    request: AuthorizationRequest,
    ticket: str,
    pending: Pending,
    error: dict | None = None,
    status: int = 200,
) -> Page:
    if pending.done:
        return _recovery_page(ctx, request, ticket, ())
    context = {"client": request.client, "ticket": ticket, "error": error, "action": ctx.url("mfa")}
    target = origin(request.target.redirect_uri)
    if pending.secret is None:
        found = list_factors(ctx.tenant.id, pending.sub)
        keys = passkeys.passkeys_of(found)
        offer = passkey_check.offer_sign_in(ctx, "mfa", keys, pending.sub) if keys else None
        context.update(has_totp=factors.has_totp(found), passkey_options=offer and offer.options)
        cookies = (offer.cookie,) if offer else ()
        return Page("mfa.html", context, status=status, cookies=cookies, form_target=target)
    issuer_name = ctx.settings.branding.display_name or ctx.tenant.name
    uri = factors.provisioning_uri(pending.secret, pending.account or pending.sub, issuer_name)
    context.update(qr=qr_data_uri(uri), secret=_grouped(pending.secret))
    offer = None
    if passkeys.registerable(pending.sub):
        offer = passkey_check.offer_registration(ctx, pending.sub, pending.account, [])
    context.update(passkey_options=offer.options if offer else None)
    return Page("mfa_enrol.html", context, status=status, cookies=(offer.cookie,) if offer else (), form_target=target)


def _recovery_page(ctx: Context, request: AuthorizationRequest, ticket: str, codes: tuple[str, ...]) -> Page:
    context = {"client": request.client, "ticket": ticket, "codes": codes, "action": ctx.url("mfa")}
    return Page("mfa_recovery.html", context, form_target=origin(request.target.redirect_uri))


def qr_data_uri(uri: str) -> str:
    """The QR code as an SVG ``data:`` URI: an <img> the pages' CSP allows (``img-src
    data:``), with no markup of its own in the page."""
    import segno

    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def _grouped(secret: str) -> str:
    """The secret as an app's manual entry shows it: groups of four."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))

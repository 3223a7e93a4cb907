"""The authenticator app from the account page: enrol one (the sign-in's enrolment pages and
code: QR code, a code from the app, recovery codes shown once), remove it, or renew the
recovery codes (the old ones die). Removing and renewing need a recent sign-in or the
password (``confirm``); every code tried at enrolment is counted by the second factor's
limits, per account and per source.

Between the QR code and the code from the app, the secret travels in the form sealed
(AES-256-GCM under a key of the tenant's for this user), with its expiry and a one-way
reference to the session that asked: it is readable by no one, and useless in another
browser or after ten minutes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from chalicelib import events
from chalicelib.account import confirm, overview, url
from chalicelib.account.overview import Holder
from chalicelib.accounts import factors
from chalicelib.context import Context
from chalicelib.i18n import N_
from chalicelib.keys import sealed
from chalicelib.limits import factors as limits
from chalicelib.oidc import interaction
from chalicelib.oidc.endpoints.mfa import WRONG, qr_data_uri
from chalicelib.oidc.errors import InvalidPage
from chalicelib.oidc.results import Page, Redirect, Result
from chalicelib.store import account as store
from chalicelib.store.factors import list_factors

ENROLMENT_LIFETIME = 600
EXPIRED = N_("This page has expired: open your account page again.")
NO_APP = N_("You have no authenticator app: set one up first.")


def enrol_page(ctx: Context, holder: Holder, error: dict[str, Any] | None = None, status: int = 200) -> Result:
    """The QR code; or back to the account page where the user has an app already, or where
    the tenant asks for no second factor (an app would never be asked for: offering one
    would promise a protection that is not there)."""
    if ctx.settings.mfa_policy == "off" or factors.has_totp(list_factors(ctx.tenant.id, holder.user.sub)):
        return Redirect(url(ctx.issuer))
    return _enrol_form(ctx, holder, factors.new_secret(), error, status)


def submit_enrol(ctx: Context, holder: Holder, form: Mapping[str, str]) -> Result:
    if form.get("action") in ("cancel", "continue"):  # the recovery codes' page says "continue"
        done = "totp-enrolled" if form.get("action") == "continue" else ""
        return Redirect(url(ctx.issuer, f"?done={done}" if done else ""))
    secret = _opened(ctx, holder, form.get("ticket", ""))
    if ctx.settings.mfa_policy == "off":
        return Redirect(url(ctx.issuer))
    wait = limits.admit(ctx.tenant.id, holder.user.sub, ctx.source, ctx.settings, ctx.now)
    if wait is not None:
        events.emit("mfa_limited", ctx.tenant.id, sub=holder.user.sub, step="account")
        return _enrol_form(ctx, holder, secret, {"minutes": -(-wait // 60)}, 429)
    user = holder.user
    enrolment = factors.enrol(ctx.tenant.id, user.sub, user.epoch, secret, form.get("code", ""), ctx.now)
    if enrolment is None:
        if factors.has_totp(list_factors(ctx.tenant.id, user.sub)):  # enrolled meanwhile, in another tab
            return Redirect(url(ctx.issuer))
        events.emit("mfa_failed", ctx.tenant.id, sub=user.sub, step="account-enrol")
        return _enrol_form(ctx, holder, secret, {"message": WRONG}, 401)
    events.emit("account_totp_enrolled", ctx.tenant.id, sub=user.sub)
    return _codes_page(ctx, enrolment.recovery_codes)


def remove(ctx: Context, holder: Holder, form: Mapping[str, str], cookies: Mapping[str, str]) -> Result:
    refused = confirm.reauthenticated(ctx, holder, form, cookies)
    if refused is not None:
        return refused
    if not store.remove_totp(ctx.tenant.id, holder.user.sub, holder.user.epoch):
        return overview.page(ctx, holder, error={"message": NO_APP}, status=409)
    events.emit("account_totp_removed", ctx.tenant.id, sub=holder.user.sub)
    return Redirect(url(ctx.issuer, "?done=totp-removed"))


def renew_codes(ctx: Context, holder: Holder, form: Mapping[str, str], cookies: Mapping[str, str]) -> Result:
    refused = confirm.reauthenticated(ctx, holder, form, cookies)
    if refused is not None:
        return refused
    codes = factors.new_recovery_codes()
    digests = {factors.recovery_digest(ctx.tenant.id, holder.user.sub, code) for code in codes}
    if not store.replace_recovery_codes(ctx.tenant.id, holder.user.sub, holder.user.epoch, digests, ctx.now):
        return overview.page(ctx, holder, error={"message": NO_APP}, status=409)
    events.emit("account_recovery_codes_renewed", ctx.tenant.id, sub=holder.user.sub)
    return _codes_page(ctx, tuple(factors.shown(code) for code in codes))


def _enrol_form(ctx: Context, holder: Holder, secret: str, error: dict[str, Any] | None, status: int) -> Page:
    issuer_name = ctx.settings.branding.display_name or ctx.tenant.name
    uri = factors.provisioning_uri(secret, holder.user.username, issuer_name)
    context = {
        "ticket": _sealed(ctx, holder, secret),
        "action": url(ctx.issuer, "/totp"),
        "error": error,
        "qr": qr_data_uri(uri),
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    }
    return Page("mfa_enrol.html", context, status=status)


def _codes_page(ctx: Context, codes: tuple[str, ...]) -> Page:
    """The codes, once: the page is answered to the POST, never stored or linked."""
    return Page("mfa_recovery.html", {"codes": codes, "ticket": "", "action": url(ctx.issuer, "/totp")})


def _sealed(ctx: Context, holder: Holder, secret: str) -> str:
    payload = {
        "s": secret,
        "exp": ctx.now + ENROLMENT_LIFETIME,
        "ref": interaction.ticket_reference(holder.session.key),
    }
    return sealed.seal(ctx.tenant.id, f"account-totp/{holder.user.sub}", json.dumps(payload).encode())


def _opened(ctx: Context, holder: Holder, ticket: str) -> str:
    """The secret the enrolment form was shown with; InvalidPage if the form is another
    session's, another user's, altered or expired."""
    plain = sealed.unseal(ctx.tenant.id, f"account-totp/{holder.user.sub}", ticket[:4096])
    payload = json.loads(plain) if plain is not None else {}
    if payload.get("ref") != interaction.ticket_reference(holder.session.key) or payload.get("exp", 0) < ctx.now:
        raise InvalidPage(EXPIRED)
    return str(payload["s"])

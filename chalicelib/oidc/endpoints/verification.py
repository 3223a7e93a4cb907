"""Email verification: a signed-in user asks for a link to their address; the link's form
sets ``email_verified`` (OIDC Core §5.1) when the address is still the one the link was
sent to. The link is single-use and stored as a digest (``chalicelib.store.mailtokens``)."""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib import events
from chalicelib.context import Context
from chalicelib.i18n import N_
from chalicelib.limits import mail as limits
from chalicelib.mail import jobs
from chalicelib.oidc import interaction
from chalicelib.oidc.mailpages import LIMITED, invalid_link, link_form, minutes, notice, reader_language, single
from chalicelib.oidc.results import Page
from chalicelib.store import authorizations, mailtokens, users
from chalicelib.store.users import User

SIGN_IN_FIRST = N_("Sign in to the application first, then come back to this page.")
# A user changed (another claim) between the read and the write: read and write again.
ATTEMPTS = 4


def email_page(ctx: Context, cookies: Mapping[str, str]) -> Page:
    user = _signed_in(ctx, cookies)
    if user is None:
        return notice(N_("Not signed in"), SIGN_IN_FIRST, status=401)
    return _email_form(user)


def submit_email(ctx: Context, cookies: Mapping[str, str], accept_language: str | None = None) -> Page:
    """Queue a verification mail, in the language of this page, to the signed-in user."""
    user = _signed_in(ctx, cookies)
    if user is None:
        return notice(N_("Not signed in"), SIGN_IN_FIRST, status=401)
    wait = limits.admit(ctx.tenant.id, ctx.source, "sub:" + user.sub, ctx.settings, ctx.now)
    if wait is not None:
        events.emit("mail_limited", ctx.tenant.id, form="verify_email")
        return _email_form(user, LIMITED, status=429, minutes=minutes(wait))
    language = reader_language(ctx, (), accept_language)
    jobs.enqueue(jobs.Job("verify", ctx.tenant.id, ctx.issuer, user.sub, language=language))
    events.emit("email_verification_requested", ctx.tenant.id, sub=user.sub)
    return notice(N_("Check your email"), N_("We sent a link to %(email)s. Open it to confirm the address."),
                  email=str(user.claims.get("email", "")))  # fmt: skip


def verify_page(ctx: Context, token: str | None) -> Page:
    if mailtokens.peek(ctx.tenant.id, token or "", "verify", ctx.now) is None:
        return invalid_link(ctx.url("email"))
    return link_form("mail/verify.html", token or "", {"error": None, "values": {}})


def submit_verify(ctx: Context, form: Mapping[str, str]) -> Page:
    token = single(form, "token", 64)
    wait = limits.admit_link(ctx.tenant.id, ctx.source, ctx.settings, ctx.now)
    if wait is not None:
        events.emit("mail_limited", ctx.tenant.id, form="verify_link")
        return link_form("mail/verify.html", token, {"error": LIMITED, "values": {"minutes": minutes(wait)}}, 429)
    used = mailtokens.consume(ctx.tenant.id, token, "verify", ctx.now)
    if used is None or not used.sub or not _mark_verified(ctx.tenant.id, used.sub, str(used.data.get("email"))):
        return invalid_link(ctx.url("email"))
    events.emit("email_verified", ctx.tenant.id, sub=used.sub)
    return notice(N_("Email address confirmed"), N_("Thank you: %(email)s is confirmed."), email=used.data.get("email"))


def _mark_verified(tenant_id: str, sub: str, email: str) -> bool:
    """``email_verified`` true, if the user still has the address the link was sent to; a
    write conditional on the version read (the other claims are kept as they are)."""
    for _ in range(ATTEMPTS):
        user = users.get_user(tenant_id, sub, consistent=True)
        if user is None or not user.active or user.claims.get("email") != email:
            return False
        if users.update_user(user, claims={**user.claims, "email_verified": True}) is not None:
            return True
    return False


def _signed_in(ctx: Context, cookies: Mapping[str, str]) -> User | None:
    """The user of this browser's live session (one read of the session and the user, which
    also checks the user may still act), then the profile."""
    parsed = interaction.parse_session_cookie(cookies.get(interaction.SESSION_COOKIE))
    if parsed is None:
        return None
    key, sub = parsed
    # The transaction reads a consent too; no client's: "-" names none.
    session, _ = authorizations.load_session_and_consent(ctx.tenant.id, key, sub, "-", ctx.now)
    return users.get_user(ctx.tenant.id, sub) if session is not None else None


def _email_form(user: User, error: str | None = None, status: int = 200, **values: int) -> Page:
    context = {
        "email": user.claims.get("email"),
        "verified": user.claims.get("email_verified") is True,
        "error": error,
        "values": values,
    }
    return Page("mail/email.html", context, status=status)

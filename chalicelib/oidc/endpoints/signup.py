"""Self-service sign-up (per tenant, ``signup_enable``; off by default): the person types an
email address (which becomes the username), a password and the claims the tenant asks for
(``signup_claims``); the account exists only once the mailed link is opened, so an address
nobody controls never gets one.

The form answers the same words with the same work whatever was typed (the limits' one
write, the password's hash, one queued job): an address that has an account already gets,
in its inbox, a note pointing to the password reset instead of a link
(``chalicelib.mail.jobs``), so the form tells nobody which addresses have accounts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from chalicelib import events
from chalicelib.accounts import passwords, subs
from chalicelib.context import Context
from chalicelib.i18n import N_
from chalicelib.limits import mail as limits
from chalicelib.mail import jobs
from chalicelib.oidc import mailpages
from chalicelib.oidc.endpoints.recovery import password_problem
from chalicelib.oidc.errors import NotFound
from chalicelib.oidc.mailpages import LIMITED, invalid_link, link_form, minutes, notice, single
from chalicelib.oidc.results import Page
from chalicelib.store import mailtokens, users
from chalicelib.tenancy.settings import EMAIL

LONGEST_CLAIM = 256
# The labels of the claims sign-up may ask for (chalicelib.tenancy.settings.SIGNUP_CLAIMS).
LABELS = {
    "name": N_("Full name"),
    "given_name": N_("Given name"),
    "family_name": N_("Family name"),
    "middle_name": N_("Middle name"),
    "nickname": N_("Nickname"),
    "phone_number": N_("Phone number"),
    "birthdate": N_("Date of birth (YYYY-MM-DD)"),
    "locale": N_("Language (such as en-US)"),
}
BAD_EMAIL = N_("Enter a valid email address.")
TOO_LONG = N_("Each field has at most 256 characters.")


def signup_page(ctx: Context, ticket: str | None) -> Page:
    _enabled(ctx)
    return _form(ctx, ticket or "", {})


def submit_signup(ctx: Context, form: Mapping[str, str], accept_language: str | None = None) -> Page:
    """Queue a sign-up mail, in the language of this page, for the address typed."""
    _enabled(ctx)
    ticket = single(form, "ticket", 16384)
    email = single(form, "email", 254).strip()
    claims = {name: form.get(name, "").strip() for name in ctx.settings.signup_claims}
    claims = {name: value for name, value in claims.items() if value}
    if not EMAIL.fullmatch(email):
        return _form(ctx, ticket, form, BAD_EMAIL, status=400)
    if any(len(value) > LONGEST_CLAIM for value in claims.values()):
        return _form(ctx, ticket, form, TOO_LONG, status=400)
    password = form.get("password", "")
    problem = password_problem(password, form.get("confirm", ""))
    if problem is not None:
        return _form(ctx, ticket, form, problem, status=400, least=passwords.MIN_LENGTH, most=passwords.MAX_LENGTH)
    account = users.normalize_username(email)
    wait = limits.admit(ctx.tenant.id, ctx.source, account, ctx.settings, ctx.now)
    if wait is not None:
        events.emit("mail_limited", ctx.tenant.id, form="signup")
        return _form(ctx, ticket, form, LIMITED, status=429, minutes=minutes(wait))
    locales = mailpages.ticket_locales(ctx, ticket)
    language = mailpages.reader_language(ctx, locales, accept_language)
    job = jobs.Job("signup", ctx.tenant.id, ctx.issuer, account, claims, passwords.hash_password(password), language)
    jobs.enqueue(job)
    events.emit("signup_requested", ctx.tenant.id)
    back = f"{ctx.url('login')}?ticket={ticket}" if ticket else None
    sent = notice(N_("Check your email"), N_("We sent a message to %(email)s. Open the link in it to finish."),
                  link=back, link_text=N_("Back to sign in"), email=account)  # fmt: skip
    return replace(sent, ui_locales=locales)


def confirm_page(ctx: Context, token: str | None) -> Page:
    _enabled(ctx)
    if mailtokens.peek(ctx.tenant.id, token or "", "signup", ctx.now) is None:
        return invalid_link(ctx.url("signup"))
    return link_form("mail/signup_confirm.html", token or "", {"error": None, "values": {}})


def submit_confirm(ctx: Context, form: Mapping[str, str]) -> Page:
    _enabled(ctx)
    token = single(form, "token", 64)
    wait = limits.admit_link(ctx.tenant.id, ctx.source, ctx.settings, ctx.now)
    if wait is not None:
        events.emit("mail_limited", ctx.tenant.id, form="signup_link")
        context = {"error": LIMITED, "values": {"minutes": minutes(wait)}}
        return link_form("mail/signup_confirm.html", token, context, status=429)
    used = mailtokens.consume(ctx.tenant.id, token, "signup", ctx.now)
    if used is None:
        return invalid_link(ctx.url("signup"))
    email = str(used.data["email"])
    claims = {**used.data.get("claims", {}), "email": email, "email_verified": True}
    user = users.User(ctx.tenant.id, subs.new_sub(ctx.tenant.id, email), email, ctx.now, ctx.now, claims)
    if users.create_user(user, str(used.data["password_hash"])) is None:
        # Whoever opened the link controls the address: telling them it has an account is safe.
        return notice(N_("This address has an account"), N_("Sign in with it, or reset its password."),
                      link=ctx.url("forgot_password"), link_text=N_("Reset the password"), status=409)  # fmt: skip
    events.emit("user_signed_up", ctx.tenant.id, sub=user.sub)
    return notice(N_("Your account is ready"), N_("Go back to the application and sign in with %(email)s."),
                  email=email)  # fmt: skip


def _enabled(ctx: Context) -> None:
    if not ctx.settings.signup_enable:
        raise NotFound("this tenant does not offer sign-up")


def _form(
    ctx: Context, ticket: str, typed: Mapping[str, str], error: str | None = None, status: int = 200, **values: int
) -> Page:
    fields = [(name, LABELS[name], str(typed.get(name, ""))[:LONGEST_CLAIM]) for name in ctx.settings.signup_claims]
    context = {"ticket": ticket, "email": str(typed.get("email", ""))[:254], "fields": fields, "error": error}
    locales = mailpages.ticket_locales(ctx, ticket)
    return Page("mail/signup.html", {**context, "values": values}, status=status, ui_locales=locales)

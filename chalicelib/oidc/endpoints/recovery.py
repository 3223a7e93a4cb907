"""Forgot password (OWASP Forgot Password Cheat Sheet): a form asking for the account, a
mailed single-use link, a form setting the new password.

The forgot form answers the same words, with the same work (the limits' one write and one
queued job), whatever was typed: whether the account exists, has an address, is disabled, is
decided by the queue's consumer (``chalicelib.mail.jobs``), off the request. The new password
follows the project's rule; setting it moves the user to a new epoch (``users.may_act``), so
every session, consent page, code, grant and access token from before it ends, and lifts the
account's lockout (strangers' failed guesses no longer keep its owner out).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from chalicelib import events
from chalicelib.accounts import passwords
from chalicelib.context import Context
from chalicelib.i18n import N_
from chalicelib.limits import login as login_limits
from chalicelib.limits import mail as limits
from chalicelib.mail import jobs
from chalicelib.oidc import mailpages
from chalicelib.oidc.mailpages import LIMITED, invalid_link, link_form, minutes, notice, single
from chalicelib.oidc.results import Page
from chalicelib.store import mailtokens, users

SENT = N_("Check your email")
SENT_MESSAGE = N_(
    "If an account matches what you entered, we sent a link to its email address. The link works once and expires soon."
)
EMPTY = N_("Enter your username or email address.")
MISMATCH = N_("The two passwords are not the same.")
TOO_SHORT = N_("A password has at least %(least)s characters.")
TOO_LONG = N_("A password has at most %(most)s characters.")


def forgot_page(ctx: Context, ticket: str | None) -> Page:
    return _forgot_form(ctx, ticket or "")


def submit_forgot(ctx: Context, form: Mapping[str, str], accept_language: str | None = None) -> Page:
    """Queue a reset mail, in the language of this page, for what was typed."""
    ticket = single(form, "ticket", 16384)
    account = users.normalize_username(single(form, "username", 256))
    if not account or not users.valid_key_part(account):
        return _forgot_form(ctx, ticket, EMPTY, status=400)
    wait = limits.admit(ctx.tenant.id, ctx.source, account, ctx.settings, ctx.now)
    if wait is not None:
        events.emit("mail_limited", ctx.tenant.id, form="forgot_password")
        return _forgot_form(ctx, ticket, LIMITED, status=429, minutes=minutes(wait))
    locales = mailpages.ticket_locales(ctx, ticket)
    language = mailpages.reader_language(ctx, locales, accept_language)
    jobs.enqueue(jobs.Job("reset", ctx.tenant.id, ctx.issuer, account, language=language))
    events.emit("password_reset_requested", ctx.tenant.id)
    back = f"{ctx.url('login')}?ticket={ticket}" if ticket else None
    return replace(notice(SENT, SENT_MESSAGE, link=back, link_text=N_("Back to sign in")), ui_locales=locales)


def reset_page(ctx: Context, token: str | None) -> Page:
    if mailtokens.peek(ctx.tenant.id, token or "", "reset", ctx.now) is None:
        return invalid_link(ctx.url("forgot_password"))
    return _reset_form(token or "")


def submit_reset(ctx: Context, form: Mapping[str, str]) -> Page:
    token = single(form, "token", 64)
    wait = limits.admit_link(ctx.tenant.id, ctx.source, ctx.settings, ctx.now)
    if wait is not None:
        events.emit("mail_limited", ctx.tenant.id, form="reset_password")
        return _reset_form(token, LIMITED, status=429, minutes=minutes(wait))
    password = form.get("password", "")
    problem = password_problem(password, form.get("confirm", ""))
    if problem is not None:
        return _reset_form(token, problem, status=400, least=passwords.MIN_LENGTH, most=passwords.MAX_LENGTH)
    used = mailtokens.consume(ctx.tenant.id, token, "reset", ctx.now)
    user = users.get_user(ctx.tenant.id, used.sub, consistent=True) if used is not None and used.sub else None
    # The user's epoch when the link was sent: a password set since (another link, an admin)
    # or a disabled user voids it.
    if user is None or not user.accepts(int(used.data.get("epoch", -1))):
        return invalid_link(ctx.url("forgot_password"))
    if not users.set_password_hash(user, passwords.hash_password(password)):
        return invalid_link(ctx.url("forgot_password"))
    # Whoever holds the mailbox chose this password: strangers' guesses that locked the
    # account must not keep its owner out now (the source's counters stay).
    login_limits.unlock(ctx.tenant.id, users.normalize_username(user.username))
    events.emit("password_reset", ctx.tenant.id, sub=user.sub)
    return notice(N_("Password changed"), N_("Your new password is set, and every earlier sign-in has ended. "
                                             "Go back to the application and sign in with it."))  # fmt: skip


def password_problem(password: str, confirm: str) -> str | None:
    """What is wrong with a new password (the project's rule), as a message id; None if
    nothing is."""
    if password != confirm:
        return MISMATCH
    if len(password) < passwords.MIN_LENGTH:
        return TOO_SHORT
    if len(password) > passwords.MAX_LENGTH:
        return TOO_LONG
    return None


def _forgot_form(ctx: Context, ticket: str, error: str | None = None, status: int = 200, **values: int) -> Page:
    context = {"ticket": ticket, "error": error, "values": values}
    return Page("mail/forgot.html", context, status=status, ui_locales=mailpages.ticket_locales(ctx, ticket))


def _reset_form(token: str, error: str | None = None, status: int = 200, **values: int) -> Page:
    return link_form("mail/reset.html", token, {"error": error, "values": values}, status=status)

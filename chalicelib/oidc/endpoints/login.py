"""The tenant's login page: shows the form, checks the password, starts the OP session."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from chalicelib import events, hooks
from chalicelib.accounts import authenticate as accounts
from chalicelib.accounts import devices
from chalicelib.context import Context
from chalicelib.i18n import N_
from chalicelib.oidc import acr, flow, interaction, second_factor
from chalicelib.oidc import passkeys as passkey_login
from chalicelib.oidc.authorize import AuthorizationRequest
from chalicelib.oidc.errors import AccessDenied
from chalicelib.oidc.response_modes import origin
from chalicelib.oidc.results import Cookie, Json, Page, Redirect, Result
from chalicelib.opaque import new_token
from chalicelib.store import authorizations
from chalicelib.store.consents import get_consent
from chalicelib.store.sessions import Session, session_key
from chalicelib.store.users import Login

DAY = 86400
# The same words whether or not the account exists, and whatever was limited (the account,
# this browser, or the source address): they must not tell an attacker anything.
WRONG = N_("Wrong username or password.")
# The page words the wait itself, in the reader's language and plural (login.html).
LIMITED = N_("Too many attempts. Try again later.")


def login_page(ctx: Context, ticket: str | None) -> Result:
    payload = interaction.unseal(ctx, "login", ticket)
    return flow.run(ctx, payload["p"], lambda request: _form(ctx, request, ticket or ""))


def submit_login(ctx: Context, form: Mapping[str, str], cookies: Mapping[str, str]) -> Result:
    ticket = form.get("ticket", "")
    payload = interaction.unseal(ctx, "login", ticket)

    def step(request: AuthorizationRequest) -> Result:
        if form.get("action") == "cancel":
            raise AccessDenied("the end user cancelled the login")
        if form.get("action") == "passkey" and passkey_login.offered(ctx):
            return _passkey(ctx, request, form.get("credential", ""), cookies, ticket)
        checked = _check_password(ctx, request, form, cookies, ticket)
        if isinstance(checked, Page):
            return checked
        account, trusted = checked
        decided = second_factor.second_step(ctx, request, account.sub, acr.PASSWORD_AMR)
        if decided is not None:
            # The password is right; the session waits for the second factor (or enrolment).
            pending = second_factor.new_pending(ctx, account.sub, account.epoch, account.username, acr.PASSWORD_AMR)
            return second_factor.redirect(ctx, request, decided[0], pending, trusted)
        started = start_session(ctx, request, account.sub, account.epoch, acr.PASSWORD_AMR, cookies, account.username)
        return with_cookies(started, trusted)

    return flow.run(ctx, payload["p"], step)


def _passkey(
    ctx: Context, request: AuthorizationRequest, credential: str, cookies: Mapping[str, str], ticket: str
) -> Result:
    """Usernameless sign-in: the passkey names its user and proves both factors, so no
    second step follows (``acr.level_of``)."""
    outcome = passkey_login.check_sign_in(ctx, credential, cookies, "login")
    if isinstance(outcome, passkey_login.Refused):
        problem = {"minutes": -(-outcome.wait // 60)} if outcome.wait else {"message": passkey_login.REFUSED}
        return _form(ctx, request, ticket, status=429 if outcome.wait else 401, passkey_error=problem)
    result = start_session(ctx, request, outcome.sub, outcome.epoch, outcome.amr, cookies)
    return with_cookies(result, (passkey_login.forget(),))


def start_session(
    ctx: Context,
    request: AuthorizationRequest,
    sub: str,
    epoch: int,
    amr: tuple[str, ...],
    cookies: Mapping[str, str],
    username: str | None = None,
) -> Result:
    """The user is authenticated (``amr`` says how): a new OP session, then on to consent
    or the client."""
    events.emit("user_logged_in", ctx.tenant.id, client_id=request.client.client_id, sub=sub, amr=list(amr))
    # A new credential at every login: a session cookie planted before it (fixation) or
    # left from an earlier login names a session that this login replaces.
    credential = new_token()
    session = Session(
        tenant_id=ctx.tenant.id,
        key=session_key(credential),
        sub=sub,
        auth_time=ctx.now,
        created_at=ctx.now,
        expires_at=ctx.now + ctx.settings.session_expire,
        epoch=epoch,
        amr=amr,
    )
    previous = interaction.parse_session_cookie(cookies.get(interaction.SESSION_COOKIE))
    replaces = previous[0] if previous else None
    login = flow.Login(session, new=True, replaces=replaces, credential=credential, username=username)
    detour = hooks.call("after_login", None, ctx.tenant.id, sub, request.client.client_id)
    if detour is not None:
        # OIDC_AFTER_USERLOGIN_HOOK: the user is logged in, and goes where the hook says;
        # the hook's page brings them back to the authorization endpoint.
        authorizations.commit(ctx.tenant.id, now=ctx.now, new_session=session, ended_session=login.replaces)
        return Redirect(detour, cookies=flow.session_cookies(ctx, login))
    consent = None
    if request.client.reuse_consent and "consent" not in request.prompt:
        consent = get_consent(ctx.tenant.id, sub, request.client.client_id, ctx.now)
    return flow.proceed(ctx, request, login, consent, fresh_login=True)


def _check_password(
    ctx: Context, request: AuthorizationRequest, form: Mapping[str, str], cookies: Mapping[str, str], ticket: str
) -> tuple[Login, tuple[Cookie, ...]] | Page:
    """The account and, for a browser not yet known to it, a device cookie; or the form again
    with what went wrong (the same words for unknown and known accounts)."""
    username, password = form.get("username", ""), form.get("password", "")
    if not (username and password):
        return _form(ctx, request, ticket, error=WRONG, username=username, status=401)
    attempt = accounts.attempt(ctx.tenant.id, username, ctx.source)
    lifetime = ctx.settings.device_trust_expire * DAY
    device = devices.recognize(ctx.tenant.id, attempt.username, cookies.get(devices.COOKIE), ctx.now, lifetime)
    account = accounts.authenticate(replace(attempt, device=device), password, ctx.settings, ctx.now)
    if isinstance(account, accounts.Limited):
        events.emit("login_limited", ctx.tenant.id, client_id=request.client.client_id, known_device=bool(device))
        minutes = -(-account.retry_after // 60)
        return _form(ctx, request, ticket, error=LIMITED, username=username, status=429, retry_minutes=minutes)
    if account is None:
        events.emit("login_failed", ctx.tenant.id, client_id=request.client.client_id)
        return _form(ctx, request, ticket, error=WRONG, username=username, status=401)
    return account, (() if device else (_device_cookie(ctx, attempt.username),))


def with_cookies(result: Result, cookies: tuple[Cookie, ...]) -> Result:
    if not cookies or isinstance(result, Json):
        return result
    return replace(result, cookies=(*result.cookies, *cookies))


def _device_cookie(ctx: Context, username: str) -> Cookie:
    """This browser now knows the account's password: later attempts on the account from it
    are counted apart from strangers' (chalicelib.accounts.devices)."""
    lifetime = ctx.settings.device_trust_expire * DAY
    return Cookie(devices.COOKIE, devices.issue(ctx.tenant.id, username, ctx.now), max_age=lifetime)


def _form(
    ctx: Context,
    request: AuthorizationRequest,
    ticket: str,
    error: str | None = None,
    username: str | None = None,
    status: int = 200,
    retry_minutes: int = 0,
    passkey_error: dict | None = None,
) -> Page:
    # Where the tenant has second factors, the page offers a passkey too: its challenge
    # goes to this browser's cookie, the options to the page's script.
    offer = passkey_login.offer_sign_in(ctx, "login") if passkey_login.offered(ctx) else None
    return Page(
        "login.html",
        {
            "client": request.client,
            "ticket": ticket,
            "username": username if username is not None else request.login_hint or "",
            "error": error,
            "retry_minutes": retry_minutes,
            "passkey_options": offer.options if offer else None,
            "passkey_error": passkey_error,
        },
        status=status,
        cookies=(offer.cookie,) if offer else (),
        form_target=origin(request.target.redirect_uri),
    )

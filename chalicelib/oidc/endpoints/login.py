"""The tenant's login page: shows the form, checks the password, starts the OP session."""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib import events, hooks
from chalicelib.accounts.authenticate import Locked, authenticate
from chalicelib.context import Context
from chalicelib.oidc import flow, interaction
from chalicelib.oidc.authorize import AuthorizationRequest
from chalicelib.oidc.errors import AccessDenied
from chalicelib.oidc.response_modes import origin
from chalicelib.oidc.results import Page, Redirect, Result
from chalicelib.opaque import new_token
from chalicelib.store import authorizations
from chalicelib.store.consents import get_consent
from chalicelib.store.sessions import Session


def login_page(ctx: Context, ticket: str | None) -> Result:
    payload = interaction.unseal(ctx, "login", ticket)
    return flow.run(ctx, payload["p"], lambda request: _form(request, ticket or ""))


def submit_login(ctx: Context, form: Mapping[str, str], cookies: Mapping[str, str]) -> Result:
    ticket = form.get("ticket", "")
    payload = interaction.unseal(ctx, "login", ticket)

    def step(request: AuthorizationRequest) -> Result:
        if form.get("action") == "cancel":
            raise AccessDenied("the end user cancelled the login")
        username, password = form.get("username", ""), form.get("password", "")
        account = authenticate(ctx.tenant.id, username, password, ctx.now) if username and password else None
        if isinstance(account, Locked):
            events.emit("login_locked", ctx.tenant.id, client_id=request.client.client_id)
            minutes = -(-account.retry_after // 60)
            error = f"Too many failed attempts. Try again in {minutes} minute{'s' if minutes > 1 else ''}."
            return _form(request, ticket, error=error, username=username, status=429)
        if account is None:
            events.emit("login_failed", ctx.tenant.id, client_id=request.client.client_id)
            return _form(request, ticket, error="Wrong username or password.", username=username, status=401)
        events.emit("user_logged_in", ctx.tenant.id, client_id=request.client.client_id, sub=account.sub)
        session = Session(
            tenant_id=ctx.tenant.id,
            sid=new_token(),
            sub=account.sub,
            auth_time=ctx.now,
            created_at=ctx.now,
            expires_at=ctx.now + ctx.settings.session_expire,
        )
        previous = interaction.parse_session_cookie(cookies.get(interaction.SESSION_COOKIE))
        login = flow.Login(session, new=True, replaces=previous[0] if previous else None)
        detour = hooks.call("after_login", None, ctx.tenant.id, account.sub, request.client.client_id)
        if detour is not None:
            # OIDC_AFTER_USERLOGIN_HOOK: the user is logged in, and goes where the hook says;
            # the hook's page brings them back to the authorization endpoint.
            authorizations.commit(ctx.tenant.id, now=ctx.now, new_session=session, ended_session=login.replaces)
            return Redirect(detour, cookies=flow.session_cookies(ctx, login))
        consent = None
        if request.client.reuse_consent and "consent" not in request.prompt:
            consent = get_consent(ctx.tenant.id, account.sub, request.client.client_id, ctx.now)
        return flow.proceed(ctx, request, login, consent, fresh_login=True)

    return flow.run(ctx, payload["p"], step)


def _form(
    request: AuthorizationRequest, ticket: str, error: str | None = None, username: str | None = None, status: int = 200
) -> Page:
    return Page(
        "login.html",
        {
            "client": request.client,
            "ticket": ticket,
            "username": username if username is not None else request.login_hint or "",
            "error": error,
        },
        status=status,
        form_target=origin(request.target.redirect_uri),
    )

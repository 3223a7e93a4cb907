"""The tenant's consent page: what the client asks for, with Allow and Decline."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib import events
from chalicelib.context import Context
from chalicelib.i18n import N_
from chalicelib.oidc import flow, interaction, session_management
from chalicelib.oidc.authorize import AuthorizationRequest
from chalicelib.oidc.errors import AccessDenied, InvalidPage
from chalicelib.oidc.interstitial import destination
from chalicelib.oidc.response_modes import origin
from chalicelib.oidc.results import Cookie, Page, Redirect, Result
from chalicelib.oidc.scopes import describe, tenant_scopes
from chalicelib.store.consents import Consent
from chalicelib.store.sessions import Session, end_session
from chalicelib.store.users import get_user

DAY = 86400


def consent_page(ctx: Context, ticket: str | None, cookies: Mapping[str, str]) -> Result:
    payload = _open(ctx, ticket, cookies)
    return flow.run(ctx, payload["p"], lambda request: _form(ctx, request, ticket or "", payload))


def submit_consent(ctx: Context, form: Mapping[str, str], cookies: Mapping[str, str]) -> Result:
    payload = _open(ctx, form.get("ticket"), cookies)

    def step(request: AuthorizationRequest) -> Result:
        client_id = request.client.client_id
        if form.get("decision") == "switch":
            return _switch_account(ctx, request, payload)
        if form.get("decision") != "allow":
            events.emit("user_decline_consent", ctx.tenant.id, client_id=client_id, sub=payload["sub"])
            raise AccessDenied("the end user declined the request")
        # The session the ticket was issued to; the code is written only if it still exists.
        session = Session(
            ctx.tenant.id,
            payload["key"],
            payload["sub"],
            payload["at"],
            payload["at"],
            0,
            epoch=payload.get("ep", 0),
            amr=tuple(payload.get("amr") or ("pwd",)),
        )
        events.emit(
            "user_accept_consent", ctx.tenant.id, client_id=client_id, sub=payload["sub"], scope=list(request.scopes)
        )
        consent = None
        if request.client.reuse_consent:
            consent = Consent(
                tenant_id=ctx.tenant.id,
                client_id=client_id,
                sub=session.sub,
                scopes=request.scopes,
                given_at=ctx.now,
                expires_at=ctx.now + ctx.settings.skip_consent_expire * DAY,
            )
        return flow.issue(ctx, request, flow.Login(session), consent)

    # The page named where the answer goes: a decline is sent there without a second page.
    return flow.run(ctx, payload["p"], step, shown_destination=True)


def _switch_account(ctx: Context, request: AuthorizationRequest, payload: dict[str, Any]) -> Result:
    """The consent page's "Not you?": this browser's session ends (as at logout: its clients
    are told by the back channel) and the same authorization request starts again at the
    login page."""
    from chalicelib.oidc.endpoints.logout import notify_back_channel

    ended = end_session(ctx.tenant.id, payload["key"], ctx.now)
    if ended is not None:
        events.emit("user_logged_out", ctx.tenant.id, sub=ended.sub, clients=sorted(ended.clients))
        notify_back_channel(ctx, ended)
    cleared = (Cookie(interaction.SESSION_COOKIE, None), *session_management.browser_state_cookie(ctx, None))
    ticket = interaction.seal(ctx, "login", {"p": request.params})
    return Redirect(flow.page_url(ctx, "login", ticket), cookies=cleared)


def _open(ctx: Context, ticket: str | None, cookies: Mapping[str, str]) -> dict[str, Any]:
    """The consent ticket, if it was issued to the session this browser holds (and that
    session's key, which the ticket itself does not carry)."""
    payload = interaction.unseal(ctx, "consent", ticket)
    current = interaction.parse_session_cookie(cookies.get(interaction.SESSION_COOKIE))
    if (
        current is None
        or interaction.ticket_reference(current[0]) != payload.get("ref")
        or current[1] != payload["sub"]
    ):
        raise InvalidPage(N_("you are no longer logged in: start again from the application"))
    return {**payload, "key": current[0]}


def _form(ctx: Context, request: AuthorizationRequest, ticket: str, payload: Mapping[str, Any]) -> Page:
    """The page names whom "Not you?" asks about: the ticket says who when the login was just
    now (no read on a login's path); for an earlier session the user is read."""
    account = payload.get("un")
    if not isinstance(account, str):
        user = get_user(ctx.tenant.id, payload["sub"])
        account = user.username if user else None
    return Page(
        "consent.html",
        {
            "client": request.client,
            "account": account,
            "scopes": describe(request.scopes, tenant_scopes(ctx.settings)),
            "ticket": ticket,
            "destination": destination(request.target.redirect_uri),
        },
        # The form's answer is a redirect to the client: Chrome applies form-action to it.
        form_target=origin(request.target.redirect_uri),
    )

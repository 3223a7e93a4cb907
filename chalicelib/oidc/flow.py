"""Deciding the next step of an authorization: log in, consent, or issue the response.

Each decision reads what it needs in one round trip and writes its outcome in one, via
``store.authorizations``; the browser carries the request between steps in signed tickets.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from chalicelib.context import Context
from chalicelib.i18n.negotiate import parse_locales
from chalicelib.oidc import interaction, interstitial, response_modes, second_factor, session_management
from chalicelib.oidc.authorize import AuthorizationRequest, Target, resolve_target, validate_request
from chalicelib.oidc.codes import AuthorizationCode, mint_code
from chalicelib.oidc.errors import ConsentRequired, LoginRequired, OAuthError, shown
from chalicelib.oidc.redirect_uris import is_native
from chalicelib.oidc.results import Cookie, Page, Redirect, Result
from chalicelib.oidc.subjects import subject_for
from chalicelib.oidc.tokens import Grant, front_channel_tokens
from chalicelib.opaque import new_id
from chalicelib.store import authorizations
from chalicelib.store.consents import Consent
from chalicelib.store.sessions import Session


def run(
    ctx: Context,
    params: Mapping[str, str],
    step: Callable[[AuthorizationRequest], Result],
    *,
    shown_destination: bool = False,
) -> Result:
    """Validate the authorization request in ``params`` and take ``step`` with it.

    Errors before the client and redirect_uri are trusted propagate (the OP shows them);
    later ones go back to the client as an error response (OIDC Core §3.1.2.6). For an
    unverified client the response waits on the OP's page until the user chooses to go
    (RFC 9700 §4.11.2), unless the user has just answered a page that named where it goes
    (``shown_destination``: the consent page)."""
    target = resolve_target(ctx, params)
    try:
        return in_languages(step(validate_request(ctx, target, params)), params)
    except OAuthError as error:
        return _answer(ctx, target, params, error, shown_destination)


def refuse(ctx: Context, params: Mapping[str, str], error: OAuthError) -> Result:
    """``error``, found before the request is known (its request object: RFC 9101 §6.3),
    sent to the request's own redirect_uri if that and its client_id are trusted (OIDC Core
    §3.1.2.6), else shown on the OP's page: an unverified request object says nothing."""
    try:
        target = resolve_target(ctx, params)
    except OAuthError:
        raise shown(error) from None
    return _answer(ctx, target, params, error, shown_destination=False)


def _answer(
    ctx: Context, target: Target, params: Mapping[str, str], error: OAuthError, shown_destination: bool
) -> Result:
    if not error.redirectable:
        raise error
    if not target.client.verified and not shown_destination:
        return in_languages(interstitial.error_interstitial(target, error, ctx.issuer), params)
    return response_modes.respond_error(target, error, ctx.issuer)


def in_languages(result: Result, params: Mapping[str, str]) -> Result:
    """A page of this authorization in the languages its request asked for (OIDC Core
    §3.1.2.1 ui_locales; the login and consent tickets carry the parameter along)."""
    if not isinstance(result, Page) or result.ui_locales:
        return result
    return replace(result, ui_locales=parse_locales(params.get("ui_locales")))


@dataclass(frozen=True)
class Login:
    """The end user's authentication behind this step: an existing or a new session."""

    session: Session
    new: bool = False
    # The key of a session this login replaces (re-authentication): deleted in the same write.
    replaces: str | None = None
    # A new session's credential, for the browser's cookie (never stored, never in a URL).
    credential: str | None = None
    # Who signed in, when this step knows it: the consent page names them without a read.
    username: str | None = None


def needs_login(request: AuthorizationRequest, session: Session | None, now: int) -> bool:
    """OIDC Core §3.1.2.3: no session, prompt=login or select_account, or a session older
    than max_age (max_age=0: any session) all require the end user to authenticate."""
    if session is None or request.prompt & {"login", "select_account"}:
        return True
    if request.max_age is None:
        return False
    return request.max_age == 0 or now - session.auth_time > request.max_age


def is_requested_user(request: AuthorizationRequest, session: Session) -> bool:
    return request.subject is None or request.subject == subject_for(request.client, session.sub)


# Response types with no code, whose tokens reach only the registered redirect URI itself.
IMPLICIT = frozenset({"id_token", "id_token token"})


def needs_consent(request: AuthorizationRequest, consent: Consent | None) -> bool:
    """Seed semantics: a remembered consent covering every scope is reused when the client
    has ``reuse_consent``; a confidential client with ``require_consent`` off never asks.

    Except for clients that cannot prove who they are: a public client's code can be taken
    by any program that answers on its redirect URI (any port of a loopback address, a custom
    scheme any app may claim), so it is asked for every time (RFC 8252 §8.6; the seed never
    lets a public client skip consent but in the implicit flow, and here only to a web
    origin). And for clients the tenant
    has not verified (self-registered): the user is the only one who vouches for them."""
    client = request.client
    if "consent" in request.prompt or not client.verified:
        return True
    if client.is_public and (request.response_type not in IMPLICIT or is_native(request.target.redirect_uri)):
        return True
    if not client.require_consent:
        return False
    return not (client.reuse_consent and consent is not None and set(request.scopes) <= set(consent.scopes))


def proceed(
    ctx: Context,
    request: AuthorizationRequest,
    login: Login | None,
    consent: Consent | None,
    fresh_login: bool = False,
) -> Redirect | Page:
    """Send the user to the login page, to the consent page, or back to the client."""
    if login is not None and not is_requested_user(request, login.session):
        # OIDC Core §3.1.2.1 id_token_hint: only the user the request names may answer it.
        if fresh_login or "none" in request.prompt:
            raise LoginRequired("the end user is not the one the request names")
        login = None  # another user's session: sign in again, as the user named
    if login is None or (not fresh_login and needs_login(request, login.session, ctx.now)):
        if "none" in request.prompt:
            raise LoginRequired("the end user is not logged in")
        return Redirect(page_url(ctx, "login", interaction.seal(ctx, "login", {"p": request.params})))
    if not fresh_login and second_factor.needs_step_up(ctx, request, login.session):
        # acr_values asks for more than the session has (or the tenant requires more since).
        if "none" in request.prompt:
            raise LoginRequired("the request needs a second factor")
        return second_factor.step_up(ctx, request, login.session)
    if needs_consent(request, consent):
        if "none" in request.prompt:
            raise ConsentRequired("the end user has not consented to this client")
        if login.new:
            authorizations.commit(ctx.tenant.id, now=ctx.now, new_session=login.session, ended_session=login.replaces)
        return Redirect(
            page_url(ctx, "consent", consent_ticket(ctx, request, login.session, login.username)),
            cookies=session_cookies(ctx, login),
        )
    return issue(ctx, request, login)


def issue(ctx: Context, request: AuthorizationRequest, login: Login, consent: Consent | None = None) -> Redirect | Page:
    """Answer the client with what its response_type asks for (a code, tokens, or both),
    after storing the code with the session and consent this step created. A pre-existing
    session must still be live when this is written; if it was logged out meanwhile, the
    user logs in again. The session records the client, which logout will notify."""
    session, client_id = login.session, request.client.client_id
    gid = new_id()
    record = code_record(ctx, request, session, gid) if request.returns("code") else None
    code = mint_code(ctx.tenant.id, record) if record else None
    written = authorizations.commit(
        ctx.tenant.id,
        now=ctx.now,
        new_session=replace(session, clients=session.clients | {client_id}) if login.new else None,
        ended_session=login.replaces,
        live_session=None if login.new else session,
        client_id=client_id,
        consent=consent,
        code=(code, record.expires_at) if code and record else None,
    )
    if not written:
        return proceed(ctx, request, None, None)
    grant = Grant(
        client=request.client,
        sub=session.sub,
        scopes=request.scopes,
        auth_time=session.auth_time,
        gid=gid,
        sid=interaction.public_sid(session.key),
        nonce=request.nonce,
        epoch=session.epoch,
        amr=session.amr,
        claims=request.claims,
        resources=request.resources,
    )
    values = front_channel_tokens(ctx, grant, request.response_type, code)
    values.update(session_management.response_values(ctx, client_id, request.target.redirect_uri, session.key))
    response = response_modes.respond(request.target, values, ctx.issuer)
    cookies = session_cookies(ctx, login)
    if isinstance(response, Redirect):
        return Redirect(response.location, cookies=cookies)
    return Page(response.template, response.context, cookies=cookies, form_target=response.form_target)


def code_record(ctx: Context, request: AuthorizationRequest, session: Session, gid: str) -> AuthorizationCode:
    return AuthorizationCode(
        gid=gid,
        client_id=request.client.client_id,
        redirect_uri=request.params.get("redirect_uri", ""),
        sub=session.sub,
        scope=" ".join(request.scopes),
        sid=interaction.public_sid(session.key),
        auth_time=session.auth_time,
        created_at=ctx.now,
        expires_at=ctx.now + ctx.settings.code_expire,
        nonce=request.nonce,
        code_challenge=request.code_challenge,
        code_challenge_method=request.code_challenge_method,
        epoch=session.epoch,
        amr=session.amr,
        claims=request.claims.dumps(),
        resources=request.resources,
        dpop_jkt=request.dpop_jkt,
    )


def consent_ticket(ctx: Context, request: AuthorizationRequest, session: Session, username: str | None = None) -> str:
    payload: dict[str, Any] = {
        "p": request.params,
        "ref": interaction.ticket_reference(session.key),
        "sub": session.sub,
        "at": session.auth_time,
        "ep": session.epoch,
        "amr": list(session.amr),
    }
    if username is not None:
        payload["un"] = username
    return interaction.seal(ctx, "consent", payload)


def session_cookies(ctx: Context, login: Login) -> tuple[Cookie, ...]:
    if not login.new or login.credential is None:
        return ()
    value = interaction.session_cookie(login.credential, login.session.sub)
    session = Cookie(interaction.SESSION_COOKIE, value, max_age=ctx.settings.session_expire)
    return (session, *session_management.browser_state_cookie(ctx, login.session.key))


def page_url(ctx: Context, page: str, ticket: str) -> str:
    return f"{ctx.url(page)}?{urlencode({'ticket': ticket})}"

"""The authorization endpoint, GET and POST (RFC 6749 §3.1, OIDC Core §3.1.2)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from chalicelib.context import Context
from chalicelib.oidc import flow, interaction, request_object
from chalicelib.oidc.authorize import AuthorizationRequest
from chalicelib.oidc.endpoints import par
from chalicelib.oidc.errors import InvalidRequest, OAuthError
from chalicelib.oidc.params import single_values
from chalicelib.oidc.results import Result
from chalicelib.store import authorizations
from chalicelib.store.consents import Consent


def authorize(ctx: Context, raw_params: Mapping[str, Sequence[str]], cookies: Mapping[str, str]) -> Result:
    params = single_values(raw_params)
    # RFC 9126 §4: a pushed request's parameters, and only those (client_id aside); RFC 9101
    # §6.3: a request object's, likewise. A pushed request was checked when it was pushed.
    pushed = par.pushed_request(ctx, params)
    signed = None
    if pushed is None:
        try:
            signed = request_object.resolve(ctx, params)
        except OAuthError as error:
            return flow.refuse(ctx, params, error)
    params = pushed if pushed is not None else signed.params if signed is not None else params

    def step(request: AuthorizationRequest) -> Result:
        if pushed is None and par.required(ctx, request.client):
            raise InvalidRequest("this client must push its authorization requests (PAR, RFC 9126)")
        if pushed is None and (signed is None or not signed.signed) and request_object.required(ctx, request.client):
            raise InvalidRequest("this client must send its requests as signed request objects (RFC 9101)")
        if signed is not None:
            request_object.spend(ctx, signed)  # the last check: its only write
        login, consent = current_login(ctx, request, cookies)
        return flow.proceed(ctx, request, login, consent)

    return flow.run(ctx, params, step)


def current_login(
    ctx: Context, request: AuthorizationRequest, cookies: Mapping[str, str]
) -> tuple[flow.Login | None, Consent | None]:
    """The browser's live OP session and the user's consent for this client: one read."""
    parsed = interaction.parse_session_cookie(cookies.get(interaction.SESSION_COOKIE))
    if parsed is None:
        return None, None
    key, sub = parsed
    session, consent = authorizations.load_session_and_consent(
        ctx.tenant.id, key, sub, request.client.client_id, ctx.now
    )
    return (flow.Login(session) if session else None), consent

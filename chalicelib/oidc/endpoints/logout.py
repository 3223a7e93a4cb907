"""RP-Initiated Logout 1.0, with Front-Channel and Back-Channel Logout 1.0.

The end-session endpoint checks the request (an ``id_token_hint`` this tenant issued, a
``post_logout_redirect_uri`` registered exactly for the client), then asks the user to
confirm on a CSRF-protected page (§2: the OP SHOULD ask; a bare GET must not be enough to
end someone's session). Confirming deletes the session in one write that returns what it
held, tells the clients it signed in to (logout tokens queued for their back-channel URIs,
see ``chalicelib.oidc.backchannel``; iframes of their front-channel URIs), and sends the
browser back to the client.

Only a verified client's browser is sent back on its own. A client that registered itself
can register any post-logout URI and send victims to this endpoint (no session needed): an
automatic redirect would make the provider an open redirector (RFC 9700 §4.11.2), as its
error responses would (``chalicelib.oidc.interstitial``). So, whichever way the logout
ends, an unverified client's user is shown the signed-out page with a link that names the
host, and nothing leaves this provider until the user follows it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib import events, hooks
from chalicelib.context import Context
from chalicelib.i18n import N_
from chalicelib.i18n.negotiate import parse_locales
from chalicelib.keys import jws
from chalicelib.oidc import backchannel, interaction, interstitial, session_management
from chalicelib.oidc.errors import InvalidPage, InvalidRequest
from chalicelib.oidc.hints import verified_id_token
from chalicelib.oidc.params import single_values
from chalicelib.oidc.response_modes import origin, with_query
from chalicelib.oidc.results import Cookie, Page, Redirect, Result
from chalicelib.oidc.subjects import sid_for, subject_for
from chalicelib.oidc.tokens import id_token_signer
from chalicelib.opaque import new_id
from chalicelib.store.clients import Client
from chalicelib.store.sessions import Session, end_session

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_TYPE = "logout+jwt"
LOGOUT_TOKEN_LIFETIME = 120


class InvalidLogoutRequest(InvalidRequest):
    """Shown at the OP: nothing is redirected until the target is known to be registered."""

    redirectable = False


@dataclass(frozen=True)
class LogoutRequest:
    client: Client | None
    post_logout_redirect_uri: str | None
    state: str | None
    params: Mapping[str, str]


def end_session_request(ctx: Context, raw: Mapping[str, Sequence[str]], cookies: Mapping[str, str]) -> Result:
    """GET or POST at the end-session endpoint: the confirmation page, or straight back to
    the client when this browser has no session here."""
    request = validate(ctx, single_values(raw))
    if interaction.parse_session_cookie(cookies.get(interaction.SESSION_COOKIE)) is None:
        return finish(ctx, request, None, ())
    ticket = interaction.seal(ctx, "logout", {"p": dict(request.params)})
    # The answer to the form redirects there (CSP form-action covers it), for a verified client only.
    target = origin(request.post_logout_redirect_uri) if _redirects(request) else None
    return Page(
        "logout.html",
        {"client": request.client, "ticket": ticket},
        form_target=target,
        ui_locales=parse_locales(request.params.get("ui_locales")),  # RP-Initiated Logout §2
    )


def submit_logout(ctx: Context, form: Mapping[str, str], cookies: Mapping[str, str]) -> Result:
    payload = interaction.unseal(ctx, "logout", form.get("ticket"))
    request = validate(ctx, payload["p"])
    if form.get("decision") != "logout":
        return finish(ctx, request, None, (), signed_out=False)
    current = interaction.parse_session_cookie(cookies.get(interaction.SESSION_COOKIE))
    ended = end_session(ctx.tenant.id, current[0], ctx.now) if current else None
    cleared = (Cookie(interaction.SESSION_COOKIE, None), *session_management.browser_state_cookie(ctx, None))
    if ended is None:
        return finish(ctx, request, None, cleared)
    events.emit("user_logged_out", ctx.tenant.id, sub=ended.sub, clients=sorted(ended.clients))
    notify_back_channel(ctx, ended)
    client_id = request.client.client_id if request.client else None
    hooks.call(
        "after_end_session", None, ctx.tenant.id, ended.sub, client_id, request.post_logout_redirect_uri, request.state
    )
    return finish(ctx, request, ended, cleared)


def validate(ctx: Context, params: Mapping[str, str]) -> LogoutRequest:
    """RP-Initiated Logout §2 and §3: the client comes from id_token_hint or client_id (and
    they must agree); post_logout_redirect_uri must be registered for it, exactly."""
    client = None
    hint = params.get("id_token_hint")
    if hint is not None:
        client = _client_of_hint(ctx, hint)
    client_id = params.get("client_id")
    if client_id is not None:
        if client is not None and client.client_id != client_id:
            raise InvalidLogoutRequest("client_id does not match the id_token_hint")
        client = ctx.client(client_id)
        if client is None:
            raise InvalidLogoutRequest("unknown client_id")
    uri = params.get("post_logout_redirect_uri")
    if uri is not None and (client is None or uri not in client.post_logout_redirect_uris):
        raise InvalidLogoutRequest("post_logout_redirect_uri is not registered for this client")
    return LogoutRequest(client, uri, params.get("state"), dict(params))


def _client_of_hint(ctx: Context, hint: str) -> Client:
    """The client an ID token this tenant issued was for. An expired one is still a good
    hint (§2); one that is not ours, or forged, is refused."""
    claims = jws.unverified_claims(hint)
    audience = claims.get("aud") if claims else None
    if isinstance(audience, list) and len(audience) == 1:
        audience = audience[0]
    client = ctx.client(audience) if isinstance(audience, str) else None
    if client is None:
        raise InvalidLogoutRequest("id_token_hint is not an ID token of this provider")
    if verified_id_token(ctx, client, hint) is None:
        raise InvalidLogoutRequest("id_token_hint is not an ID token of this provider")
    return client


def finish(
    ctx: Context, request: LogoutRequest, ended: Session | None, cookies: tuple[Cookie, ...], signed_out: bool = True
) -> Result:
    """Back to a verified client (with its state), or the signed-out page (or, when the user
    chose to stay, a page that says so); with front-channel iframes when the session signed
    in to clients that asked for them. For an unverified client the page links to the
    client's URI and goes nowhere by itself."""
    destination = None
    if request.post_logout_redirect_uri is not None:
        state = {"state": request.state} if request.state is not None else {}
        destination = with_query(request.post_logout_redirect_uri, state)
    frames = front_channel_urls(ctx, ended) if ended is not None else []
    automatic = _redirects(request)
    if destination is not None and automatic and not frames:
        return Redirect(destination, cookies=cookies)
    context: dict[str, Any] = {
        "client": request.client,
        "destination": destination,
        # Where an unverified client's link goes, as the user should read it (its host).
        "unverified_host": interstitial.destination(destination) if destination and not automatic else None,
        "frames": frames,
        "signed_out": signed_out,
    }
    return Page(
        "logged_out.html",
        context,
        cookies=cookies,
        frame_targets=tuple({origin(url) for url in frames}),
        ui_locales=parse_locales(request.params.get("ui_locales")),
    )


def _redirects(request: LogoutRequest) -> bool:
    """Whether the browser may be sent to the post-logout URI without the user's say."""
    return request.post_logout_redirect_uri is not None and request.client is not None and request.client.verified


def front_channel_urls(ctx: Context, session: Session) -> list[str]:
    """Front-Channel Logout §2 and §3: each client's URI, with ``iss`` and ``sid``."""
    urls = []
    sid = interaction.public_sid(session.key)
    for client_id in sorted(session.clients):
        client = ctx.client(client_id)
        if client is not None and client.frontchannel_logout_uri:
            query = {"iss": ctx.issuer, "sid": sid_for(client, sid)}  # OIDC Core §8: per sector
            urls.append(with_query(client.frontchannel_logout_uri, query))
    return urls


def notify_back_channel(ctx: Context, session: Session) -> None:
    """Back-Channel Logout §2.5, off the user's path: one queued notice per client with a
    back-channel URI; the logout answers without waiting for any RP."""
    sid = interaction.public_sid(session.key)
    notices = [
        backchannel.Notice(ctx.tenant.id, ctx.issuer, client.client_id, session.sub, sid, ctx.now)
        for client in (ctx.client(client_id) for client_id in sorted(session.clients))
        if client is not None and client.backchannel_logout_uri
    ]
    if notices:
        backchannel.enqueue(notices)


def logout_token(ctx: Context, client: Client, sub: str, sid: str) -> str:
    """Back-Channel Logout §2.4: sub and the public sid (as this client knows them, OIDC Core
    §8), the logout event, no nonce; signed as the client's ID tokens are."""
    claims = {
        "iss": ctx.issuer,
        "aud": client.client_id,
        "iat": ctx.now,
        "exp": ctx.now + LOGOUT_TOKEN_LIFETIME,
        "jti": new_id(),
        "sub": subject_for(client, sub),
        "sid": sid_for(client, sid),
        "events": {BACKCHANNEL_EVENT: {}},
    }
    return jws.encode(claims, id_token_signer(ctx, client), typ=LOGOUT_TOKEN_TYPE)


def check_session_page(ctx: Context) -> Page:
    """Session Management §3.3: the OP iframe an RP embeds and asks "changed or unchanged?"."""
    if not session_management.enabled(ctx):
        raise InvalidPage(N_("session management is not enabled for this provider"))
    context = {
        "cookie": session_management.BROWSER_STATE_COOKIE,
        "unauthenticated": session_management.unauthenticated_state(ctx),
    }
    return Page("check_session.html", context, frameable=True)

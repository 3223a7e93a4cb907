"""Result values → Chalice responses, with cookies and security headers; error rendering."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from chalice import Response

from chalicelib.context import Context
from chalicelib.i18n import DEFAULT_LANGUAGE
from chalicelib.oidc.errors import InvalidRedirectUri, OAuthError
from chalicelib.oidc.results import Cookie, Json, Jwt, Page, Redirect, Result
from chalicelib.opaque import new_id
from chalicelib.tenancy.settings import Branding
from chalicelib.web import csrf, overrides
from chalicelib.web.pages import render

# A Location header's value: visible ASCII, nothing else (no CR, LF, NUL or spaces).
_LOCATION = re.compile(r"[\x21-\x7e]+")
# RFC 6797: browsers that once reached the provider over https never try http again, for a
# year, on its host and the hosts below it (the provider should have a host name of its own).
HSTS = "max-age=31536000; includeSubDomains"
# Token- and claim-bearing answers (RFC 6749 §5.1).
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
# The tenant's pages that pages link to or post to.
PAGE_URLS = ("login", "consent", "end_session_confirm", "forgot_password", "reset_password", "email", "verify_email",
             "signup", "signup_confirm", "passkeys")  # fmt: skip


@dataclass(frozen=True)
class PageState:
    """What every page response needs besides its own context."""

    ctx: Context | None
    csrf_secret: str | None = None
    csrf_is_new: bool = False
    # The browser's Accept-Language header, as received (chalicelib.i18n.negotiate reads it).
    accept_language: str | None = None

    def language(self, page: Page) -> str:
        """The page's language: its authorization request's ui_locales, the browser's
        preference, or the tenant's default."""
        from chalicelib.i18n.negotiate import negotiate

        if page.template.startswith("console/"):
            return DEFAULT_LANGUAGE  # the admin console is in English only, so far
        default = self.ctx.settings.default_language if self.ctx else DEFAULT_LANGUAGE
        return negotiate(page.ui_locales, self.accept_language, default)


def to_response(result: Result, state: PageState) -> Response:
    if isinstance(result, Json):
        return json_response(result)
    if isinstance(result, Jwt):
        headers = {"Content-Type": "application/jwt", "X-Content-Type-Options": "nosniff", **NO_STORE, **result.headers}
        return Response(body=result.token, status_code=200, headers=headers)
    if isinstance(result, Redirect):
        if _LOCATION.fullmatch(result.location) is None:
            # Registration refuses such URIs; one stored before it did must not split the
            # response's headers (CR/LF) or reach the browser half-parsed.
            raise InvalidRedirectUri("the redirect target is not a valid URI")
        headers = {"Location": result.location, "Cache-Control": "no-store"}
        return _with_cookies(Response(body="", status_code=302, headers=headers), result.cookies, state)
    return page_response(result, state)


def json_response(result: Json) -> Response:
    headers = {"Content-Type": "application/json", "X-Content-Type-Options": "nosniff", **result.headers}
    if result.no_store:
        headers.update(NO_STORE)
    if result.status == 204:  # No Content: no body, no type
        del headers["Content-Type"]
        return Response(body="", status_code=204, headers=headers)
    return Response(body=json.dumps(result.body), status_code=result.status, headers=headers)


def error_json(error: OAuthError, realm: str) -> Response:
    headers = {**error.headers(realm), **error.extra_headers}
    return json_response(Json(error.body(), error.status, headers, no_store=True))


def error_page(error: OAuthError, state: PageState) -> Response:
    page = Page("error.html", {"error": error.error, "description": error.description}, status=error.status)
    response = page_response(page, state)
    response.headers.update(error.headers(state.ctx.issuer if state.ctx else "oidc"))
    return response


def page_response(page: Page, state: PageState) -> Response:
    ctx = state.ctx
    nonce = new_id()
    context: dict[str, Any] = {
        **page.context,
        "tenant_name": ctx.tenant.name if ctx else "",
        # The tenant as its pages name it: its display name, else its name.
        "brand_name": (ctx.settings.branding.display_name or ctx.tenant.name) if ctx else "",
        "branding": ctx.settings.branding if ctx else Branding(),
        "csp_nonce": nonce,
        "csrf_field": csrf.FIELD,
        "csrf_token": csrf.token_for(ctx.tenant.id, state.csrf_secret) if ctx and state.csrf_secret else "",
        "urls": {name: ctx.url(name) for name in PAGE_URLS} if ctx else {},
        "signup_enabled": bool(ctx and ctx.settings.signup_enable),
    }
    https = ctx is not None and ctx.issuer.startswith("https://")
    headers = {
        "Content-Type": "text/html; charset=utf-8",
        **security_headers(nonce, page.form_target, https, page.frame_targets, page.frameable),
    }
    language = state.language(page)
    # A tenant's own template for the page, if it has one (chalicelib/web/overrides.py).
    template, context = overrides.apply(page, ctx, context, language)
    body = render(template, context, language)
    response = Response(body=body, status_code=page.status, headers=headers)
    cookies = page.cookies
    if state.csrf_is_new and state.csrf_secret:
        cookies = (*cookies, Cookie(csrf.COOKIE, state.csrf_secret))
    return _with_cookies(response, cookies, state)


def security_headers(
    nonce: str,
    form_target: str | None,
    https: bool,
    frame_targets: tuple[str | None, ...] = (),
    frameable: bool = False,
) -> dict[str, str]:
    """Pages are never framed, cached, or allowed to load anything but their own inline
    style and script (by nonce) and images (client and tenant logos). ``form_target`` is the
    client's origin: Chrome applies form-action to the redirect that follows a form post.
    ``frame_targets`` are the front-channel logout origins the signed-out page frames; a
    ``frameable`` page (the session-management iframe) may be embedded by any RP.

    Every origin is checked against a strict grammar first (``uris.csp_source``) and left
    out if it fails: a URI stored before registration validated them must not be able to
    add a directive (``; frame-ancestors *``) or a source (a space) to the policy."""
    from chalicelib import uris  # pages only: a cold start that serves JSON never needs it

    sources = [source for source in (uris.csp_source(form_target),) if source]
    form_action = " ".join(["'self'", *sources])
    frames = sorted({source for source in map(uris.csp_source, frame_targets) if source})
    ancestors = "*" if frameable else "'none'"
    policy = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; "
        f"img-src https: data:{' http:' if not https else ''}; form-action {form_action}; "
        f"frame-ancestors {ancestors}; base-uri 'none'"
    )
    if frames:
        policy += f"; frame-src {' '.join(frames)}"
    headers = {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }
    if not frameable:
        headers["X-Frame-Options"] = "DENY"
    return headers


def with_transport_security(response: Response, base: str | None) -> Response:
    """HSTS on every response of an https deployment, whatever its kind (JSON, page, error,
    redirect, 204): an RP's first request is as open to an SSL-stripping attacker as a
    browser's (RFC 6797 §7.2 forbids the header over plain http, where it means nothing)."""
    if base is not None and base.startswith("https://"):
        response.headers["Strict-Transport-Security"] = HSTS
    return response


def _with_cookies(response: Response, cookies: tuple[Cookie, ...], state: PageState) -> Response:
    if not cookies or state.ctx is None:
        return response
    issuer = urlsplit(state.ctx.issuer)
    https = issuer.scheme == "https"
    values = []
    for cookie in cookies:
        attributes = f"Path={(issuer.path + cookie.path) or '/'}"
        attributes += "; HttpOnly" if cookie.http_only else ""
        attributes += "; SameSite=None" if cookie.cross_site and https else "; SameSite=Lax"
        attributes += "; Secure" if https else ""
        if cookie.value is None:
            values.append(f"{cookie.name}=; {attributes}; Max-Age=0")
        elif cookie.max_age is not None:
            values.append(f"{cookie.name}={cookie.value}; {attributes}; Max-Age={cookie.max_age}")
        else:
            values.append(f"{cookie.name}={cookie.value}; {attributes}")
    response.headers["Set-Cookie"] = values
    return response

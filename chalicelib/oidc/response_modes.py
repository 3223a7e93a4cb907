"""How authorization responses reach the client: query, fragment or form_post.

RFC 6749 §4.1.2, OAuth 2.0 Multiple Response Type Encoding Practices, OAuth 2.0 Form Post
Response Mode, and RFC 9207 (the ``iss`` parameter on every response, success or error).
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode, urlsplit, urlunsplit

from chalicelib.oidc.errors import InvalidRequest, OAuthError
from chalicelib.oidc.results import Page, Redirect

MODES = ("query", "fragment", "form_post")


def default_mode(response_type: str) -> str:
    return "query" if response_type in ("code", "") else "fragment"


def choose(response_type: str, requested: str | None) -> str:
    """The mode to answer in, even for an invalid request: the requested one when usable."""
    if requested in MODES and not (requested == "query" and default_mode(response_type) != "query"):
        return requested
    return default_mode(response_type)


def check(response_type: str, requested: str | None) -> None:
    if requested is None:
        return
    if requested not in MODES:
        raise InvalidRequest("unsupported response_mode")
    if requested == "query" and default_mode(response_type) != "query":
        raise InvalidRequest("tokens must not be returned in the query")


def respond(target, values: Mapping[str, str | None], issuer: str) -> Redirect | Page:
    """The authorization response carrying ``values`` plus ``state`` and ``iss``."""
    params = {key: value for key, value in values.items() if value is not None}
    if target.state is not None:
        params["state"] = target.state
    params["iss"] = issuer
    uri = target.redirect_uri
    if target.response_mode == "form_post":
        return Page(
            "form_post.html",
            {"action": uri, "fields": params},
            form_target=origin(uri),
        )
    if target.response_mode == "fragment":
        return Redirect(f"{uri}#{urlencode(params)}")
    return Redirect(with_query(uri, params))


def with_query(uri: str, params: Mapping[str, str]) -> str:
    """``uri`` with ``params`` added to the query it may already have (RFC 6749 §3.1.2)."""
    if not params:
        return uri
    parts = urlsplit(uri)
    query = f"{parts.query}&{urlencode(params)}" if parts.query else urlencode(params)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def respond_error(target, error: OAuthError, issuer: str) -> Redirect | Page:
    return respond(target, error.body(), issuer)


def origin(uri: str) -> str | None:
    """A redirect URI's origin as a browser serializes it (RFC 6454 §6.2: lower-case scheme
    and host, no default port), or its scheme for a native app's; None when the URI is not
    strictly valid (chalicelib.uris), so no stray character of a URI stored before
    validation existed reaches a CSP. Session Management compares it with ``event.origin``;
    CSP takes it as a source."""
    from chalicelib import uris  # on first use: discovery, a cold start's usual first request, needs none

    try:
        return uris.parse(uri).origin
    except ValueError:
        return None

"""Error responses of unverified clients: shown at the OP before the user is sent anywhere.

RFC 9700 §4.11.2: an authorization server MUST only redirect automatically to a URI it
trusts. A client that registered itself (RFC 7591) can register any redirect URI, then send
a victim to ``/authorize`` with a request that fails at once (an unknown scope,
``prompt=none``): a plain error redirect would bounce the victim from this provider's domain
to the attacker's site without a word. So, until a tenant admin verifies such a client, an
error response to it is a page of this provider's that names the application, the error and
the exact host, with a link (or, for ``form_post``, a button) carrying the very response
the redirect would have: nothing happens until the user chooses to go. No script, so the
page's CSP needs nothing beyond its form target.
"""

from __future__ import annotations

from chalicelib.oidc import response_modes
from chalicelib.oidc.authorize import Target
from chalicelib.oidc.errors import OAuthError
from chalicelib.oidc.results import Page, Redirect

TEMPLATE = "error_continue.html"


def destination(redirect_uri: str) -> str:
    """Where a redirect URI sends the user, as the user should read it: its host (and port,
    if any), or for a native app's private-use scheme the scheme."""
    from chalicelib import uris  # on first use: only pages need it

    try:
        parsed = uris.parse(redirect_uri)
    except ValueError:
        return redirect_uri
    if parsed.host is None:
        return f"{parsed.scheme}:"
    return parsed.host if parsed.port is None else f"{parsed.host}:{parsed.port}"


def error_interstitial(target: Target, error: OAuthError, issuer: str) -> Page:
    """The page that offers ``error``'s response to the client instead of sending it."""
    response = response_modes.respond_error(target, error, issuer)
    context = {
        "client_name": target.client.name,
        "error": error.error,
        "description": error.description,
        "destination": destination(target.redirect_uri),
    }
    if isinstance(response, Redirect):
        return Page(TEMPLATE, {**context, "href": response.location, "action": None}, status=error.status)
    # form_post: the same fields, posted only when the user presses the button.
    form = {"href": None, "action": response.context["action"], "fields": response.context["fields"]}
    return Page(TEMPLATE, {**context, **form}, status=error.status, form_target=response.form_target)

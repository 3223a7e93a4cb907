"""Request objects by reference (RFC 9101 §5.2, OIDC Core §6.2): a client's https
``request_uri``, fetched through the outbound guard (``chalicelib.outbound``: https, no
private or loopback address, pinned, 2 s/3 s timeouts and a 5 s deadline, the body capped at
the size of a request object), each fetch counted per source address and per client first
(``chalicelib.limits.request_uris``: 429 past ``request_uri_fetches_per_source`` or
``_per_client`` a minute).

Only where the tenant enables it (``request_uri_enable``: the fetch happens on a browser's
request, so the provider's outbound requests are then anyone's to trigger), and only a URI
the client registered in ``request_uris`` (OIDC Registration §2): the same URI, a fragment
aside (§2 lets a client add one, the hash of the content, to tell versions apart), or one
under a registered URI that ends its path with ``/``, without dot segments. The pushed
requests' ``urn:ietf:params:oauth:request_uri:`` (RFC 9126) are not fetched; they are
``chalicelib.oidc.endpoints.par``'s.
"""

from __future__ import annotations

import dataclasses
import logging

from chalicelib import outbound, uris
from chalicelib.context import Context
from chalicelib.i18n import N_
from chalicelib.limits import request_uris as fetch_limits
from chalicelib.oidc.errors import FetchLimited, InvalidRequestObject, RequestUriNotSupported, RequestUriUnusable
from chalicelib.store.clients import Client

log = logging.getLogger("oidc.request_object")
MAX_BYTES = 16 * 1024  # request_object.MAX_OBJECT
ACCEPT = "application/oauth-authz-req+jwt, application/jwt"


def fetch(ctx: Context, client: Client, request_uri: str) -> str:
    """The request object at ``request_uri``, as text; the errors say why there is none."""
    if not ctx.settings.request_uri_enable:
        raise RequestUriNotSupported(N_("request_uri is not supported by this provider"))
    location = registered(client, request_uri)
    if location is None:
        raise RequestUriUnusable(N_("the request_uri is not registered for this client (request_uris)"))
    wait = fetch_limits.admit(ctx.tenant.id, ctx.source, client.client_id, ctx.settings, ctx.now)
    if wait is not None:
        raise FetchLimited(wait)
    policy = dataclasses.replace(outbound.policy_for(ctx.settings.outbound_allowed_hosts), max_body=MAX_BYTES + 1)
    try:
        response = outbound.get(location, policy, accept=ACCEPT)
    except (outbound.Refused, outbound.Unreachable) as error:
        # The reason stays in the log: told to whoever sent the browser, it would probe hosts.
        log.warning("client %s: its request_uri could not be fetched: %s", client.client_id, error)
        raise RequestUriUnusable(N_("the request_uri could not be fetched")) from None
    if response.status != 200:
        log.warning("client %s: its request_uri answered %s", client.client_id, response.status)
        raise RequestUriUnusable(N_("the request_uri did not answer with a request object"))
    if len(response.body) > MAX_BYTES:
        raise InvalidRequestObject(N_("a request object has at most 16 KiB"))
    try:
        return response.body.decode("ascii").strip()
    except UnicodeDecodeError:
        raise InvalidRequestObject(N_("the request object is not a JWT (a compact JWS)")) from None


def registered(client: Client, request_uri: str) -> str | None:
    """The URL to fetch (``request_uri`` without its fragment) if the client registered it."""
    try:
        requested = uris.parse(request_uri)
    except ValueError:
        return None
    location = requested.text.partition("#")[0]
    # https is the guard's to enforce (http only to a host the tenant lists, in local development).
    if requested.host is None or _has_dot_segments(requested.path):
        return None
    for uri in client.request_uris:
        base = uri.partition("#")[0]
        if location == base or (base.endswith("/") and "?" not in base and _under(location, base)):
            return location
    return None


def _under(location: str, base: str) -> bool:
    """``location`` below the registered prefix ``base``, with no encoded slash, backslash or
    percent after it: many servers decode them, and ``..%2F`` would climb out from under it."""
    rest = location[len(base) :].lower()
    return location.startswith(base) and not any(escape in rest for escape in ("%2f", "%5c", "%25", "\\"))


def _has_dot_segments(path: str) -> bool:
    """RFC 3986 §5.2.4: a . or .. segment (plain or %-encoded) moves the path out from under a prefix."""
    return any(segment.lower() in (".", "..", "%2e", "%2e%2e", ".%2e", "%2e.") for segment in path.split("/"))

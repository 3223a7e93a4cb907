"""The one place the provider makes HTTP requests to URLs that tenants and clients chose
(back-channel logout, a private_key_jwt client's ``jwks_uri``; ``sector_identifier_uri`` and
``request_uri`` later).

A registered URL could aim the provider at its own network (server-side request forgery):
the loopback interface, the cloud's metadata service, a private network. So every request
passes one guard (``guard.py``): https only (http only to a host the tenant names, in local
development), no userinfo, strict host syntax, and, after DNS resolution, only globally
routable addresses (``addresses.py``), with the connection pinned to the address checked
(``transport.py``); no redirects followed, short timeouts, a small response cap.

No request is made on a user's request path: callers queue the work (``queue.py``) and a
consumer sends it. What a request cannot go on without is the exception: a client's
``jwks_uri``, fetched on that client's own back-channel request (token, introspection,
revocation, PAR) or to check its request object at the authorization endpoint, and kept
(``chalicelib.oidc.client_keys``); and a registered ``request_uri``, where the tenant enables
it, counted per source and client (``chalicelib.oidc.request_uris``). Registration runs only the checks that
need no request (``check_registrable``).
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from chalicelib.outbound import guard, transport
from chalicelib.outbound.errors import Refused, Unreachable
from chalicelib.outbound.guard import Policy, check_registrable, policy_for
from chalicelib.outbound.transport import Response

__all__ = ["Policy", "Refused", "Response", "Unreachable", "check_registrable", "get", "policy_for", "post_form"]


def post_form(url: str, form: Mapping[str, str], policy: Policy) -> Response:
    """POST ``form`` (application/x-www-form-urlencoded) to ``url``. Raises Refused before any
    connection is opened, or Unreachable when no response came back in time."""
    target, address = guard.pin(url, policy)
    body = urlencode(form).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return transport.send(target, address, "POST", body, headers, policy)


def get(url: str, policy: Policy, accept: str = "application/json") -> Response:
    """GET ``url``, for documents the provider fetches (a client's JWKS, a sector identifier
    or request object): same guard, same caps."""
    target, address = guard.pin(url, policy)
    return transport.send(target, address, "GET", None, {"Accept": accept}, policy)

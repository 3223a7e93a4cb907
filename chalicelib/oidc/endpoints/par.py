"""Pushed authorization requests (RFC 9126): a client sends its authorization request's
parameters to the provider directly, authenticated as at the token endpoint, and gets a
``request_uri`` to send the browser with instead. The parameters never travel through the
browser, so they can be neither read nor changed there.

A pushed request is validated as an authorization request is (RFC 9126 §2.1), its errors
answered as JSON (§2.3). Its ``request_uri`` is ``urn:ietf:params:oauth:request_uri:`` and
256 random bits, kept only as a digest (``chalicelib.store.pushed``), lives
``pushed_request_expire`` seconds (60 by default) and is used once: the authorization
endpoint consumes it in one conditional delete, and then uses only the pushed parameters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from chalicelib.context import Context
from chalicelib.i18n import N_
from chalicelib.limits import par as par_limits
from chalicelib.oidc import dpop_binding, request_object
from chalicelib.oidc.authorize import resolve_target, validate_request
from chalicelib.oidc.client_auth import authenticated_request
from chalicelib.oidc.errors import InvalidRequest, InvalidRequestUri, PushLimited, UnknownClient
from chalicelib.oidc.params import AUTHORIZATION_PARAMETERS
from chalicelib.oidc.results import Json
from chalicelib.opaque import new_token
from chalicelib.store import pushed
from chalicelib.store.clients import Client

URN = "urn:ietf:params:oauth:request_uri:"
MAX_REQUEST = 16 * 1024  # characters of all the kept parameters together
MAX_HANDLE = 64


def push(ctx: Context, headers: Mapping[str, str], form: Mapping[str, Sequence[str]] | None) -> Json:
    """RFC 9126 §2: 201 with the request_uri and its lifetime, or the error as JSON."""
    client, params = authenticated_request(ctx, headers, form)
    if "request_uri" in params:
        raise InvalidRequest("a pushed request must not name a request_uri (RFC 9126 section 2.1)")
    # RFC 9126 §3: the pushed request may be a request object, whose parameters then replace
    # the form's (RFC 9101 §6.3); its client is the authenticated one.
    signed = request_object.decode(ctx, client, params["request"]) if "request" in params else None
    if (signed is None or not signed.signed) and request_object.required(ctx, client):
        raise InvalidRequest("this client must push signed request objects (RFC 9101 section 10.5)")
    params = signed.params if signed is not None else params
    request = {name: value for name, value in params.items() if name in AUTHORIZATION_PARAMETERS}
    request["client_id"] = client.client_id
    if sum(len(name) + len(value) for name, value in request.items()) > MAX_REQUEST:
        raise InvalidRequest(f"a pushed request holds at most {MAX_REQUEST // 1024} KiB of parameters")
    wait = par_limits.admit(ctx.tenant.id, ctx.source, client.client_id, ctx.settings, ctx.now)
    if wait is not None:
        raise PushLimited(wait)
    validate_request(ctx, resolve_target(ctx, request), request)
    jkt = dpop_binding.pushed_request_key(ctx, headers, request.get("dpop_jkt"))
    if jkt is not None:
        request["dpop_jkt"] = jkt
    if signed is not None:
        request_object.spend(ctx, signed)
    handle = new_token()
    lifetime = ctx.settings.pushed_request_expire
    pushed.push(ctx.tenant.id, handle, client.client_id, request, ctx.now + lifetime)
    return Json({"request_uri": URN + handle, "expires_in": lifetime}, status=201, no_store=True)


def pushed_request(ctx: Context, params: Mapping[str, str]) -> dict[str, str] | None:
    """The pushed parameters an authorization request names by its request_uri, consumed (RFC
    9126 §4); None if it names none of this kind. The client_id must be the pusher's."""
    request_uri = params.get("request_uri")
    if request_uri is None or not request_uri.startswith(URN):
        return None
    client_id = params.get("client_id")
    if client_id is None:
        raise UnknownClient(N_("client_id is required"))
    handle = request_uri[len(URN) :]
    found = None
    if 0 < len(handle) <= MAX_HANDLE:
        found = pushed.consume(ctx.tenant.id, handle, client_id, ctx.now)
    if found is None:
        raise InvalidRequestUri(N_("the request_uri is unknown, used or expired"))
    return {name: value for name, value in found.items() if isinstance(value, str)}


# The provider's own pages sign in through its own flow with these built-in clients
# (chalicelib/own_rp.py), redirecting to pages of the same tenant: a tenant that requires
# every client to push must not lock its administrators out of the console.
BUILT_IN_CLIENTS = frozenset({"console", "account", "device"})


def required(ctx: Context, client: Client) -> bool:
    """RFC 9126 §5-6: whether this client's authorization requests must be pushed."""
    if client.require_pushed_authorization_requests:
        return True
    return ctx.settings.require_pushed_authorization_requests and client.client_id not in BUILT_IN_CLIENTS

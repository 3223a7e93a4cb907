"""``@protected``: a Chalice route that answers only requests with a valid access token of the
issuer's, for this API (its resource indicator, RFC 8707), with the scopes it requires.

The route gets the verified token as its ``access_token`` argument (a ``VerifiedToken``);
every refusal is answered here, as RFC 6750 §3 says: 401 with a ``WWW-Authenticate``
challenge (no error code when the request had no token at all), 400 for a malformed
Authorization header, 403 ``insufficient_scope`` naming the scope needed. The challenge and
the body carry the error code only, never why (expired, wrong audience, unknown key...).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable
from typing import Any

from chalicelib.resource_server.keys import DiscoveredKeys, Unavailable
from chalicelib.resource_server.verify import (
    ALGORITHMS,
    AccessTokenVerifier,
    KeySource,
    ProofVerifier,
    Refusal,
    check,
)

# (the current request) -> the verifier for it: one per issuer and API, or per tenant for an
# API that serves several (this provider's own example).
Verifiers = Callable[[Any], AccessTokenVerifier]


def protected(
    app: Any,
    *,
    scopes: Iterable[str] = (),
    issuer: str | None = None,
    audience: str | None = None,
    keys: KeySource | None = None,
    verifier: Verifiers | None = None,
    proofs: ProofVerifier | None = None,
    url: Callable[[Any], str] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap a route of ``app`` (a Chalice app or blueprint: its ``current_request`` is read).
    ``issuer`` and ``audience`` (the API's resource indicator) name the tokens it takes; the
    issuer's keys come from its discovery document, or from ``keys``. ``verifier`` instead
    picks them per request. ``proofs`` checks DPoP proofs (RFC 9449); without it a DPoP-bound
    token is refused. ``url`` is the request's URL as the client sent it (the proof's htu)."""
    if verifier is None:
        if issuer is None or audience is None:
            raise TypeError("protected() needs issuer and audience, or verifier")
        fixed = AccessTokenVerifier(issuer, audience, keys or DiscoveredKeys(issuer))
        verifier = lambda request: fixed  # noqa: E731
    required = tuple(scopes)
    address = url or request_url

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            request = app.current_request
            try:
                headers = request.headers
                token = check(verifier(request), headers, request.method, address(request), required, proofs)
            except Refusal as refusal:
                return refusal_response(refusal, dpop=proofs is not None)
            except Unavailable:
                return _response(503, {"error": "temporarily_unavailable"}, {"Retry-After": "30"})
            return view(*args, access_token=token, **kwargs)

        return guarded

    return decorate


def challenge(refusal: Refusal, dpop: bool = False) -> str:
    """RFC 6750 §3, and RFC 9449 §7.1 when DPoP proofs are checked: both challenges in one
    field, the error on the one it concerns (a proof's errors are DPoP's alone)."""
    params = [] if refusal.error is None else [f'error="{refusal.error}"']
    if refusal.scope:
        params.append(f'scope="{refusal.scope}"')
    proof_error = refusal.error in ("invalid_dpop_proof", "use_dpop_nonce")
    bearer = "Bearer" + (" " + ", ".join(params) if params and not proof_error else "")
    if not dpop:
        return bearer
    return f"{bearer}, DPoP " + ", ".join([*params, f'algs="{" ".join(ALGORITHMS)}"'])


def refusal_response(refusal: Refusal, dpop: bool = False) -> Any:
    headers = {"WWW-Authenticate": challenge(refusal, dpop)}
    if refusal.nonce:
        headers["DPoP-Nonce"] = refusal.nonce
    body = {"error": refusal.error} if refusal.error else {}
    return _response(refusal.status, body, headers)


def request_url(request: Any) -> str:
    """The URL the client called, as API Gateway saw it (its domain and full path)."""
    context = request.context or {}
    host = context.get("domainName") or request.headers.get("host", "")
    return f"https://{host}{context.get('path') or request.path}"


def _response(status: int, body: dict[str, Any], headers: dict[str, str]) -> Any:
    from chalice import Response

    headers = {"Content-Type": "application/json", "Cache-Control": "no-store", **headers}
    return Response(body=json.dumps(body), status_code=status, headers=headers)

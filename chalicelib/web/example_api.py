"""The provider's own example API, protected by ``@protected`` (chalicelib/resource_server)
as any Chalice API that trusts a tenant would be: ``GET <base>/<tenant>/example/me`` answers
who the access token speaks for.

Its resource indicator (RFC 8707) is ``<issuer>/example``: clients get tokens for it with
``resource=<issuer>/example`` once the tenant lists it in ``resource_servers``, and it takes
no other (a token for UserInfo or for another API is refused). It needs the ``profile``
scope. The tenant's keys come from its keyring, not over HTTP from the provider itself. A
DPoP-bound token (RFC 9449) comes with the DPoP scheme and a proof of its key, checked as the
provider's own UserInfo checks one (``chalicelib.oidc.dpop``: htm, htu, iat, ath, the tenant's
nonces, and its jti once).
Like any API that reads JWT access tokens alone, it takes a token until it expires; an API
that must see a revocation at once asks the introspection endpoint.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from chalice import Blueprint, NotFoundError, Response

from chalicelib.resource_server import AccessTokenVerifier, ProofRefused, Unavailable, VerifiedToken, protected
from chalicelib.store import StoreError
from chalicelib.tenancy.issuer import issuer
from chalicelib.tenancy.resolve import resolve_tenant
from chalicelib.web import routes

bp = Blueprint(__name__)
API = "/example"
SCOPES = ("profile",)


def tenant_verifier(request: Any) -> AccessTokenVerifier:
    """The tenant's access tokens for its example API, checked against its keyring."""
    tenant_id = (request.uri_params or {}).get("tenant", "")
    base = routes.public_base(request.context or {})
    try:
        tenant = resolve_tenant(tenant_id)
    except (StoreError, BotoCoreError, ClientError) as error:
        raise Unavailable("the tenant could not be read") from error
    if base is None:
        raise Unavailable("the provider does not know its public URL")
    if tenant is None or tenant.disabled:
        raise NotFoundError("no such tenant")
    tenant_issuer = issuer(base, tenant.id)
    # routes.clock, read at each call: the tests' clock moves it.
    return AccessTokenVerifier(
        tenant_issuer, tenant_issuer + API, tenant.keyring.by_kid.get, clock=lambda: routes.clock()
    )


def tenant_proofs(proof: str, method: str, url: str, access_token: str) -> str:
    """A DPoP proof over this request and ``access_token``, checked for the request's tenant
    (its nonce policy, its replay store): the thumbprint of the proof's key."""
    from chalicelib.oidc import dpop, dpop_binding, dpop_nonces

    tenant = resolve_tenant((bp.current_request.uri_params or {}).get("tenant", ""))
    if tenant is None:  # the verifier resolved it a moment ago: gone since
        raise ProofRefused()
    now = routes.clock()
    try:
        checked = dpop_binding.tenant_proof(tenant.id, tenant.settings.dpop_nonce_required, now, proof, method, url,
                                            access_token=access_token)  # fmt: skip
    except dpop.ProofRefused as refused:
        fresh = dpop_nonces.nonce_for(tenant.id, now) if refused.error == "use_dpop_nonce" else None
        raise ProofRefused(nonce=fresh) from None
    return checked.jkt


def me_url(request: Any) -> str:
    """This route's public URL (a DPoP proof's htu)."""
    return tenant_verifier(request).issuer + API + "/me"


@bp.route("/{tenant}/example/me", methods=["GET"], cors=True)
@protected(bp, verifier=tenant_verifier, scopes=SCOPES, url=me_url, proofs=tenant_proofs)
def example_me(tenant: str, access_token: VerifiedToken) -> Response:
    claims = access_token.claims
    answer = {name: claims[name] for name in ("sub", "client_id", "scope", "aud") if name in claims}
    return Response(answer, headers={"Cache-Control": "no-store"})

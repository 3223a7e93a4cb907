"""Routes of the JSON endpoints: discovery, JWKS, token, UserInfo, introspection,
revocation, dynamic client registration.

Each view imports its endpoint when first called (discovery excepted: a fresh container's
first request is usually discovery), so a Lambda cold start pays for the modules of the
endpoint it serves, not for all of them.
"""

from __future__ import annotations

from chalice import Blueprint, CORSConfig

from chalicelib.context import Context
from chalicelib.keys.rotation import JWKS_MAX_AGE
from chalicelib.oidc.endpoints import discovery
from chalicelib.oidc.results import Json, Jwt
from chalicelib.web.http import Incoming
from chalicelib.web.routes import tenant_route

bp = Blueprint(__name__)

# Metadata and keys change rarely; RPs may cache them this long. A rotation publishes every
# new key longer than this before it signs (chalicelib/keys/rotation.py), so an RP that
# honours Cache-Control never meets an unknown kid, even one that never refetches for one.
PUBLIC_CACHE = {"Cache-Control": f"public, max-age={JWKS_MAX_AGE}"}
# Browser apps, DPoP's first users (RFC 9449 §1), send a DPoP header and must read the
# DPoP-Nonce and WWW-Authenticate answered (§8, §9): the token endpoint and UserInfo allow
# the one and expose the others.
DPOP_CORS = CORSConfig(allow_origin="*", allow_headers=["DPoP"], expose_headers=["DPoP-Nonce", "WWW-Authenticate"])


@tenant_route(bp, "/{tenant}/.well-known/openid-configuration", ["GET"], cors=True)
def openid_configuration(ctx: Context, request: Incoming) -> Json:
    return Json(discovery.metadata(ctx), headers=PUBLIC_CACHE)


@tenant_route(bp, "/{tenant}/.well-known/oauth-authorization-server", ["GET"], cors=True)
def oauth_authorization_server(ctx: Context, request: Incoming) -> Json:
    return Json(discovery.metadata(ctx), headers=PUBLIC_CACHE)


@tenant_route(bp, "/.well-known/oauth-authorization-server/{tenant}", ["GET"], cors=True)
def oauth_authorization_server_rfc8414(ctx: Context, request: Incoming) -> Json:
    """RFC 8414 §3.1: for an issuer with a path, the well-known segment goes first."""
    return Json(discovery.metadata(ctx), headers=PUBLIC_CACHE)


@tenant_route(bp, "/{tenant}/jwks.json", ["GET"], cors=True)
def jwks(ctx: Context, request: Incoming) -> Json:
    return Json(discovery.jwks(ctx), headers=PUBLIC_CACHE)


@tenant_route(bp, "/{tenant}/token", ["POST"], cors=DPOP_CORS)
def token(ctx: Context, request: Incoming) -> Json:
    from chalicelib.oidc.endpoints.token import token as token_endpoint

    return token_endpoint(ctx, request.headers, request.form)


@tenant_route(bp, "/{tenant}/par", ["POST"], cors=True)
def pushed_authorization_request(ctx: Context, request: Incoming) -> Json:
    """RFC 9126 §2."""
    from chalicelib.oidc.endpoints.par import push

    return push(ctx, request.headers, request.form)


@tenant_route(bp, "/{tenant}/userinfo", ["GET", "POST"], cors=DPOP_CORS)
def userinfo(ctx: Context, request: Incoming) -> Json | Jwt:
    from chalicelib.oidc.endpoints.userinfo import userinfo as userinfo_endpoint

    form = request.form_values() if request.method == "POST" else {}
    return userinfo_endpoint(ctx, request.headers, form, request.method)


@tenant_route(bp, "/{tenant}/introspect", ["POST"])
def introspect(ctx: Context, request: Incoming) -> Json:
    """For resource servers (back ends): no CORS."""
    from chalicelib.oidc.endpoints.introspection import introspect as introspection_endpoint

    return introspection_endpoint(ctx, request.headers, request.form)


@tenant_route(bp, "/{tenant}/revoke", ["POST"], cors=True)
def revoke(ctx: Context, request: Incoming) -> Json:
    """Browser apps (public clients) revoke their tokens too: CORS."""
    from chalicelib.oidc.endpoints.revocation import revoke as revocation_endpoint

    return revocation_endpoint(ctx, request.headers, request.form)


@tenant_route(bp, "/{tenant}/register", ["POST"])
def register(ctx: Context, request: Incoming) -> Json:
    from chalicelib.admin import registration

    return registration.register(ctx, request.headers, request.json_body)


@tenant_route(bp, "/{tenant}/register/{client_id}", ["GET", "PUT", "DELETE"])
def registered_client(ctx: Context, request: Incoming) -> Json:
    """RFC 7592: the client reads, replaces or deletes its own registration."""
    from chalicelib.admin import registration

    client_id = request.path["client_id"]
    if request.method == "GET":
        return registration.read(ctx, request.headers, client_id)
    if request.method == "PUT":
        return registration.update(ctx, request.headers, client_id, request.json_body)
    return registration.delete(ctx, request.headers, client_id)

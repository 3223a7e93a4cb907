"""Request objects (RFC 9101, OIDC Core §6): an authorization request sent as a JWT, by value
(``request``) or by reference (``request_uri``, ``chalicelib.oidc.request_uris``), at the
authorization endpoint or pushed (RFC 9126 §3).

Only the request object's parameters are used (RFC 9101 §6.3); of the outer ones only
``client_id``, which must be the object's (outer copies of ``response_type`` and ``scope``,
which OIDC Core §6.1 has clients send, are ignored). A signed object is checked in this order,
so that any refusal writes nothing: the header (no JWE, no ``crit``, a ``typ`` that is not
another kind of JWT), the algorithm (one of the client's keys' algorithms, its registered
``request_object_signing_alg`` if any), the signature with the client's keys (``jwks`` or
``jwks_uri``, as for private_key_jwt: ``chalicelib.oidc.client_keys``, whose fetches are
throttled per client, here on a browser's request), ``iss`` = client_id, ``aud`` = the issuer,
``exp`` present, not past and at most an hour ahead, ``iat`` and ``nbf`` not in the future, no
nested ``request``/``request_uri``. Its ``jti``, if it has one, is recorded by ``spend`` once
the request it carries passed every check: a replay is refused and writes nothing.

Unsigned objects (``alg: none``) are taken only where the tenant allows them
(``allow_unsigned_request_objects``) and from a client that registered no
``request_object_signing_alg`` and need not sign (``require_signed_request_object``).
Encrypted ones (JWE) are not supported: ``invalid_request_object``, saying so.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from chalicelib.context import Context
from chalicelib.i18n import N_
from chalicelib.keys import client_jwks
from chalicelib.oidc import request_uris
from chalicelib.oidc.client_keys import KeysUnavailable, candidate_keys
from chalicelib.oidc.errors import InvalidClient, InvalidRequest, InvalidRequestObject, UnknownClient
from chalicelib.oidc.params import AUTHORIZATION_PARAMETERS, MAX_LENGTH, REPEATABLE, joined
from chalicelib.opaque import is_numeric_date, json_object
from chalicelib.store import replay
from chalicelib.store.clients import Client

log = logging.getLogger("oidc.request_object")
ALGORITHMS = client_jwks.ALGORITHMS
MAX_OBJECT = 16 * 1024  # "16 KiB" in the messages
MAX_LIFETIME = 3600  # as for client assertions: its jti is remembered that long
SKEW = 30
MAX_JTI = 256  # in the messages
# RFC 9101 §10.8 asks for oauth-authz-req+jwt; plain JWT (or none) is what older clients send.
TYPES = frozenset({None, "jwt", "oauth-authz-req+jwt"})
BUILT_IN_CLIENTS = frozenset({"console", "account"})  # the provider's own pages (chalicelib/own_rp.py)


@dataclass(frozen=True)
class RequestObject:
    client_id: str
    params: dict[str, str]  # the authorization request it carries
    signed: bool
    jti: str | None
    expires_at: int


def resolve(ctx: Context, params: Mapping[str, str]) -> RequestObject | None:
    """The request object an authorization request carries or names (RFC 9101 §5), checked;
    None if it has neither ``request`` nor ``request_uri``. The errors are for
    ``chalicelib.oidc.flow.refuse``."""
    if "request" not in params and "request_uri" not in params:
        return None
    client_id = params.get("client_id")
    client = ctx.client(client_id) if client_id is not None else None
    if client is None:
        raise UnknownClient(N_("client_id is required") if client_id is None else N_("unknown client_id"))
    if "request" in params and "request_uri" in params:
        raise InvalidRequest(N_("request and request_uri cannot be used together"))
    token = params.get("request") or request_uris.fetch(ctx, client, params["request_uri"])
    return decode(ctx, client, token)


def required(ctx: Context, client: Client) -> bool:
    """RFC 9101 §10.5: whether this client's requests must come as signed request objects."""
    if client.require_signed_request_object:
        return True
    return ctx.settings.require_signed_request_object and client.client_id not in BUILT_IN_CLIENTS


def spend(ctx: Context, request: RequestObject) -> None:
    """Record the object's jti (the last check, and the only write): a replay is refused."""
    if request.jti is None:
        return
    scope = f"request {request.client_id}"
    if not replay.first_use(ctx.tenant.id, scope, request.jti, request.expires_at + SKEW, ctx.now):
        raise InvalidRequestObject(N_("the request object was used before (jti)"))


def decode(ctx: Context, client: Client, token: str) -> RequestObject:
    """The checked request object ``token`` of ``client``; InvalidRequestObject says what is wrong."""
    header, claims = _parts(token)
    alg = header.get("alg")
    if alg == "none":
        _check_unsigned(ctx, client, token)
    else:
        claims = _verified(ctx, client, token, header)
    _check_claims(ctx, client, claims, signed=alg != "none")
    exp = _number(claims, "exp")
    jti = claims.get("jti")
    return RequestObject(
        client_id=client.client_id,
        params=_parameters(client, claims),
        signed=alg != "none",
        jti=jti,
        expires_at=int(exp) if exp is not None else ctx.now + MAX_LIFETIME,
    )


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    if len(token) > MAX_OBJECT:
        raise InvalidRequestObject(N_("a request object has at most 16 KiB"))
    parts = token.split(".") if token.isascii() else []
    if len(parts) == 5:
        raise InvalidRequestObject(N_("encrypted request objects (JWE) are not supported: sign it (JWS) instead"))
    header, claims = (json_object(parts[0]), json_object(parts[1])) if len(parts) == 3 else (None, None)
    if header is None or claims is None:
        raise InvalidRequestObject(N_("the request object is not a JWT (a compact JWS)"))
    if "enc" in header:
        raise InvalidRequestObject(N_("encrypted request objects (JWE) are not supported: sign it (JWS) instead"))
    if "crit" in header:
        raise InvalidRequestObject(N_("the request object's header has crit extensions this provider does not know"))
    typ = header.get("typ")
    if not (typ is None or (isinstance(typ, str) and typ.lower().removeprefix("application/") in TYPES)):
        raise InvalidRequestObject(N_("the request object's typ is not oauth-authz-req+jwt"))
    return header, claims


def _check_unsigned(ctx: Context, client: Client, token: str) -> None:
    if not token.endswith("."):
        raise InvalidRequestObject(N_("an unsigned request object has an empty signature"))
    if not ctx.settings.allow_unsigned_request_objects or client.request_object_signing_alg or required(ctx, client):
        raise InvalidRequestObject(N_("request objects of this client must be signed"))


def _verified(ctx: Context, client: Client, token: str, header: dict[str, Any]) -> dict[str, Any]:
    """The claims, if one of the client's keys signed the object with an algorithm it may use."""
    import jwt

    alg, kid = header.get("alg"), header.get("kid")
    if client.request_object_signing_alg not in (None, alg):
        raise InvalidRequestObject(N_("this client signs its request objects with its request_object_signing_alg"))
    if alg not in ALGORITHMS:
        raise InvalidRequestObject(N_("request objects are signed with RS256, PS256, ES256 or EdDSA"))
    if kid is not None and not isinstance(kid, str):
        raise InvalidRequestObject(N_("the request object's kid is not a string"))
    try:
        keys = candidate_keys(ctx, client, alg, kid)
    except KeysUnavailable as error:
        log.warning("client %s: its keys are unavailable: %s", client.client_id, error)
        raise InvalidRequestObject(N_("the client's keys could not be read")) from None
    except InvalidClient:  # several keys for the alg, and no kid
        raise InvalidRequestObject(N_("the request object must name its key (kid)")) from None
    for key in keys:
        try:
            payload = _verifier().decode_complete(token, key.key, algorithms=[alg])["payload"]
        except jwt.InvalidSignatureError:
            continue
        except (jwt.PyJWTError, ValueError, TypeError):
            break
        claims = json_object(payload)
        if claims is not None:
            return claims
        break
    raise InvalidRequestObject(N_("the request object's signature does not verify with the client's keys"))


@lru_cache(maxsize=1)
def _verifier() -> Any:
    """PyJWT's JWS verifier, with RFC 9864's "Ed25519" (unknown to PyJWT by that name) as EdDSA."""
    import jwt
    from jwt.algorithms import OKPAlgorithm

    verifier = jwt.PyJWS(algorithms=[alg for alg in ALGORITHMS if alg != "Ed25519"])
    verifier.register_algorithm("Ed25519", OKPAlgorithm())
    return verifier


def _check_claims(ctx: Context, client: Client, claims: dict[str, Any], signed: bool) -> None:
    """RFC 9101 §4 and §6.3, OIDC Core §6.1 and §6.3.2: who signed it for whom, and when.
    An unsigned object proves nothing, but what it says must still be right."""
    if claims.get("iss", client.client_id if not signed else None) != client.client_id:
        raise InvalidRequestObject(N_("the request object's iss must be the client_id"))
    if claims.get("client_id", client.client_id) != client.client_id:
        raise InvalidRequestObject(N_("the request object's client_id must be the request's"))
    aud = claims.get("aud", ctx.issuer if not signed else None)
    if not (aud == ctx.issuer or (isinstance(aud, list) and ctx.issuer in aud)):
        raise InvalidRequestObject(N_("the request object's aud must be this provider's issuer"))
    exp = _number(claims, "exp")
    if exp is None and signed:
        raise InvalidRequestObject(N_("the request object needs an exp"))
    if exp is not None and exp <= ctx.now:
        raise InvalidRequestObject(N_("the request object has expired"))
    if exp is not None and exp > ctx.now + MAX_LIFETIME:
        raise InvalidRequestObject(N_("a request object may be valid for at most an hour"))
    for name, future in (("iat", N_("the request object's iat is in the future")),
                         ("nbf", N_("the request object's nbf is in the future"))):  # fmt: skip
        value = _number(claims, name)
        if value is not None and value > ctx.now + SKEW:
            raise InvalidRequestObject(future)
    jti = claims.get("jti")
    if jti is not None and (not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI):
        raise InvalidRequestObject(N_("the request object's jti is a string of at most 256 characters"))
    if "request" in claims or "request_uri" in claims:
        raise InvalidRequestObject(N_("a request object must not hold request or request_uri (RFC 9101 section 4)"))


def _parameters(client: Client, claims: Mapping[str, Any]) -> dict[str, str]:
    """The authorization request's parameters, as strings: OIDC Core §6.1 sends max_age as a
    number and claims as a JSON object. Other claims (iss, aud, exp, ...) are not parameters."""
    params = {"client_id": client.client_id}
    for name, value in claims.items():
        if name not in AUTHORIZATION_PARAMETERS or name == "client_id" or value is None:
            continue
        if name == "claims" and isinstance(value, dict):
            value = json.dumps(value)
        elif name == "max_age" and type(value) is int:
            value = str(value)
        elif name in REPEATABLE:  # RFC 8707 with RFC 9101: one resource, or an array of them
            value = _repeated(name, value)
        if not isinstance(value, str) or len(value) > MAX_LENGTH:
            raise InvalidRequestObject(N_("the request object's parameters are strings of at most 4096 characters"))
        if value:
            params[name] = value
    return params


def _repeated(name: str, value: Any) -> Any:
    """A repeatable parameter's values joined, as ``params.single_values`` joins a form's."""
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(item, str) and item for item in values):
        raise InvalidRequestObject(N_("the request object's resource is a URI or an array of URIs"))
    try:
        return joined(name, values)
    except InvalidRequest:
        raise InvalidRequestObject(N_("the request object's resource is a URI or an array of URIs")) from None


def _number(claims: Mapping[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if not is_numeric_date(value):
        raise InvalidRequestObject(N_("the request object's exp, iat and nbf are NumericDates"))
    return value

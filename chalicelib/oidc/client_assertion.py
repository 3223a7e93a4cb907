"""Client authentication with a JWT (RFC 7523 §2.2 and §3, OIDC Core §9): ``private_key_jwt``
(signed with one of the client's registered keys) and ``client_secret_jwt`` (HS256 with its
secret), at the token, introspection and revocation endpoints.

Checked in this order, so that an assertion refused for any reason writes nothing:
the header's alg is one the client's method allows (``none`` never) and the client's
``token_endpoint_auth_signing_alg`` if it set one; the signature; ``iss`` and ``sub`` are the
client_id; ``aud`` is this provider's issuer, one string (what FAPI 2.0 and RFC 7523bis ask
for, and what openid-client sends; not the token endpoint's URL that OIDC Core §9 once
suggested, see ``_check_claims``); ``exp`` is present, not past and at most
``MAX_LIFETIME`` ahead (a bounded lifetime bounds how long its ``jti`` must be remembered);
``iat`` and ``nbf``, if present, are not in the future. Only then is the ``jti`` recorded,
one conditional write that a replay fails (``chalicelib.store.replay``).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from chalicelib.context import Context
from chalicelib.keys import client_jwks, client_secrets
from chalicelib.oidc.client_keys import KeysUnavailable, candidate_keys
from chalicelib.oidc.errors import InvalidClient
from chalicelib.opaque import is_numeric_date, json_object
from chalicelib.store import replay
from chalicelib.store.clients import Client

log = logging.getLogger("oidc.client_auth")
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
METHOD_ALGS = {"private_key_jwt": client_jwks.ALGORITHMS, "client_secret_jwt": ("HS256",)}
# Seconds from now that an assertion may still be valid: an hour, what libraries sign for by
# default (Authlib) and other providers accept; its jti is remembered that long.
MAX_LIFETIME = 3600
SKEW = 30  # clock difference tolerated on iat and nbf
MAX_ASSERTION = 8192
MAX_JTI = 256


def assertion_client_id(assertion: str) -> str | None:
    """The client an assertion says it is from (its ``sub``), read before any check, when the
    request names no client_id (RFC 7521 §4.2: client_id is optional then)."""
    claims = _segment(assertion, 1)
    sub = claims.get("sub") if claims is not None else None
    return sub if isinstance(sub, str) else None


def verify_assertion(ctx: Context, client: Client, assertion: str) -> None:
    """Raise InvalidClient unless ``assertion`` authenticates ``client``."""
    method = client.token_endpoint_auth_method
    header = _segment(assertion, 0)
    if method not in METHOD_ALGS or header is None:
        raise InvalidClient("unknown client or wrong credentials")
    alg, kid = header.get("alg"), header.get("kid")
    allowed = (client.token_endpoint_auth_signing_alg,) if client.token_endpoint_auth_signing_alg else ()
    if alg not in METHOD_ALGS[method] or (allowed and alg not in allowed):
        raise InvalidClient(
            f"a {method} assertion of this client is signed with {' or '.join(allowed or METHOD_ALGS[method])}"
        )
    if kid is not None and not isinstance(kid, str):
        raise InvalidClient("the assertion's kid is not a string")
    claims = _verified_claims(ctx, client, assertion, alg, kid)
    _check_claims(ctx, client, claims)
    if not replay.first_use(
        ctx.tenant.id, f"assertion {client.client_id}", claims["jti"], int(claims["exp"]) + SKEW, ctx.now
    ):
        raise InvalidClient("the client assertion was used before (jti)")


def _verified_claims(ctx: Context, client: Client, assertion: str, alg: str, kid: str | None) -> dict[str, Any]:
    """The assertion's claims if one of the client's keys (or its secret) signed it."""
    import jwt

    if alg == "HS256":
        if client.secret_ciphertext is None:  # kept for every client_secret_jwt client (client_auth_fields)
            raise InvalidClient("unknown client or wrong credentials")
        keys: tuple[Any, ...] = (
            client_secrets.decrypt(ctx.tenant.id, client.client_id, client.secret_ciphertext).encode(),
        )
    else:
        try:
            keys = tuple(key.key for key in candidate_keys(ctx, client, alg, kid))
        except KeysUnavailable as error:
            # What went wrong with the jwks_uri stays in the log: told to whoever sent the
            # assertion (anyone may, in a client's name), it would probe hosts and ports.
            log.warning("client %s: its keys are unavailable: %s", client.client_id, error)
            raise InvalidClient("the client's keys could not be read") from None
    verifier = _verifier()
    for key in keys:
        try:
            payload = verifier.decode_complete(assertion, key, algorithms=[alg])["payload"]
        except jwt.InvalidSignatureError:
            continue
        except (jwt.PyJWTError, ValueError, TypeError):
            break
        claims = json_object(payload)
        if claims is not None:
            return claims
        break
    raise InvalidClient("the client assertion's signature does not verify with the client's keys")


@lru_cache(maxsize=1)
def _verifier() -> Any:
    """PyJWT's JWS verifier for the assertion algorithms, with RFC 9864's "Ed25519" (which
    PyJWT does not know by that name) as its EdDSA."""
    import jwt
    from jwt.algorithms import OKPAlgorithm

    verifier = jwt.PyJWS(algorithms=[alg for algs in METHOD_ALGS.values() for alg in algs if alg != "Ed25519"])
    verifier.register_algorithm("Ed25519", OKPAlgorithm())
    return verifier


def _check_claims(ctx: Context, client: Client, claims: dict[str, Any]) -> None:
    """RFC 7523 §3 items 1 to 7, with OIDC Core §9's iss = sub = client_id."""
    if claims.get("iss") != client.client_id or claims.get("sub") != client.client_id:
        raise InvalidClient("the client assertion's iss and sub must be the client_id")
    # The issuer alone, as one string (RFC 7523bis, FAPI 2.0): an endpoint URL, or a list of
    # audiences, is what another authorization server can get a client to sign for it (it
    # publishes this provider's token endpoint as its own) and replay here (OpenID
    # Foundation, January 2025).
    if claims.get("aud") != ctx.issuer:
        raise InvalidClient("the client assertion's aud must be this provider's issuer (one string)")
    exp = _number(claims, "exp")
    if exp is None:
        raise InvalidClient("the client assertion needs an exp")
    if exp <= ctx.now:
        raise InvalidClient("the client assertion has expired")
    if exp > ctx.now + MAX_LIFETIME:
        raise InvalidClient(f"the client assertion may be valid for at most {MAX_LIFETIME} seconds")
    for name in ("iat", "nbf"):
        value = _number(claims, name)
        if value is not None and value > ctx.now + SKEW:
            raise InvalidClient(f"the client assertion's {name} is in the future")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI:
        raise InvalidClient(f"the client assertion needs a jti of at most {MAX_JTI} characters")


def _number(claims: dict[str, Any], name: str) -> float | None:
    """A NumericDate (RFC 7519 §2): a finite number; InvalidClient if the claim is anything else."""
    value = claims.get(name)
    if value is None:
        return None
    if not is_numeric_date(value):
        raise InvalidClient(f"the client assertion's {name} is not a NumericDate")
    return value


def _segment(assertion: str, index: int) -> dict[str, Any] | None:
    """A compact JWS's header (0) or payload (1) as a JSON object, unverified; None if malformed."""
    parts = assertion.split(".")
    if len(assertion) > MAX_ASSERTION or len(parts) != 3 or not assertion.isascii():
        return None
    return json_object(parts[index])

"""The fields of client authentication by JWT (RFC 7523 §2.2, OIDC Core §9, RFC 7591 §2):
``jwks`` or ``jwks_uri`` (never both), and ``token_endpoint_auth_signing_alg``, checked for
``chalicelib.admin.client_fields.validated``.

A ``private_key_jwt`` client needs its public keys; a ``client_secret_jwt`` client needs its
secret readable (HMAC), so, like an HS256 client's, it is kept KMS-encrypted beside its
digest (``chalicelib.keys.client_secrets``). A ``jwks_uri`` passes the outbound guard's
registration checks (https, no userinfo, no IP literal the provider may not reach); what
its host resolves to is checked again at each fetch.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib import outbound, uris
from chalicelib.admin import AdminError
from chalicelib.keys import client_jwks, client_secrets
from chalicelib.store.tenants import Tenant
from chalicelib.tenancy.settings import TenantSettings

# The assertion algorithms per method; ``none`` never (RFC 7523 §3 item 9, OIDC Core §9).
SIGNING_ALGS = {"private_key_jwt": client_jwks.ALGORITHMS, "client_secret_jwt": ("HS256",)}
JWT_METHODS = tuple(SIGNING_ALGS)


def jwt_authentication(tenant: Tenant, values: Mapping[str, Any], auth_method: str) -> dict[str, Any]:
    """The checked ``jwks``, ``jwks_uri`` and ``token_endpoint_auth_signing_alg`` of a client
    that authenticates with ``auth_method``; AdminError says what is wrong."""
    jwks, jwks_uri = values["jwks"], values["jwks_uri"] or None
    if jwks is not None and jwks_uri is not None:
        raise AdminError("register jwks or jwks_uri, not both (RFC 7591 §2)")
    if auth_method == "private_key_jwt" and jwks is None and jwks_uri is None:
        raise AdminError("a private_key_jwt client registers its public keys: jwks or jwks_uri")
    if auth_method == "client_secret_jwt" and not client_secrets.available():
        raise AdminError("client_secret_jwt is off in this deployment: it has no CLIENT_SECRET_KEY_ID")
    return {
        "jwks": _jwks(jwks),
        "jwks_uri": _jwks_uri(jwks_uri, tenant),
        "token_endpoint_auth_signing_alg": _signing_alg(values["token_endpoint_auth_signing_alg"], auth_method),
    }


def _jwks(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    try:
        client_jwks.parse(value)
    except ValueError as error:
        raise AdminError(f"jwks: {error}") from None
    return {"keys": [dict(key) for key in value["keys"]]}  # the JWK Set's other members are not kept


def _jwks_uri(value: str | None, tenant: Tenant) -> str | None:
    if value is None:
        return None
    try:
        value = uris.parse(value).text  # RFC 3986's strict syntax
        allowed = TenantSettings.from_mapping(tenant.settings).outbound_allowed_hosts
        outbound.check_registrable(value, outbound.policy_for(allowed))
    except ValueError as error:  # outbound.Refused is one
        raise AdminError(f"jwks_uri: {error}") from None
    return value


def _signing_alg(value: str | None, auth_method: str) -> str | None:
    if value is None:
        return None
    allowed = SIGNING_ALGS.get(auth_method)
    if allowed is None:
        raise AdminError(f"token_endpoint_auth_signing_alg is for {' and '.join(JWT_METHODS)} clients")
    if value not in allowed:
        raise AdminError(f"token_endpoint_auth_signing_alg of a {auth_method} client is {' or '.join(allowed)}")
    return value

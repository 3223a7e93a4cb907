"""The fields of request objects (RFC 9101, OIDC Registration §2): ``request_object_signing_alg``,
``request_uris`` and ``require_signed_request_object``, checked for
``chalicelib.admin.client_fields.validated``.

A client that signs its request objects is checked with its public keys (``jwks`` or
``jwks_uri``, as for private_key_jwt), so naming an algorithm or requiring signatures needs
them. Each request_uri passes the strict URI grammar and the outbound guard's registration
checks (https, no userinfo, no IP literal the provider may not reach); a fragment may stay
(OIDC Registration §2: the hash of the content). Only an algorithm the provider verifies is
accepted: an unsigned request object is the tenant's to allow, for clients that name none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib import outbound, uris
from chalicelib.admin import AdminError
from chalicelib.oidc.request_object import ALGORITHMS
from chalicelib.store.tenants import Tenant
from chalicelib.tenancy.settings import TenantSettings


def request_objects(tenant: Tenant, values: Mapping[str, Any], has_keys: bool) -> dict[str, Any]:
    """The checked request-object fields; AdminError says what is wrong."""
    alg = values["request_object_signing_alg"] or None
    if alg is not None and alg not in ALGORITHMS:
        raise AdminError(f"request_object_signing_alg is one of {', '.join(ALGORITHMS)}")
    required = bool(values["require_signed_request_object"])
    if (alg is not None or required) and not has_keys:
        raise AdminError("a client that signs its request objects registers its public keys: jwks or jwks_uri")
    return {
        "request_object_signing_alg": alg,
        "request_uris": _request_uris(tenant, values["request_uris"]),
        "require_signed_request_object": required,
    }


def _request_uris(tenant: Tenant, values: Sequence[str]) -> tuple[str, ...]:
    allowed = TenantSettings.from_mapping(tenant.settings).outbound_allowed_hosts
    policy = outbound.policy_for(allowed)
    checked = []
    for value in values:
        try:
            parsed = uris.parse(value)
            if parsed.host is None:
                raise ValueError("it must be an absolute URL")
            outbound.check_registrable(parsed.text.partition("#")[0], policy)
        except ValueError as error:  # outbound.Refused is one
            raise AdminError(f"request_uris: {error}") from None
        checked.append(parsed.text)
    return tuple(dict.fromkeys(checked))

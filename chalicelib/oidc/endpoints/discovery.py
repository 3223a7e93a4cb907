"""Provider metadata (OpenID Connect Discovery 1.0 §3, RFC 8414 §2) and the JWKS.

Lists only what works: every value here is exercised by a test over HTTP.
"""

from __future__ import annotations

from typing import Any

from chalicelib.context import Context
from chalicelib.oidc import pkce, response_modes
from chalicelib.oidc.authorize import PROMPTS, RESPONSE_TYPES
from chalicelib.oidc.claims import supported_claims
from chalicelib.oidc.client_auth import METHODS
from chalicelib.oidc.grants import registry
from chalicelib.oidc.scopes import STANDARD_SCOPES


def metadata(ctx: Context) -> dict[str, Any]:
    endpoints = {
        name: ctx.url(name) for name in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri")
    }
    methods = [m for m in pkce.METHODS if m == "S256" or ctx.settings.allow_plain_pkce]
    return {
        "issuer": ctx.issuer,
        **endpoints,
        "scopes_supported": list(STANDARD_SCOPES),
        "response_types_supported": list(RESPONSE_TYPES),
        "response_modes_supported": list(response_modes.MODES),
        "grant_types_supported": list(registry()),
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ctx.tenant.keyring.signing_algorithms,
        "token_endpoint_auth_methods_supported": list(METHODS),
        "claims_supported": supported_claims(),
        "code_challenge_methods_supported": methods,
        "prompt_values_supported": sorted(PROMPTS),
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "authorization_response_iss_parameter_supported": True,
    }


def jwks(ctx: Context) -> dict[str, Any]:
    return ctx.tenant.keyring.jwks()

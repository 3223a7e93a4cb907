"""Claims released by scope (OIDC Core §5.4), from a user's stored standard claims."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.oidc.scopes import STANDARD_SCOPES

ADDRESS_FIELDS = ("formatted", "street_address", "locality", "region", "postal_code", "country")


def claims_for_scopes(
    sub: str, stored: Mapping[str, Any], scopes: tuple[str, ...], updated_at: int | None = None
) -> dict[str, Any]:
    """``sub`` plus every claim the granted scopes release. Empty values are left out
    (OIDC Core §5.3.2: a claim with no value is omitted, not null)."""
    values = dict(stored)
    if updated_at is not None:
        values.setdefault("updated_at", updated_at)
    claims: dict[str, Any] = {"sub": sub}
    for scope in scopes:
        for name in STANDARD_SCOPES[scope].claims if scope in STANDARD_SCOPES else ():
            value = values.get(name)
            if name == "address" and isinstance(value, Mapping):
                value = {key: value[key] for key in ADDRESS_FIELDS if value.get(key)}
            if value not in (None, "", {}, []):
                claims[name] = value
    return claims


def supported_claims() -> list[str]:
    names = ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash"]
    for scope in STANDARD_SCOPES.values():
        names.extend(scope.claims)
    return names

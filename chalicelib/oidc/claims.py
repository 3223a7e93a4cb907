"""Claims released by scope (OIDC Core §5.4), from a user's stored standard claims."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from chalicelib.context import Context
from chalicelib.oidc.errors import InvalidGrant
from chalicelib.oidc.scopes import Scope, tenant_scopes
from chalicelib.store.users import User, get_user

if TYPE_CHECKING:
    from chalicelib.oidc.tokens import Grant

ADDRESS_FIELDS = ("formatted", "street_address", "locality", "region", "postal_code", "country")


def claims_for_scopes(
    sub: str,
    stored: Mapping[str, Any],
    scopes: tuple[str, ...],
    known: Mapping[str, Scope],
    updated_at: int | None = None,
) -> dict[str, Any]:
    """``sub`` plus every claim the granted scopes release. Empty values are left out
    (OIDC Core §5.3.2: a claim with no value is omitted, not null)."""
    values = dict(stored)
    if updated_at is not None:
        values.setdefault("updated_at", updated_at)
    claims: dict[str, Any] = {"sub": sub}
    for scope in scopes:
        for name in known[scope].claims if scope in known else ():
            value = values.get(name)
            if name == "address" and isinstance(value, Mapping):
                value = {key: value[key] for key in ADDRESS_FIELDS if value.get(key)}
            if value not in (None, "", {}, []):
                claims[name] = value
    return claims


def supported_claims(known: Mapping[str, Scope]) -> list[str]:
    names = ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "c_hash", "sid", "acr", "amr"]
    for scope in known.values():
        names.extend(claim for claim in scope.claims if claim not in names)
    return names


def id_token_claims(
    ctx: Context, grant: Grant, always: bool = False, user: User | None = None
) -> dict[str, Any] | None:
    """The scopes' claims for an ID token: all of them when the tenant puts them there
    (OIDC_IDTOKEN_INCLUDE_CLAIMS) or ``always`` (no access token goes with it), else those
    the claims parameter asked for there (OIDC Core §5.5), if the scopes release them.
    One read, unless the caller has just read the ``user``."""
    asked = grant.claims.id_token
    if not (always or ctx.settings.idtoken_include_claims or asked):
        return None
    user = user or get_user(ctx.tenant.id, grant.sub)
    if user is None or not user.accepts(grant.epoch):
        raise InvalidGrant("the user no longer exists")
    released = claims_for_scopes(user.sub, user.claims, grant.scopes, tenant_scopes(ctx.settings), user.updated_at)
    if always or ctx.settings.idtoken_include_claims:
        return released
    return {name: released[name] for name in asked if name in released}

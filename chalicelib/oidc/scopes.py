"""Scopes: the standard OpenID Connect scopes, what each is called on the consent page, and
which claims it releases (OIDC Core §5.4)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from chalicelib.i18n import N_
from chalicelib.oidc.errors import InvalidScope
from chalicelib.tenancy.settings import TenantSettings


@dataclass(frozen=True)
class Scope:
    name: str
    title: str
    description: str
    claims: tuple[str, ...] = ()


STANDARD_SCOPES = {
    scope.name: scope
    for scope in (
        Scope("openid", N_("Sign you in"), N_("Confirm your identity with this provider.")),
        Scope(
            "profile",
            N_("Basic profile"),
            N_("Your name, username, picture, gender, birth date, time zone and locale."),
            (
                "name",
                "family_name",
                "given_name",
                "middle_name",
                "nickname",
                "preferred_username",
                "profile",
                "picture",
                "website",
                "gender",
                "birthdate",
                "zoneinfo",
                "locale",
                "updated_at",
            ),
        ),
        Scope("email", N_("Email"), N_("Your email address and whether it is verified."), ("email", "email_verified")),
        Scope(
            "phone",
            N_("Phone number"),
            N_("Your phone number and whether it is verified."),
            ("phone_number", "phone_number_verified"),
        ),
        Scope("address", N_("Address"), N_("Your postal address."), ("address",)),
    )
}


def parse_scope(value: str | None) -> tuple[str, ...]:
    """Space-separated scope tokens, de-duplicated, in order (RFC 6749 §3.3)."""
    if not value:
        return ()
    seen: dict[str, None] = {}
    for token in value.split(" "):
        if token:
            seen.setdefault(token, None)
    return tuple(seen)


# A client's allowed scopes may name this to be let into the introspection endpoint (the
# seed's convention); it is a permission, never granted to a token.
INTROSPECTION = "token_introspection"


def tenant_scopes(settings: TenantSettings) -> Mapping[str, Scope]:
    """The standard scopes and the tenant's own (extra_scopes)."""
    if not settings.extra_scopes:
        return STANDARD_SCOPES
    extra = {
        name: Scope(name, spec.title, spec.description, spec.claims) for name, spec in settings.extra_scopes.items()
    }
    return {**STANDARD_SCOPES, **extra}


def grantable(requested: tuple[str, ...], allowed: tuple[str, ...], known: Mapping[str, Scope]) -> tuple[str, ...]:
    """The requested scopes this tenant knows and the client may have. Unknown scopes are
    ignored (OIDC Core §3.1.2.1); an empty result is an error (RFC 6749 §3.3). A client
    whose allowed list names no scope (only permissions, say) may have any scope."""
    limits = {scope for scope in allowed if scope in known}
    granted = tuple(scope for scope in requested if scope in known and (not limits or scope in limits))
    if not granted:
        raise InvalidScope("no requested scope can be granted")
    return granted


def describe(scopes: tuple[str, ...], known: Mapping[str, Scope]) -> list[Scope]:
    return [known[name] for name in scopes if name in known]

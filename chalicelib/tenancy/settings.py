"""Per-tenant settings. Each seed (django-oidc-provider) setting keeps its name's meaning
and its default; a tenant record stores only what it overrides."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DAY = 86400
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass(frozen=True)
class Branding:
    """How the tenant's login, consent and error pages look."""

    display_name: str | None = None
    logo_uri: str | None = None
    primary_color: str = "#1f5fbf"

    def __post_init__(self) -> None:
        # These values reach a stylesheet and an <img>; anything else is refused at write.
        if _COLOR.fullmatch(self.primary_color) is None:
            raise ValueError("primary_color must look like #1f5fbf")
        if self.logo_uri is not None and not self.logo_uri.startswith(("https://", "http://")):
            raise ValueError("logo_uri must be an http(s) URL")


@dataclass(frozen=True)
class TenantSettings:
    code_expire: int = 600  # OIDC_CODE_EXPIRE, seconds
    token_expire: int = 3600  # OIDC_TOKEN_EXPIRE: access tokens, seconds
    idtoken_expire: int = 600  # OIDC_IDTOKEN_EXPIRE, seconds
    skip_consent_expire: int = 90  # OIDC_SKIP_CONSENT_EXPIRE, days
    idtoken_include_claims: bool = False  # OIDC_IDTOKEN_INCLUDE_CLAIMS
    # Not in the seed (Django leaves refresh tokens unbounded): rotated on every use, and
    # dead after this long.
    refresh_token_expire: int = 30 * DAY
    # Django's SESSION_COOKIE_AGE default: the OP session lasts two weeks.
    session_expire: int = 14 * DAY
    # How long a login or consent page stays usable after the authorization request.
    interaction_expire: int = 1800
    # RFC 7636 for "public" clients only, or for "all" clients (RFC 9700 §2.1.1).
    require_pkce: str = "public"
    allow_plain_pkce: bool = True
    key_backend: str = "secretsmanager"
    branding: Branding = field(default_factory=Branding)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> TenantSettings:
        """Settings from a stored mapping; unknown names are refused, not ignored."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(values) - names
        if unknown:
            raise ValueError(f"unknown tenant settings: {', '.join(sorted(unknown))}")
        values = dict(values)
        if "branding" in values:
            values["branding"] = Branding(**values["branding"])
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.type == "int" and (not isinstance(value, int) or value <= 0):
                raise ValueError(f"{f.name} must be a positive integer")
            if f.type == "bool" and not isinstance(value, bool):
                raise ValueError(f"{f.name} must be true or false")
        if self.require_pkce not in ("public", "all"):
            raise ValueError("require_pkce must be 'public' or 'all'")
        if self.key_backend not in ("secretsmanager", "kms"):
            raise ValueError("key_backend must be 'secretsmanager' or 'kms'")

"""Tenant ids: lowercase slugs that cannot collide with the app's fixed routes."""

from __future__ import annotations

import re

TENANT_ID = re.compile(r"[a-z0-9][a-z0-9-]{1,62}")

# First path segments used by fixed routes, or likely to be one day.
RESERVED = frozenset(
    {
        "admin",
        "api",
        "assets",
        "health",
        "static",
        "well-known",
        "www",
        "login",
        "logout",
        "oauth",
        "oauth2",
        "openid",
        "default",
    }
)


def is_valid_tenant_id(value: str) -> bool:
    return TENANT_ID.fullmatch(value) is not None and value not in RESERVED

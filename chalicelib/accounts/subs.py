"""A new user's ``sub``: opaque and stable, never the username (a rename keeps it)."""

from __future__ import annotations

from chalicelib import hooks
from chalicelib.opaque import new_id


def new_sub(tenant_id: str, username: str) -> str:
    """A fresh opaque sub, or the deployment's OIDC_IDTOKEN_SUB_GENERATOR's. A sub is a key
    part and is never reassigned, so the hook's value must be unique and stable; ValueError
    if it is not a usable one."""
    sub = hooks.call("generate_sub", None, tenant_id, username)
    if sub is None:
        return new_id()
    if not isinstance(sub, str) or not 1 <= len(sub) <= 255 or not sub.isprintable() or "#" in sub:
        raise ValueError("the generate_sub hook must return 1 to 255 printable characters, without #")
    return sub

"""Opaque random values (codes, tokens, ids) and the digests they are stored under.

The one place that draws randomness for protocol artifacts. Codes and refresh tokens are
stored only as SHA-256 digests, so a copy of the table does not yield usable credentials;
a fast digest suffices because every value carries 256 random bits.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any


def new_token() -> str:
    """A 256-bit random value, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def new_id(nbytes: int = 16) -> str:
    """A shorter random identifier (128 bits by default) for public ids like client_id."""
    return secrets.token_urlsafe(nbytes)


def digest(value: str) -> str:
    """The storage key of a secret value: unpadded base64url SHA-256."""
    return b64url(hashlib.sha256(value.encode()).digest())


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def json_object(data: bytes | str) -> dict[str, Any] | None:
    """A JOSE header or payload (JSON text, or a base64url segment of it when ``data`` is a
    str) as an object; None if it is not one: malformed, nested past the parser's depth
    (RecursionError), or another JSON value."""
    import json

    try:
        value = json.loads(b64url_decode(data) if isinstance(data, str) else data)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def is_numeric_date(value: Any) -> bool:
    """A JWT NumericDate (RFC 7519 §2): a finite number, not a boolean. An int is taken as it
    is, whatever its size (math.isfinite raises OverflowError on one past a float's range;
    ints compare exactly), and a range check of the caller's refuses an absurd one."""
    import math

    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return isinstance(value, int) or math.isfinite(value)

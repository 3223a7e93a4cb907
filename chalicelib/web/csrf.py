"""CSRF tokens for the OP's own forms (login, consent): signed double-submit.

The browser holds a random value in a cookie; each form carries an HMAC of that value under
the tenant's CSRF key. A cross-site page can neither read the cookie nor forge the MAC, and
a cookie planted from a sibling subdomain is useless without the MAC.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping

from chalicelib.i18n import N_
from chalicelib.keys.master import tenant_key
from chalicelib.oidc.errors import InvalidPage
from chalicelib.opaque import b64url, new_token

COOKIE = "op_csrf"
FIELD = "csrf_token"
# What new_token makes (43 base64url characters); a little latitude either way.
_SECRET = re.compile(r"[A-Za-z0-9_-]{20,64}")


def browser_secret(cookies: Mapping[str, str]) -> tuple[str, bool]:
    """The browser's CSRF secret, and whether it is new (and must be set as a cookie)."""
    existing = cookies.get(COOKIE)
    if existing and _SECRET.fullmatch(existing):
        return existing, False
    return new_token(), True


def token_for(tenant_id: str, secret: str) -> str:
    return b64url(hmac.new(tenant_key(tenant_id, "csrf"), secret.encode(), hashlib.sha256).digest())


def is_valid(tenant_id: str, secret: str | None, submitted: str | None) -> bool:
    """Whether ``submitted`` is this browser's token. Both come from the request, so either
    may hold anything: compare_digest takes only ASCII strings, and a secret this module
    did not make is no secret."""
    if not secret or not submitted or not _SECRET.fullmatch(secret) or not submitted.isascii():
        return False
    return hmac.compare_digest(token_for(tenant_id, secret).encode(), submitted.encode())


class CsrfFailure(InvalidPage):
    status = 403

    def __init__(self) -> None:
        super().__init__(N_("this form has expired or was not sent from this site: go back and try again"))

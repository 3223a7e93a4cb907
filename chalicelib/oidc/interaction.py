"""State the browser carries between the steps of an authorization, so no step has to
write a pending request to DynamoDB: signed tickets and the OP session cookie.

A ticket is ``base64url(json).base64url(HMAC-SHA256)`` under a key derived for the tenant
and this purpose; it carries the authorization request's parameters (re-validated at each
step, so a changed client configuration is honoured) and, for the consent step, a one-way
reference to the session it was issued to. Tickets appear in URLs: they carry no credential.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from typing import Any

from chalicelib.context import Context
from chalicelib.i18n import N_
from chalicelib.keys.master import tenant_key
from chalicelib.oidc.errors import InvalidPage
from chalicelib.opaque import b64url, b64url_decode, digest
from chalicelib.store.sessions import session_key

SESSION_COOKIE = "op_session"
_SESSION_COOKIE = re.compile(r"([A-Za-z0-9_-]{32,64})\.([A-Za-z0-9_-]{1,400})")
EXPIRED = N_("this page has expired: start again from the application")
_TICKET = re.compile(r"([A-Za-z0-9_-]{1,16384})\.([A-Za-z0-9_-]{43})")


def seal(ctx: Context, use: str, payload: dict[str, Any]) -> str:
    body = b64url(json.dumps({**payload, "use": use, "iat": ctx.now}, separators=(",", ":")).encode())
    return f"{body}.{_mac(ctx, body)}"


def unseal(ctx: Context, use: str, ticket: str | None) -> dict[str, Any]:
    """The ticket's payload; InvalidPage if it is missing, malformed, forged, for another
    step, or older than the tenant's interaction lifetime."""
    match = _TICKET.fullmatch(ticket or "")
    if match is None or not hmac.compare_digest(match.group(2), _mac(ctx, match.group(1))):
        raise InvalidPage(EXPIRED)
    payload = json.loads(b64url_decode(match.group(1)))
    age = ctx.now - payload.get("iat", 0)
    if payload.get("use") != use or not 0 <= age <= ctx.settings.interaction_expire:
        raise InvalidPage(EXPIRED)
    return payload


def session_cookie(credential: str, sub: str) -> str:
    """The cookie carries the session's credential and its user: the sub lets one transaction
    read the session and the user's consent together. The sub is not secret, and one that
    does not match the stored session voids the cookie."""
    return f"{credential}.{b64url(sub.encode())}"


def parse_session_cookie(value: str | None) -> tuple[str, str] | None:
    """The session's key (never the credential itself: nothing past the boundary needs it)
    and the sub, from a well-formed cookie; None for anything else."""
    match = _SESSION_COOKIE.fullmatch(value or "")
    if match is None:
        return None
    try:
        sub = b64url_decode(match.group(2)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    return session_key(match.group(1)), sub


def _mac(ctx: Context, body: str) -> str:
    key = tenant_key(ctx.tenant.id, "interaction")
    return b64url(hmac.new(key, body.encode("ascii"), hashlib.sha256).digest())


def public_sid(key: str) -> str:
    """The session's id as RPs see it (the ``sid`` claim, front- and back-channel logout),
    and as codes and grants remember it: a one-way function of the session's key, itself a
    one-way function of the credential, so neither an RP nor a copy of the table can rebuild
    an OP session from it."""
    return digest("public-sid:" + key)[:32]


def ticket_reference(key: str) -> str:
    """How a consent ticket names the session it was issued to: a one-way reference that the
    browser's own cookie must match. A ticket travels in URLs (history, access logs), so it
    carries no credential, and not even the session's storage key."""
    return digest("consent-ticket:" + key)[:32]

"""State the browser carries between the steps of an authorization, so no step has to
write a pending request to DynamoDB: signed tickets and the OP session cookie.

A ticket is ``base64url(json).base64url(HMAC-SHA256)`` under a key derived for the tenant
and this purpose; it carries the authorization request's parameters (re-validated at each
step, so a changed client configuration is honoured) and, for the consent step, the
session it was issued to.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from chalicelib.context import Context
from chalicelib.keys.master import tenant_key
from chalicelib.oidc.errors import InvalidPage
from chalicelib.opaque import b64url, b64url_decode, digest

SESSION_COOKIE = "op_session"


def seal(ctx: Context, use: str, payload: dict[str, Any]) -> str:
    body = b64url(json.dumps({**payload, "use": use, "iat": ctx.now}, separators=(",", ":")).encode())
    return f"{body}.{_mac(ctx, body)}"


def unseal(ctx: Context, use: str, ticket: str | None) -> dict[str, Any]:
    """The ticket's payload; InvalidPage if it is missing, forged, for another step, or
    older than the tenant's interaction lifetime."""
    # A ticket is ASCII (base64url and a dot); compare_digest raises on any other str.
    if not ticket or ticket.count(".") != 1 or not ticket.isascii():
        raise InvalidPage("this page has expired: start again from the application")
    body, mac = ticket.split(".")
    if not hmac.compare_digest(mac, _mac(ctx, body)):
        raise InvalidPage("this page has expired: start again from the application")
    payload = json.loads(b64url_decode(body))
    age = ctx.now - payload.get("iat", 0)
    if payload.get("use") != use or not 0 <= age <= ctx.settings.interaction_expire:
        raise InvalidPage("this page has expired: start again from the application")
    return payload


def session_cookie(sid: str, sub: str) -> str:
    """The cookie names the session and its user: the sub lets one transaction read the
    session and the user's consent together. Not secret: the random sid is the credential,
    and a sub that does not match the stored session voids the cookie."""
    return f"{sid}.{b64url(sub.encode())}"


def parse_session_cookie(value: str | None) -> tuple[str, str] | None:
    if not value or value.count(".") != 1:
        return None
    sid, encoded_sub = value.split(".")
    try:
        return sid, b64url_decode(encoded_sub).decode()
    except (ValueError, UnicodeDecodeError):
        return None


def _mac(ctx: Context, body: str) -> str:
    key = tenant_key(ctx.tenant.id, "interaction")
    return b64url(hmac.new(key, body.encode("ascii"), hashlib.sha256).digest())


def public_sid(sid: str) -> str:
    """The session's id as RPs see it (the ``sid`` claim, front- and back-channel logout).
    The cookie's sid is the session's credential and never leaves the browser and the OP;
    this is a one-way function of it, so an RP cannot forge an OP session from it."""
    return digest("public-sid:" + sid)[:32]

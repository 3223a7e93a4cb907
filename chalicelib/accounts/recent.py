"""Recent authentication (OWASP ASVS 3.7.1): a sensitive change to an account (removing the
authenticator app, renewing recovery codes, adding or removing a passkey) goes ahead on a
sign-in of the last five minutes, else on the password typed again, so whoever finds a
signed-in browser cannot take the account. The account page (``chalicelib.account``) and
the passkeys page (``chalicelib.oidc.endpoints.passkey_page``) apply this one rule.

A password typed again is a login attempt: counted per account, per this browser and per
source (``login_attempts_per_*``) before it is checked, so such a page is no oracle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from chalicelib.accounts import authenticate, devices
from chalicelib.context import Context

# How long after signing in a session may make a sensitive change without the password again.
RECENT = 300


def recent(auth_time: int, now: int) -> bool:
    """Whether a session that signed in at ``auth_time`` did so in the last ``RECENT`` seconds."""
    return 0 <= now - auth_time <= RECENT


@dataclass(frozen=True)
class Refusal:
    """The password typed again was not accepted: ``wait`` seconds when the limits refused
    it before it was checked, else None (wrong or missing)."""

    wait: int | None = None


def confirm_password(
    ctx: Context, username: str, sub: str, password: str, cookies: Mapping[str, str]
) -> Refusal | None:
    """None if ``password`` is the password of the account ``username`` whose user is ``sub``;
    else why not."""
    if not password:
        return Refusal()
    attempt = authenticate.attempt(ctx.tenant.id, username, ctx.source)
    lifetime = ctx.settings.device_trust_expire * 86400
    device = devices.recognize(ctx.tenant.id, attempt.username, cookies.get(devices.COOKIE), ctx.now, lifetime)
    login = authenticate.authenticate(replace(attempt, device=device), password, ctx.settings, ctx.now)
    if isinstance(login, authenticate.Limited):
        return Refusal(login.retry_after)
    if login is None or login.sub != sub:
        return Refusal()
    return None

"""Who is at the account page, and the page itself.

The page acts for the user of this browser's OP session: one transaction reads the session
and the user (live, the user's, the user still at the session's epoch: ``may_act``), then a
consistent read of the profile gives the version a password change is written against.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.account import url
from chalicelib.accounts import factors
from chalicelib.accounts import recent as recent_sign_in
from chalicelib.context import Context
from chalicelib.i18n import N_
from chalicelib.oidc import interaction
from chalicelib.oidc.results import Cookie, Page
from chalicelib.store import authorizations, users
from chalicelib.store import console as listing
from chalicelib.store.factors import list_factors
from chalicelib.store.sessions import Session
from chalicelib.store.users import User

# How long after signing in a session may remove a factor or renew recovery codes without
# the password again (OWASP ASVS 3.7.1: re-authenticate before sensitive changes).
RECENT = recent_sign_in.RECENT
# What a finished action says on the page it returns to, by the ``done`` its redirect names.
NOTICES = {
    "password-changed": N_("Your password is changed. Your other sessions have ended."),
    "totp-enrolled": N_("Two-step verification is on."),
    "totp-removed": N_("Your authenticator app is removed."),
    "session-ended": N_("The session has ended."),
    "sessions-ended": N_("Your other sessions have ended."),
    "consent-withdrawn": N_("The application can no longer act for you."),
}


@dataclass(frozen=True)
class Holder:
    """The signed-in user at the page, and the session they came with."""

    session: Session
    user: User

    def recent(self, now: int) -> bool:
        return recent_sign_in.recent(self.session.auth_time, now)


def signed_in(ctx: Context, cookies: Mapping[str, str]) -> Holder | None:
    parsed = interaction.parse_session_cookie(cookies.get(interaction.SESSION_COOKIE))
    if parsed is None:
        return None
    key, sub = parsed
    # The transaction reads a consent too; no client's: "-" names none.
    session, _ = authorizations.load_session_and_consent(ctx.tenant.id, key, sub, "-", ctx.now)
    if session is None:
        return None
    user = users.get_user(ctx.tenant.id, sub, consistent=True)
    return Holder(session, user) if user is not None and user.accepts(session.epoch) else None


def live_sessions(ctx: Context, holder: Holder) -> list[Session]:
    """The user's sessions that still act for them (one from before a password change or a
    disabling is dead, whether or not TTL has removed it yet)."""
    return [s for s in listing.user_sessions(ctx.tenant.id, holder.user.sub, ctx.now) if holder.user.accepts(s.epoch)]


def page(
    ctx: Context,
    holder: Holder,
    done: str | None = None,
    error: dict[str, Any] | None = None,
    status: int = 200,
    cookies: tuple[Cookie, ...] = (),
) -> Page:
    user, now = holder.user, ctx.now
    found = list_factors(ctx.tenant.id, user.sub)
    context = {
        "account": {"username": user.username, "name": user.claims.get("name"), "email": user.claims.get("email")},
        "action": url(ctx.issuer),
        "enrol_url": url(ctx.issuer, "/totp"),
        "passkeys_url": f"{ctx.issuer}/passkeys",
        # RP-initiated logout with no RP: the provider's own confirmation, then signed out.
        "sign_out_url": ctx.url("end_session_endpoint"),
        "recent": holder.recent(now),
        "totp": factors.has_totp(found),
        "totp_offered": ctx.settings.mfa_policy != "off",
        "recovery_left": factors.remaining_recovery_codes(found),
        "sessions": [_session_row(ctx, holder, session) for session in live_sessions(ctx, holder)],
        "applications": _applications(ctx, user.sub),
        "notice": NOTICES.get(done or ""),
        "error": error,
    }
    return Page("account/index.html", context, status=status, cookies=cookies)


def _session_row(ctx: Context, holder: Holder, session: Session) -> dict[str, Any]:
    return {
        "sid": interaction.public_sid(session.key),
        "created_at": session.created_at,
        "auth_time": session.auth_time,
        "two_step": factors.MULTI_FACTOR in session.amr,
        "applications": [_client_name(ctx, client_id) for client_id in sorted(session.clients)],
        "current": session.key == holder.session.key,
    }


def _applications(ctx: Context, sub: str) -> list[dict[str, Any]]:
    return [
        {
            "client_id": consent.client_id,
            "name": _client_name(ctx, consent.client_id),
            "scopes": consent.scopes,
            "given_at": consent.given_at,
        }
        for consent in sorted(listing.user_consents(ctx.tenant.id, sub, ctx.now), key=lambda c: -c.given_at)
    ]


def _client_name(ctx: Context, client_id: str) -> str:
    client = ctx.client(client_id)
    return client.name if client is not None and client.name else client_id

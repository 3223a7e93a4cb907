"""When a sign-in needs a second factor, and the state it carries until the factor is given.

Between the password (or an existing, weaker session) and the second factor the user is
half signed in: no session exists yet. That state lives in the browser, not in the table:

- a cookie ``op_mfa`` holds it sealed (AES-256-GCM under a key of the tenant's): the user,
  their epoch, how they authenticated so far, during enrolment the new TOTP secret shown on
  the page, and a random nonce. Nobody can read or forge it; it lasts ``LIFETIME`` seconds;
- the page's ticket (in its URL and form) carries the authorization request and a one-way
  reference to that nonce: a ticket works only in the browser that holds the cookie, and
  neither carries a credential alone.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace

from chalicelib.accounts import factors
from chalicelib.context import Context
from chalicelib.keys import sealed
from chalicelib.oidc import acr, interaction
from chalicelib.oidc.authorize import AuthorizationRequest
from chalicelib.oidc.errors import InvalidPage
from chalicelib.oidc.results import Cookie, Redirect
from chalicelib.opaque import digest, new_token
from chalicelib.store.factors import WEBAUTHN, list_factors
from chalicelib.store.sessions import Session
from chalicelib.store.users import get_user

COOKIE = "op_mfa"
PURPOSE = "mfa-pending"
LIFETIME = 600  # seconds from the password to the second factor (enrolment included)
EXPIRED = "this page has expired: start again from the application"


@dataclass(frozen=True)
class Pending:
    """A sign-in waiting for its second factor."""

    sub: str
    epoch: int
    account: str  # the username: the label of the authenticator app's entry
    nonce: str
    issued_at: int
    amr: tuple[str, ...] = acr.PASSWORD_AMR
    secret: str | None = None  # enrolment: the TOTP secret the page shows
    done: bool = False  # the second factor was given (enrolment: the recovery codes are shown)


def seal_pending(ctx: Context, pending: Pending) -> Cookie:
    value = sealed.seal(ctx.tenant.id, PURPOSE, json.dumps(asdict(pending), separators=(",", ":")).encode())
    return Cookie(COOKIE, value, max_age=LIFETIME)


def ticket_for(ctx: Context, request: AuthorizationRequest, pending: Pending) -> str:
    return interaction.seal(ctx, "mfa", {"p": request.params, "ref": _reference(pending.nonce)})


def open_pending(ctx: Context, ticket: str | None, cookies: Mapping[str, str]) -> tuple[dict, Pending]:
    """The ticket's payload and the browser's pending sign-in it was issued for; InvalidPage
    if either is missing, forged, expired, or they do not belong together."""
    payload = interaction.unseal(ctx, "mfa", ticket)
    plaintext = sealed.unseal(ctx.tenant.id, PURPOSE, cookies.get(COOKIE, ""))
    if plaintext is None:
        raise InvalidPage(EXPIRED)
    values = json.loads(plaintext)
    pending = Pending(**{**values, "amr": tuple(values["amr"])})
    if payload.get("ref") != _reference(pending.nonce) or not 0 <= ctx.now - pending.issued_at <= LIFETIME:
        raise InvalidPage(EXPIRED)
    return payload, pending


def _reference(nonce: str) -> str:
    return digest("mfa-ticket:" + nonce)[:32]


def second_step(
    ctx: Context, request: AuthorizationRequest, sub: str, amr: tuple[str, ...]
) -> tuple[str, list[factors.Factor]] | None:
    """What a user authenticated by ``amr`` must still do for ``request``: ``"verify"`` a
    factor they have, ``"enrol"`` one (the tenant requires it, or the RP asks for
    multi-factor strength and the tenant offers it), or nothing (None). One Query, and
    none at all on a tenant with second factors off."""
    if ctx.settings.mfa_policy == "off" or acr.level_of(amr) >= acr.LEVELS[acr.MULTI_FACTOR]:
        return None
    found = list_factors(ctx.tenant.id, sub)
    if has_second_factor(found):
        return "verify", found
    if acr.needs_step_up(request.acr_values, amr, ctx.settings.mfa_policy):
        return "enrol", found
    return None


def redirect(
    ctx: Context, request: AuthorizationRequest, step: str, pending: Pending, cookies: tuple[Cookie, ...] = ()
) -> Redirect:
    """To the second-factor page, with the pending sign-in sealed in its cookie."""
    from chalicelib.oidc.flow import page_url

    if step == "enrol":
        pending = replace(pending, secret=factors.new_secret())
    return Redirect(
        page_url(ctx, "mfa", ticket_for(ctx, request, pending)), cookies=(seal_pending(ctx, pending), *cookies)
    )


def new_pending(ctx: Context, sub: str, epoch: int, account: str, amr: tuple[str, ...]) -> Pending:
    return Pending(sub=sub, epoch=epoch, account=account, nonce=new_token(), issued_at=ctx.now, amr=amr)


def needs_step_up(ctx: Context, request: AuthorizationRequest, session: Session) -> bool:
    """A live session weaker than the request (``acr_values``) or the tenant (required)
    accepts."""
    return acr.needs_step_up(request.acr_values, session.amr, ctx.settings.mfa_policy)


def step_up(ctx: Context, request: AuthorizationRequest, session: Session) -> Redirect:
    """Ask the holder of a weaker session for the second factor (or to enrol one)."""
    decided = second_step(ctx, request, session.sub, session.amr)
    step = decided[0] if decided else "enrol"
    user = get_user(ctx.tenant.id, session.sub) if step == "enrol" else None
    pending = new_pending(ctx, session.sub, session.epoch, user.username if user else "", session.amr)
    return redirect(ctx, request, step, pending)


def second_factor_expected(ctx: Context, sub: str) -> bool:
    """Whether this user signs in with a second factor (the password grant cannot ask
    for one, so it refuses such a user)."""
    if ctx.settings.mfa_policy == "off":
        return False
    return ctx.settings.mfa_policy == "required" or has_second_factor(list_factors(ctx.tenant.id, sub))


def has_second_factor(found: list[factors.Factor]) -> bool:
    """An authenticator app or a passkey (recovery codes alone are no factor to ask for)."""
    return factors.has_totp(found) or any(factor.method == WEBAUTHN for factor in found)

"""Passkeys in the sign-in: the challenge a page offers, and checking the answer.

A page that offers a passkey ceremony gets a fresh challenge and sets it, sealed, in the
``op_webauthn`` cookie (HttpOnly, five minutes); the page's script hands the browser's
answer back in a form field of the page's ordinary CSRF-protected form. Checking an answer
counts it first under the second-factor limits (per source, and per the account the answer
names), then verifies it (``chalicelib.accounts.passkeys``) and records the use in one
conditional write that also holds the user to ``may_act``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from chalicelib import events
from chalicelib.accounts import passkeys
from chalicelib.accounts.passkeys import Challenge
from chalicelib.context import Context
from chalicelib.i18n import N_
from chalicelib.limits import factors as limits
from chalicelib.oidc.results import Cookie
from chalicelib.store import passkeys as store
from chalicelib.store.factors import Factor
from chalicelib.store.users import get_user

COOKIE = "op_webauthn"
# A registration challenge issued right after the password was typed again on the passkeys
# page: besides the ceremony, it shows that page the password was confirmed when it was
# issued (chalicelib.accounts.recent), for as long as it lives.
CONFIRMED = "register-confirmed"
REFUSED = N_("That passkey was not accepted. Try again, or use another way to sign in.")
NO_ANSWER = "(none)"  # the account counted for answers that name none


@dataclass(frozen=True)
class Offer:
    """What a page needs to offer a ceremony: the options for its script, and the cookie."""

    options: str
    cookie: Cookie


@dataclass(frozen=True)
class SignedIn:
    sub: str
    epoch: int
    amr: tuple[str, ...]


@dataclass(frozen=True)
class Refused:
    wait: int | None = None  # seconds, when the limit refused before anything was checked


def offered(ctx: Context) -> bool:
    """Passkeys are offered where the tenant has second factors (``mfa_policy`` optional or
    required): a passkey signs in with two factors, and a tenant with them off promises its
    RPs password sign-ins only (its discovery lists no multi-factor ``acr``)."""
    return ctx.settings.mfa_policy != "off"


def challenge_for(
    ctx: Context, use: str, sub: str | None = None, issued_ms: int | None = None
) -> tuple[Challenge, Cookie]:
    # Milliseconds within the request's second: two pages served in one second get ordered
    # challenges (the credential accepts only challenges issued after the last it answered).
    now_ms = ctx.now * 1000 + time.time_ns() // 1_000_000 % 1000
    challenge = passkeys.new_challenge(use, issued_ms or now_ms, sub)
    return challenge, Cookie(COOKIE, passkeys.seal_challenge(ctx.tenant.id, challenge), max_age=passkeys.LIFETIME)


def offer_sign_in(ctx: Context, use: str, allowed: Sequence[Factor] = (), sub: str | None = None) -> Offer:
    """Options for ``navigator.credentials.get()``: usernameless on the login page
    (``use="login"``), the user's own passkeys as a second factor (``use="mfa"``)."""
    challenge, cookie = challenge_for(ctx, use, sub)
    return Offer(passkeys.request_options(ctx.issuer, challenge, list(allowed)), cookie)


def offer_registration(
    ctx: Context, sub: str, username: str, existing: list[Factor], confirmed_ms: int | None = None
) -> Offer:
    """Options for ``navigator.credentials.create()``. ``confirmed_ms``: when the password
    was confirmed (a CONFIRMED challenge that expires when that confirmation does)."""
    use = CONFIRMED if confirmed_ms else "register"
    challenge, cookie = challenge_for(ctx, use, sub, confirmed_ms)
    rp_name = ctx.settings.branding.display_name or ctx.tenant.name
    return Offer(passkeys.creation_options(ctx.issuer, rp_name, sub, username, challenge, existing), cookie)


def check_sign_in(
    ctx: Context, credential: str, cookies: Mapping[str, str], use: str, expected: tuple[str, int] | None = None
) -> SignedIn | Refused:
    """The user an answer from the browser proves, with how (``amr``); or Refused. For a
    second factor, ``expected`` is the (sub, epoch) of the password already given: the
    passkey must be that user's."""
    claimed = passkeys.claimed_user(credential)
    counted = expected[0] if expected else (claimed[0] if claimed else NO_ANSWER)
    wait = limits.admit(ctx.tenant.id, counted, ctx.source, ctx.settings, ctx.now)
    if wait is not None:
        events.emit("passkey_limited", ctx.tenant.id, use=use)
        return Refused(wait)
    challenge = passkeys.open_challenge(ctx.tenant.id, cookies.get(COOKIE, ""), use, ctx.now, expected and expected[0])
    if claimed is None or challenge is None or (expected and claimed[0] != expected[0]):
        return _refused(ctx, use)
    sub, credential_id = claimed
    epoch = expected[1] if expected else _epoch_of(ctx, sub)
    passkey = store.get_passkey(ctx.tenant.id, sub, credential_id) if epoch is not None else None
    verified = (
        passkeys.authenticate(ctx.tenant.id, ctx.issuer, credential, challenge, passkey, sub) if passkey else None
    )
    if verified is None or not store.use_passkey(
        ctx.tenant.id, sub, epoch, passkey, verified.sign_count, challenge.issued_ms, ctx.now
    ):
        return _refused(ctx, use, sub)
    return SignedIn(sub, epoch, passkeys.amr(passkey))


def confirmation(ctx: Context, cookies: Mapping[str, str], sub: str) -> int | None:
    """When the password was confirmed on the passkeys page (ms), if this browser's challenge
    says it was, for ``sub``, and has not expired."""
    challenge = passkeys.open_challenge(ctx.tenant.id, cookies.get(COOKIE, ""), CONFIRMED, ctx.now, sub)
    return challenge.issued_ms if challenge is not None else None


def check_registration(
    ctx: Context,
    credential: str,
    cookies: Mapping[str, str],
    sub: str,
    epoch: int,
    uses: tuple[str, ...] = ("register",),
) -> Factor | Refused:
    """Store the passkey a browser's ``navigator.credentials.create()`` answer registers for
    ``sub`` (counted like a sign-in: a script must not fill the table), against a challenge
    issued for one of ``uses``; or Refused."""
    wait = limits.admit(ctx.tenant.id, sub, ctx.source, ctx.settings, ctx.now)
    if wait is not None:
        events.emit("passkey_limited", ctx.tenant.id, use="register")
        return Refused(wait)
    opened = (passkeys.open_challenge(ctx.tenant.id, cookies.get(COOKIE, ""), use, ctx.now, sub) for use in uses)
    challenge = next((found for found in opened if found is not None), None)
    if challenge is None or len(store.list_passkeys(ctx.tenant.id, sub)) >= store.MAX_PER_USER:
        return _refused(ctx, "register", sub)
    added = passkeys.register(ctx.tenant.id, ctx.issuer, sub, epoch, credential, challenge, ctx.now)
    if added is None:
        return _refused(ctx, "register", sub)
    events.emit("mfa_enrolled", ctx.tenant.id, sub=sub, method="webauthn", device_bound=added.device_bound)
    return added


def _epoch_of(ctx: Context, sub: str) -> int | None:
    user = get_user(ctx.tenant.id, sub)
    return user.epoch if user is not None and user.active else None


def _refused(ctx: Context, use: str, sub: str | None = None) -> Refused:
    events.emit("passkey_failed", ctx.tenant.id, use=use, **({"sub": sub} if sub else {}))
    return Refused()


def forget(cookie_name: str = COOKIE) -> Cookie:
    return Cookie(cookie_name, None)

"""Second factors: TOTP (RFC 6238) authenticator apps and single-use recovery codes.

The TOTP secret is generated here, shown once to the user (a QR code and its text), and
stored only sealed (AES-256-GCM under a key of the tenant's, bound to the user by the
purpose). A code is accepted for the current 30-second step or the one on either side (clock
drift, RFC 6238 §5.2), and each step once: the store keeps the last step used, conditionally.

Recovery codes are 10 random codes of 50 bits each, shown once; the store keeps keyed digests
(HMAC under a key of the tenant's, so a copy of the table cannot even be brute-forced
offline), and spends one by removing its digest in the write that checks it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from chalicelib.keys import sealed
from chalicelib.keys.master import tenant_key
from chalicelib.opaque import b64url
from chalicelib.store import factors as store
from chalicelib.store.factors import RECOVERY, TOTP, Factor

STEP = 30  # seconds (RFC 6238 §4: X = 30 is the recommended default)
DRIFT = 1  # steps accepted either side of the current one
RECOVERY_CODES = 10
_TOTP_CODE = re.compile(r"[0-9]{6}")
_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"
_RECOVERY = re.compile(r"[a-z2-7]{10}")

# RFC 8176 §2 authentication method references.
PASSWORD = "pwd"
OTP = "otp"
MULTI_FACTOR = "mfa"


@dataclass(frozen=True)
class Enrolment:
    """A confirmed authenticator app: the recovery codes to show the user, once."""

    recovery_codes: tuple[str, ...]


def new_secret() -> str:
    """A 160-bit secret (RFC 4226 §4's recommended length), base32 as apps expect it."""
    import pyotp

    return pyotp.random_base32(32)


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The ``otpauth://`` URI an authenticator app scans (Key Uri Format)."""
    import pyotp

    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def seal_secret(tenant_id: str, sub: str, secret: str) -> str:
    return sealed.seal(tenant_id, f"totp/{sub}", secret.encode())


def open_secret(tenant_id: str, sub: str, value: str) -> str | None:
    plaintext = sealed.unseal(tenant_id, f"totp/{sub}", value)
    return plaintext.decode() if plaintext is not None else None


def matching_step(secret: str, code: str, now: int) -> int | None:
    """The time step whose code ``code`` is, within the allowed drift; None if none is.
    Every candidate is compared in constant time."""
    if _TOTP_CODE.fullmatch(code) is None:
        return None
    import pyotp

    totp, current = pyotp.TOTP(secret), now // STEP
    found = None
    for step in range(current - DRIFT, current + DRIFT + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def normalize_code(code: str) -> str:
    """What the user typed, as compared: spaces and dashes dropped, lower case."""
    return re.sub(r"[\s-]", "", code[:64]).lower()


def new_recovery_codes() -> tuple[str, ...]:
    return tuple("".join(secrets.choice(_BASE32) for _ in range(10)) for _ in range(RECOVERY_CODES))


def shown(code: str) -> str:
    """A recovery code as the page shows it: two groups of five."""
    return f"{code[:5]}-{code[5:]}"


def recovery_digest(tenant_id: str, sub: str, code: str) -> str:
    mac = hmac.new(tenant_key(tenant_id, "recovery-codes"), f"{sub}\x00{code}".encode(), hashlib.sha256)
    return b64url(mac.digest())


def enrol(tenant_id: str, sub: str, epoch: int, secret: str, code: str, now: int) -> Enrolment | None:
    """Store the app whose ``secret`` the user was shown, if ``code`` is its code now (the
    user's app works), with new recovery codes. None if the code is wrong, or if the user
    has an app already (a second tab, a replay) or may no longer act."""
    step = matching_step(secret, normalize_code(code), now)  # "123 456" as some apps show it
    if step is None:
        return None
    codes = new_recovery_codes()
    digests = {recovery_digest(tenant_id, sub, one) for one in codes}
    if not store.enrol_totp(tenant_id, sub, epoch, seal_secret(tenant_id, sub, secret), step, digests, now):
        return None
    return Enrolment(tuple(shown(one) for one in codes))


def has_totp(factors: list[Factor]) -> bool:
    return any(factor.method == TOTP for factor in factors)


def verify(tenant_id: str, sub: str, factors: list[Factor], code: str, now: int) -> str | None:
    """Which factor ``code`` proves (``"totp"`` or ``"recovery"``), spending it; None when
    it proves none. Six digits are an app's code; anything else is tried as a recovery code."""
    typed = normalize_code(code)
    if _TOTP_CODE.fullmatch(typed):
        app = next((factor for factor in factors if factor.method == TOTP and factor.secret), None)
        secret = open_secret(tenant_id, sub, app.secret) if app and app.secret else None
        step = matching_step(secret, typed, now) if secret else None
        return TOTP if step is not None and store.use_totp_step(tenant_id, sub, step) else None
    if _RECOVERY.fullmatch(typed) is None or not any(factor.method == RECOVERY for factor in factors):
        return None
    return RECOVERY if store.use_recovery_code(tenant_id, sub, recovery_digest(tenant_id, sub, typed)) else None


def remaining_recovery_codes(factors: list[Factor]) -> int:
    return sum(len(factor.codes) for factor in factors if factor.method == RECOVERY)

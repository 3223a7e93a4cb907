"""Passkeys (WebAuthn Level 2): the registration and authentication ceremonies, verified by
Duo Labs' ``webauthn`` library (imported only by the requests that run a ceremony).

- The relying party is the provider itself: RP ID = the issuer's host, origin = the
  issuer's origin (§5.1.3 / §7.1 step 9 check both). Every tenant of a deployment shares
  them, so the user handle alone never finds a user: the credential is looked up in the
  tenant whose page asked for it, under the sub the handle names.
- The user handle is the user's ``sub`` (opaque, never the username; WebAuthn §14.6.1): a
  discoverable credential tells the provider whose it is without a username typed.
- Challenges are 32 random bytes, sealed with their issue time (ms), their use and, where a
  user is known, the sub into a short-lived HttpOnly cookie (``seal_challenge``): bound to
  the browser that asked, never in a URL, and used once because the credential remembers
  the issue time of the last challenge it answered (``chalicelib.store.passkeys``).
- User verification is required in both ceremonies: a passkey proves possession of the
  key and the user's PIN or biometric on the device, two factors (see ``amr``).
- A counter that does not increase (when either value is non-zero) is a cloned
  authenticator (§6.1.1): the library refuses it, and the store's conditional write refuses
  the loser of two uses of one counter value.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from chalicelib.keys import sealed
from chalicelib.opaque import b64url, b64url_decode
from chalicelib.store import passkeys as store
from chalicelib.store.factors import WEBAUTHN, Factor

PURPOSE = "webauthn-challenge"
LIFETIME = 300  # seconds from the page to the authenticator's answer
TIMEOUT_MS = 120_000  # what the browser is told (a hint)
MAX_CREDENTIAL = 16 * 1024  # a credential's JSON: attestation "none" needs ~1 KiB

# RFC 8176 §2: proof of possession of a hardware-secured key (a device-bound passkey) or of a
# software-secured one (a synced passkey: its private key leaves the device, so "hwk" would
# overstate it); "user": the user was present; "mfa": with user verification (a PIN or a
# biometric the device checked), possession and knowledge/inherence together. Which of
# "pin", "fpt", "face" it was the authenticator does not say without attestation, so none
# of them is claimed.
HARDWARE_KEY, SOFTWARE_KEY, PRESENCE, MULTI_FACTOR = "hwk", "swk", "user", "mfa"


@dataclass(frozen=True)
class Challenge:
    value: str  # base64url of 32 random bytes
    issued_ms: int
    use: str  # "login", "mfa", "register"
    sub: str | None = None


@dataclass(frozen=True)
class Verified:
    """A passkey that answered a challenge."""

    sub: str
    passkey: Factor
    sign_count: int


def relying_party(issuer: str) -> tuple[str, str]:
    """(RP ID, origin) for the issuer: its host, and its scheme, host and port."""
    parts = urlsplit(issuer)
    return parts.hostname or "", f"{parts.scheme}://{parts.netloc}"


def new_challenge(use: str, now_ms: int, sub: str | None = None) -> Challenge:
    return Challenge(b64url(secrets.token_bytes(32)), now_ms, use, sub)


def seal_challenge(tenant_id: str, challenge: Challenge) -> str:
    values = {"c": challenge.value, "t": challenge.issued_ms, "u": challenge.use, "s": challenge.sub}
    return sealed.seal(tenant_id, PURPOSE, json.dumps(values, separators=(",", ":")).encode())


def open_challenge(tenant_id: str, value: str, use: str, now: int, sub: str | None = None) -> Challenge | None:
    """The browser's challenge for ``use`` (and ``sub``), if it is one and still fresh."""
    plaintext = sealed.unseal(tenant_id, PURPOSE, value)
    if plaintext is None:
        return None
    values = json.loads(plaintext)
    challenge = Challenge(values["c"], values["t"], values["u"], values["s"])
    if challenge.use != use or challenge.sub != sub or not 0 <= now - challenge.issued_ms // 1000 <= LIFETIME:
        return None
    return challenge


def amr(passkey: Factor) -> tuple[str, ...]:
    """How a passkey (with user verification) authenticates, in RFC 8176 values."""
    return (HARDWARE_KEY if passkey.device_bound else SOFTWARE_KEY, PRESENCE, MULTI_FACTOR)


def creation_options(
    issuer: str, rp_name: str, sub: str, username: str, challenge: Challenge, existing: list[Factor]
) -> str:
    """``PublicKeyCredentialCreationOptions`` as JSON for the page's script: a discoverable
    credential with user verification, no attestation (we trust no vendor list, so asking
    for one would only reveal the user's device), the user's passkeys excluded."""
    from webauthn import generate_registration_options, options_to_json
    from webauthn.helpers.structs import (
        AuthenticatorSelectionCriteria,
        PublicKeyCredentialDescriptor,
        ResidentKeyRequirement,
        UserVerificationRequirement,
    )

    options = generate_registration_options(
        rp_id=relying_party(issuer)[0],
        rp_name=rp_name,
        user_id=sub.encode(),
        user_name=username or sub,
        challenge=b64url_decode(challenge.value),
        timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=b64url_decode(one.credential_id)) for one in existing],
    )
    return options_to_json(options)


def request_options(issuer: str, challenge: Challenge, allowed: list[Factor]) -> str:
    """``PublicKeyCredentialRequestOptions`` as JSON: no credentials listed (the browser
    offers the discoverable ones: usernameless) or the user's (a second factor)."""
    from webauthn import generate_authentication_options, options_to_json
    from webauthn.helpers.structs import PublicKeyCredentialDescriptor, UserVerificationRequirement

    options = generate_authentication_options(
        rp_id=relying_party(issuer)[0],
        challenge=b64url_decode(challenge.value),
        timeout=TIMEOUT_MS,
        user_verification=UserVerificationRequirement.REQUIRED,
        allow_credentials=[PublicKeyCredentialDescriptor(id=b64url_decode(one.credential_id)) for one in allowed],
    )
    return options_to_json(options)


def registerable(sub: str) -> bool:
    """A user handle is at most 64 bytes (§5.4.3); subs from a deployment's hook may be longer."""
    return 0 < len(sub.encode()) <= 64


def register(
    tenant_id: str, issuer: str, sub: str, epoch: int, credential: str, challenge: Challenge, now: int
) -> Factor | None:
    """Verify a ``navigator.credentials.create()`` answer to ``challenge`` and store the
    passkey; None if it does not verify, or the user already has it or may no longer act."""
    if not registerable(sub) or len(credential) > MAX_CREDENTIAL:
        return None
    from webauthn import verify_registration_response
    from webauthn.helpers.structs import CredentialDeviceType

    rp_id, origin = relying_party(issuer)
    try:
        parsed = _parsed_registration(credential)
        result = verify_registration_response(
            credential=parsed,
            expected_challenge=b64url_decode(challenge.value),
            expected_rp_id=rp_id,
            expected_origin=origin,
            require_user_verification=True,
        )
    except Exception:  # hostile CBOR/JSON can fail anywhere in the parser: "not verified"
        return None
    passkey = store.NewPasskey(
        credential_id=b64url(result.credential_id),
        public_key=b64url(result.credential_public_key),
        sign_count=result.sign_count,
        transports=frozenset(str(getattr(one, "value", one))[:16] for one in (parsed.response.transports or ())[:8]),
        device_bound=result.credential_device_type == CredentialDeviceType.SINGLE_DEVICE,
    )
    if not store.add_passkey(tenant_id, sub, epoch, passkey, now):
        return None
    return Factor(
        sub=sub,
        method=WEBAUTHN,
        created_at=now,
        credential_id=passkey.credential_id,
        public_key=passkey.public_key,
        sign_count=passkey.sign_count,
        transports=passkey.transports,
        device_bound=passkey.device_bound,
    )


def _parsed_registration(credential: str):
    from webauthn.helpers import parse_registration_credential_json

    return parse_registration_credential_json(credential)


def claimed_user(credential: str) -> tuple[str, str] | None:
    """(sub, credential id) an authentication answer names, before anything is verified:
    its user handle and id; None if it names none."""
    if len(credential) > MAX_CREDENTIAL:
        return None
    try:
        values = json.loads(credential)
        handle, credential_id = values["response"]["userHandle"], values["id"]
        sub = b64url_decode(handle).decode()
    except Exception:  # any shape but the expected one names no one
        return None
    if not (isinstance(credential_id, str) and 0 < len(credential_id) <= 1400 and sub.isprintable()):
        return None
    return sub, credential_id


def authenticate(
    tenant_id: str, issuer: str, credential: str, challenge: Challenge, passkey: Factor, sub: str
) -> Verified | None:
    """Verify a ``navigator.credentials.get()`` answer from ``passkey``: signature, challenge,
    origin, RP ID, user presence and verification, and a counter that moved (§7.2)."""
    if passkey.method != WEBAUTHN or not passkey.public_key:
        return None
    from webauthn import verify_authentication_response

    rp_id, origin = relying_party(issuer)
    try:
        result = verify_authentication_response(
            credential=credential,
            expected_challenge=b64url_decode(challenge.value),
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=b64url_decode(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except Exception:  # as in register: a failure anywhere is "not verified"
        return None
    if b64url(result.credential_id) != passkey.credential_id:
        return None
    return Verified(sub, passkey, result.new_sign_count)


def passkeys_of(factors: list[Factor]) -> list[Factor]:
    return [factor for factor in factors if factor.method == WEBAUTHN]

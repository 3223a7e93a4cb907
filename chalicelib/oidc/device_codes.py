"""User codes and device codes of the device authorization grant (RFC 8628 §6.1).

A user code is 8 letters from 20 consonants (no vowels, so no words; no look-alikes such
as I/1 or O/0), shown as ``BCDF-GHJK``: 20^8 (~2^34.6) codes. That is guessable offline,
so the table keys an authorization by an HMAC of its user code under a tenant key, never
by a plain digest; online guessing is bounded by the device page's limits
(``chalicelib.limits.device``). A device code carries that key and 256 random bits; the
table holds only its SHA-256 digest.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from chalicelib.keys.master import tenant_key
from chalicelib.opaque import b64url, new_token

ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
LENGTH = 8
_KEY = re.compile(r"[A-Za-z0-9_-]{24}")
# What a person may type: letters in either case, with dashes and spaces anywhere.
_TYPED = re.compile(r"[A-Za-z \-]{1,64}")


def new_user_code() -> str:
    """A fresh user code, as stored and compared: 8 letters of ``ALPHABET``."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def display(code: str) -> str:
    """How a person reads it (RFC 8628 §6.1: a separator helps)."""
    return f"{code[:4]}-{code[4:]}"


def normalize(typed: str) -> str | None:
    """The code a person typed, upper case, without dashes or spaces; None if it cannot be
    one (wrong letters or length): refused without a read."""
    if not _TYPED.fullmatch(typed):
        return None
    code = typed.replace("-", "").replace(" ", "").upper()
    if len(code) != LENGTH or any(letter not in ALPHABET for letter in code):
        return None
    return code


def user_code_key(tenant_id: str, code: str) -> str:
    """The table's key of an authorization: a keyed digest of its user code."""
    mac = hmac.new(tenant_key(tenant_id, "device-user-code"), code.encode("ascii"), hashlib.sha256)
    return b64url(mac.digest()[:18])


def new_device_code(key: str) -> str:
    return f"{key}.{new_token()}"


def device_code_key(device_code: str) -> str | None:
    """The user-code key a device code names, or None if it is not one of ours."""
    key, dot, secret = device_code.partition(".")
    if not dot or not _KEY.fullmatch(key) or not 40 <= len(secret) <= 64 or not secret.isascii():
        return None
    return key

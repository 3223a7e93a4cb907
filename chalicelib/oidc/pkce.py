"""Proof Key for Code Exchange (RFC 7636)."""

from __future__ import annotations

import hashlib
import re

from chalicelib.oidc.errors import InvalidGrant, InvalidRequest
from chalicelib.opaque import b64url

# RFC 7636 §4.1/§4.2: 43 to 128 unreserved characters (a S256 challenge is always 43).
_VALUE = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
METHODS = ("S256", "plain")


def check_challenge(
    challenge: str | None, method: str | None, required: bool, allow_plain: bool
) -> tuple[str | None, str | None]:
    """The (challenge, method) to store with the code, or raise invalid_request."""
    if challenge is None:
        if method is not None:
            raise InvalidRequest("code_challenge_method without code_challenge")
        if required:
            raise InvalidRequest("code_challenge is required (PKCE)")
        return None, None
    method = method or "plain"  # RFC 7636 §4.3: the default
    if method not in METHODS or (method == "plain" and not allow_plain):
        raise InvalidRequest("unsupported code_challenge_method")
    if _VALUE.fullmatch(challenge) is None:
        raise InvalidRequest("malformed code_challenge")
    return challenge, method


def challenges_for(verifier: str | None) -> dict[str, str] | None:
    """What a code_verifier proves, per method (RFC 7636 §4.6); None without a verifier."""
    if verifier is None:
        return None
    if _VALUE.fullmatch(verifier) is None:
        raise InvalidGrant("malformed code_verifier")
    return {"S256": s256(verifier), "plain": verifier}


def s256(verifier: str) -> str:
    return b64url(hashlib.sha256(verifier.encode("ascii")).digest())

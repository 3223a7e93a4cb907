"""A relying party that caches the provider's JWKS as long as its Cache-Control allows, and
never refetches it for an unknown kid: the strictest cache an RP may keep (PyJWT's
PyJWKClient and openid-client refetch on an unknown kid; this one would fail instead), so a
rotation it survives is one no RP notices."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jwt

_MAX_AGE = re.compile(r"max-age=([0-9]+)")


@dataclass
class CachingRelyingParty:
    # fetch(path) -> (headers, body) of a GET, e.g. through Chalice's test client
    fetch: Callable[[str], tuple[dict[str, str], bytes]]
    jwks_path: str
    issuer: str
    clock: Callable[[], int]
    fetched_at: int | None = None
    expires_at: int = 0
    jwks: dict[str, Any] = field(default_factory=dict)
    refreshes: list[tuple[int, list[str]]] = field(default_factory=list)  # (when, kids)

    def keys(self) -> dict[str, Any]:
        now = self.clock()
        if self.fetched_at is None or now >= self.expires_at:
            headers, body = self.fetch(self.jwks_path)
            max_age = _MAX_AGE.search(headers.get("Cache-Control", ""))
            self.jwks = {key["kid"]: key for key in json.loads(body)["keys"]}
            self.fetched_at, self.expires_at = now, now + (int(max_age.group(1)) if max_age else 0)
            self.refreshes.append((now, sorted(self.jwks)))
        return self.jwks

    def verify(self, token: str, typ: str = "at+jwt") -> dict[str, Any]:
        """The token's claims; raises (jwt.PyJWTError, KeyError) if it does not verify with
        the cached keys at the RP's clock."""
        header = jwt.get_unverified_header(token)
        jwk = self.keys()[header["kid"]]  # an unknown kid fails: no refetch
        assert header["typ"] == typ
        return jwt.decode(
            token,
            jwt.PyJWK(jwk).key,
            algorithms=[jwk["alg"]],
            issuer=self.issuer,
            options={"verify_aud": False, "verify_exp": False, "verify_iat": False},
        ) | _unexpired(token, self.clock())


def _unexpired(token: str, now: int) -> dict[str, Any]:
    claims = jwt.decode(token, options={"verify_signature": False})
    if claims["exp"] <= now:
        raise jwt.ExpiredSignatureError(f"expired at {claims['exp']}, now {now}")
    return {}

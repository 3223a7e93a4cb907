"""The issuer's signing keys, as a resource server finds them: its discovery document
(``<issuer>/.well-known/openid-configuration``, OIDC Discovery §4) names its ``jwks_uri``.

Fetched through the outbound guard (``chalicelib.outbound``: https, no private or loopback
address, pinned, short timeouts, a capped body) and kept per container for ``TTL`` seconds,
shared by every route that trusts the same issuer. A token naming a kid the copy lacks makes
one fresh fetch (the issuer rotated its keys, RFC 7517 §4.5), at most once per
``REFETCH_AFTER`` seconds: anyone can send tokens with made-up kids, and must not make the
API hammer its issuer. A failed fetch keeps the copy it would have replaced; with no copy at
all the keys are ``Unavailable`` (a 503: the API cannot tell a good token from a bad one).
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported when first needed: a cold start that serves no token pays nothing
    from chalicelib import outbound

TTL = 300
REFETCH_AFTER = 30
MAX_BYTES = 64 * 1024
MAX_KEYS = 32
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


class Unavailable(Exception):
    """The issuer's keys could not be had (refused, unreachable, or not a JWK Set)."""


@dataclass(frozen=True)
class _Entry:
    keys: Mapping[str, Mapping[str, Any]]  # by kid
    fetched_at: float | None  # None: never fetched (the last try failed)
    tried_at: float


_lock = threading.Lock()
_entries: dict[str, _Entry] = {}


@dataclass(frozen=True)
class DiscoveredKeys:
    """A KeySource (``chalicelib.resource_server.verify``): the issuer's public key for a kid.
    ``policy`` is the outbound guard's (default: the deployment's, for no private host)."""

    issuer: str
    policy: outbound.Policy | None = None
    clock: Callable[[], float] = time.time

    def __call__(self, kid: str) -> Mapping[str, Any] | None:
        now = self.clock()
        with _lock:
            entry = _entries.get(self.issuer)
        may_try = entry is None or entry.tried_at + REFETCH_AFTER <= now
        if may_try and (
            entry is None or entry.fetched_at is None or entry.fetched_at + TTL <= now or kid not in entry.keys
        ):
            entry = self._refresh(entry, now)
        if entry is None or entry.fetched_at is None:
            raise Unavailable("the issuer's keys could not be fetched")
        return entry.keys.get(kid)

    def _refresh(self, kept: _Entry | None, now: float) -> _Entry:
        """A fresh copy; if the fetch fails, the copy ``kept`` (a stale one beats none), or
        the failure, remembered so that the next try waits REFETCH_AFTER too."""
        try:
            entry = _Entry(self._download(), now, now)
        except Unavailable:
            entry = dataclasses.replace(kept, tried_at=now) if kept is not None else _Entry({}, None, now)
        with _lock:
            _entries[self.issuer] = entry
        return entry

    def _download(self) -> dict[str, Mapping[str, Any]]:
        from chalicelib import outbound

        policy = dataclasses.replace(self.policy or outbound.policy_for(()), max_body=MAX_BYTES + 1)
        metadata = _document(f"{self.issuer}/.well-known/openid-configuration", policy)
        # OIDC Discovery §4.3: the document must be the issuer's own.
        if metadata.get("issuer") != self.issuer or not isinstance(metadata.get("jwks_uri"), str):
            raise Unavailable("the discovery document is not this issuer's")
        return _public_keys(_document(metadata["jwks_uri"], policy).get("keys"))


def _document(url: str, policy: outbound.Policy) -> dict[str, Any]:
    from chalicelib import outbound

    try:
        response = outbound.get(url, policy)
    except (outbound.Refused, outbound.Unreachable) as error:
        raise Unavailable(f"the issuer could not be reached: {type(error).__name__}") from None
    if response.status != 200 or len(response.body) > MAX_BYTES:
        raise Unavailable(f"the issuer answered {response.status}")
    try:
        document = json.loads(response.body)
    except (ValueError, RecursionError):
        raise Unavailable("the issuer's answer is not JSON") from None
    if not isinstance(document, dict):
        raise Unavailable("the issuer's answer is not a JSON object")
    return document


def _public_keys(keys: Any) -> dict[str, Mapping[str, Any]]:
    """The JWK Set's public keys by kid; a key with a private member is left out, never used."""
    if not isinstance(keys, list) or not 0 < len(keys) <= MAX_KEYS:
        raise Unavailable("the issuer's jwks_uri is not a JWK Set")
    return {
        key["kid"]: key
        for key in keys
        if isinstance(key, dict) and isinstance(key.get("kid"), str) and not PRIVATE_MEMBERS & set(key)
    }


def forget() -> None:
    """Drop every kept copy (tests)."""
    with _lock:
        _entries.clear()

"""When a tenant's keys change, as plain functions of the key metadata, a policy and a time.

A rotation no RP notices (the scheduled job, chalicelib/admin/keys.py, applies these):

1. ``publish_at``: a new key is published as ``next`` a pre-publication time before it is to
   sign. That time exceeds the JWKS's advertised cache lifetime (``JWKS_MAX_AGE``) plus a
   container's cache of the tenant record, so every RP that honours Cache-Control has
   fetched a JWKS holding the key before the key signs anything.
2. ``activates_at``: the next key becomes active (signs); the key it replaces becomes
   inactive and stays published.
3. ``retires_at``: once every token the inactive key signed has expired (the longest access
   or ID token lifetime after it stopped signing, plus clock skew), it leaves the JWKS and
   its sealed private key leaves the record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib.keys.keyring import ACTIVE, INACTIVE, NEXT, RETIRED

# What discovery and the JWKS advertise (Cache-Control max-age): the pre-publication time's
# lower bound (chalicelib/tenancy/settings.py) is above this plus the tenant cache's TTL.
JWKS_MAX_AGE = 300
# Tokens are checked against clocks that may run this far behind ours.
CLOCK_SKEW = 120
# Fields that hold key material (sealed or referenced): a retired key keeps none of them.
MATERIAL = ("jwk", "wrapped_key", "sealed_key")
# A retired envelope key holds nothing (its material left the record when it retired): only
# the newest few stay listed, as history, so the record (read on every request, at most
# 400 KB) stays small however often a tenant rotates. A retired KMS or Secrets Manager key
# keeps its reference, since its AWS resource is still the operator's to delete (a tenant's
# deletion schedules them all), so those stay, and a tenant holds at most MAX_KEYS keys.
RETIRED_KEPT = 5
MAX_KEYS = 40

Key = Mapping[str, Any]


@dataclass(frozen=True)
class Policy:
    period: int  # seconds between rotations; 0: no scheduled rotation
    prepublish: int  # seconds a next key is published before it signs
    retire_after: int  # seconds an inactive key stays published: the longest token lifetime
    algorithm: str  # the algorithm a tenant always has a key for


def since(key: Key) -> int:
    """When a key began to sign (keys made before rotation existed: when they were made)."""
    return int(key.get("activated_at", key.get("created_at", 0)))


def newest_active(keys: Sequence[Key], alg: str) -> Key | None:
    active = [key for key in keys if key["status"] == ACTIVE and key["alg"] == alg]
    return max(active, key=since) if active else None


def pending(keys: Sequence[Key], alg: str) -> Key | None:
    return next((key for key in keys if key["status"] == NEXT and key["alg"] == alg), None)


def publish_times(keys: Sequence[Key], policy: Policy) -> dict[str, tuple[int, int | None]]:
    """Per algorithm that needs a next key: when to publish it, and when it is to sign
    (None: as soon as it has been published for the pre-publication time)."""
    algs = {key["alg"] for key in keys if key["status"] == ACTIVE} | {policy.algorithm}
    times: dict[str, tuple[int, int | None]] = {}
    for alg in sorted(algs):
        if pending(keys, alg) is not None:
            continue
        current = newest_active(keys, alg)
        if current is None:  # the tenant's algorithm has no key yet: publish one at once
            times[alg] = (0, None)
        elif policy.period:
            activates = since(current) + policy.period
            times[alg] = (activates - policy.prepublish, activates)
    return times


def wanted(keys: Sequence[Key], policy: Policy, now: int) -> dict[str, int]:
    """The algorithms whose next key is due for publication now, and when each will sign:
    never before it has been published for the pre-publication time."""
    times = publish_times(keys, policy)
    return {
        alg: max(activates or 0, now + policy.prepublish)
        for alg, (publish, activates) in times.items()
        if publish <= now
    }


def publish(keys: Sequence[Key], key: Key, activates_at: int) -> list[Key]:
    """``keys`` with ``key`` published as next; a pending next key of its algorithm (one that
    never signed) is retired in its favour."""
    kept = [retire(old, activates_at) if old["status"] == NEXT and old["alg"] == key["alg"] else old for old in keys]
    return [*kept, {**key, "status": NEXT, "activates_at": activates_at}]


def activate(keys: Sequence[Key], kid: str, now: int, retire_after: int) -> list[Key]:
    """``keys`` with ``kid`` signing from ``now``; the active keys of its algorithm become
    inactive, to be retired once the tokens they signed have expired."""
    alg = next(key["alg"] for key in keys if key["kid"] == kid)
    retires_at = now + retire_after + CLOCK_SKEW
    changed = []
    for key in keys:
        if key["kid"] == kid:
            key = {**{k: v for k, v in key.items() if k != "activates_at"}, "status": ACTIVE, "activated_at": now}
        elif key["alg"] == alg and key["status"] == ACTIVE:
            key = {**key, "status": INACTIVE, "retires_at": retires_at}
        changed.append(key)
    return changed


def retire(key: Key, now: int) -> Key:
    """A key out of the JWKS, with no key material left in the record."""
    kept = {k: v for k, v in key.items() if k not in MATERIAL and k not in ("activates_at", "retires_at")}
    return {**kept, "status": RETIRED, "retired_at": now}


def prune(keys: Sequence[Key]) -> list[Key]:
    """``keys`` without the retired envelope keys beyond the newest ``RETIRED_KEPT``."""
    retired = [key for key in keys if key["status"] == RETIRED and key.get("backend") == "envelope"]
    newest_first = sorted(retired, key=lambda key: key.get("retired_at", 0), reverse=True)
    dropped = {key["kid"] for key in newest_first[RETIRED_KEPT:]}
    return [key for key in keys if key["kid"] not in dropped]


def advance(keys: Sequence[Key], policy: Policy, now: int) -> tuple[list[Key], list[tuple[str, str]]]:
    """Activate the next keys whose time has come and retire the inactive keys whose time has
    come; also the steps taken, as (event, kid)."""
    steps = []
    current = list(keys)
    for key in keys:
        if key["status"] == NEXT and key["activates_at"] <= now:
            current = activate(current, key["kid"], now, policy.retire_after)
            steps.append(("key_activated", key["kid"]))
    for index, key in enumerate(current):
        if key["status"] == INACTIVE and key.get("retires_at", 0) <= now and "retires_at" in key:
            current[index] = retire(key, now)
            steps.append(("key_retired", key["kid"]))
    return current, steps


def due(keys: Sequence[Key], policy: Policy) -> int | None:
    """The next time something is to happen to these keys (None: nothing ever will)."""
    times = [key["activates_at"] for key in keys if key["status"] == NEXT]
    times += [key["retires_at"] for key in keys if key["status"] == INACTIVE and "retires_at" in key]
    times += [publish for publish, _ in publish_times(keys, policy).values()]
    return min(times) if times else None

"""The public keys a ``private_key_jwt`` client signs its assertions with (RFC 7523 §2.2,
OIDC Core §9, §10.1.1): registered with the client (``jwks``) or published at its
``jwks_uri``.

A ``jwks_uri`` is fetched through the outbound guard (``chalicelib.outbound``: https, no
private or loopback address, pinned, short timeouts, capped body) and kept per container for
``TTL`` seconds. An assertion naming a kid the copy lacks makes one fresh fetch (the client
rotated its keys), at most once per ``REFETCH_AFTER`` seconds per client, so a stream of
made-up kids cannot make the provider hammer the client's server. The fetch happens on the
client's own back-channel request (token, introspection, revocation), or on a browser's that
brings the client's request object (``chalicelib.oidc.request_object``). A fetch that failed
is not tried again for ``REFETCH_AFTER`` seconds either: anyone can send assertions and
request objects in a client's name.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from dataclasses import dataclass

from chalicelib import outbound
from chalicelib.context import Context
from chalicelib.keys import client_jwks
from chalicelib.keys.client_jwks import ClientKey
from chalicelib.oidc.errors import InvalidClient
from chalicelib.store.clients import Client

TTL = 300
REFETCH_AFTER = 30
MAX_ENTRIES = 1024


class KeysUnavailable(ValueError):
    """The client's keys could not be had: its jwks_uri was refused, unreachable, or served
    something that is not a JWK Set of public keys. Safe to show the client."""


@dataclass(frozen=True)
class _Entry:
    keys: tuple[ClientKey, ...]
    fetched_at: int  # of these keys
    tried_at: int  # the last fetch, whether it worked or not
    error: str | None = None  # why the keys are unknown: the first fetch failed


_lock = threading.Lock()
_entries: OrderedDict[tuple[str, str, str], _Entry] = OrderedDict()


def candidate_keys(ctx: Context, client: Client, alg: str, kid: str | None) -> tuple[ClientKey, ...]:
    """The client's keys that may verify a JWS with this header ``alg`` and ``kid`` (empty if
    none does, after one fresh fetch of a jwks_uri whose copy lacks the kid)."""
    if client.jwks is not None:
        return _matching(client_jwks.parse_cached(client.jwks), alg, kid)
    if client.jwks_uri is None:
        raise KeysUnavailable("the client has no registered keys")
    key = (ctx.tenant.id, client.client_id, client.jwks_uri)
    with _lock:
        entry = _entries.get(key)
    may_try = entry is None or entry.tried_at + REFETCH_AFTER <= ctx.now
    if entry is not None and entry.error is not None and not may_try:
        raise KeysUnavailable(entry.error)
    if entry is None or entry.error is not None or entry.fetched_at + TTL <= ctx.now:
        return _matching(_fetch(ctx, key, None).keys, alg, kid)
    found = _matching(entry.keys, alg, kid)
    if not found and kid is not None and may_try:
        found = _matching(_fetch(ctx, key, entry).keys, alg, kid)
    return found


def _matching(keys: tuple[ClientKey, ...], alg: str, kid: str | None) -> tuple[ClientKey, ...]:
    found = tuple(key for key in keys if key.verifies(alg, kid))
    # Without a kid, a client with several keys for the alg would have each tried in turn:
    # an assertion names its key, or the client has one.
    if kid is None and len(found) > 1:
        raise InvalidClient("the assertion must name its key (kid): the client has several for its alg")
    return found


def _fetch(ctx: Context, key: tuple[str, str, str], kept: _Entry | None) -> _Entry:
    """A fresh copy of the keys at the client's jwks_uri, kept. If the fetch fails, the copy
    ``kept`` stays (a key rotation's refetch did not work out), else the failure is kept:
    KeysUnavailable without ``kept``."""
    try:
        entry = _Entry(_download(ctx, key[2]), ctx.now, ctx.now)
    except KeysUnavailable as error:
        if kept is not None:
            entry = dataclasses.replace(kept, tried_at=ctx.now)
        else:
            _keep(key, _Entry((), ctx.now, ctx.now, str(error)))
            raise
    _keep(key, entry)
    return entry


def _download(ctx: Context, uri: str) -> tuple[ClientKey, ...]:
    policy = dataclasses.replace(
        outbound.policy_for(ctx.settings.outbound_allowed_hosts), max_body=client_jwks.MAX_BYTES + 1
    )
    try:
        response = outbound.get(uri, policy, accept="application/jwk-set+json, application/json")
    except outbound.Refused as refused:
        raise KeysUnavailable(f"the client's jwks_uri is refused: {refused.reason}") from None
    except outbound.Unreachable:
        raise KeysUnavailable("the client's jwks_uri did not answer") from None
    if response.status != 200:
        raise KeysUnavailable(f"the client's jwks_uri answered {response.status}")
    try:
        return client_jwks.parse_json(response.body)
    except ValueError as error:
        raise KeysUnavailable(f"the client's jwks_uri: {error}") from None


def _keep(key: tuple[str, str, str], entry: _Entry) -> None:
    with _lock:
        _entries[key] = entry
        _entries.move_to_end(key)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)


def forget() -> None:
    """Drop every fetched copy (tests)."""
    with _lock:
        _entries.clear()

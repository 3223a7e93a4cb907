"""Subject identifiers (OIDC Core §8): the ``sub`` and ``sid`` a client sees.

A ``public`` client sees the user's own sub and the session's public sid. A ``pairwise``
client sees values computed for its sector (§8.1): the host of its
``sector_identifier_uri``, or of its redirect URIs (registration makes sure they share one
host when it has none, ``chalicelib.admin.sectors``). Clients of one sector see the same
values; clients of two sectors cannot tell that their users are the same person.

The values are HMAC-SHA256 under a key of the tenant's derived from the deployment's master
secret (``chalicelib.keys.master``), so nobody without it can compute or reverse them (§8.1.1
suggests a salted hash; a keyed one needs no salt kept anywhere) and they need no storage.
The ``sid`` is translated too: one session id shown to two sectors would link them for as
long as the session lives.

Translation happens only where a value leaves the provider (ID tokens, access tokens and
therefore UserInfo and introspection, logout tokens and front-channel logout URLs); codes,
grants, sessions and queued notices keep the user's own sub.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from chalicelib.keys import sealed
from chalicelib.keys.master import tenant_key
from chalicelib.opaque import b64url
from chalicelib.store.clients import Client

PUBLIC, PAIRWISE = "public", "pairwise"
SUBJECT_TYPES = (PUBLIC, PAIRWISE)
# For a pairwise client the access token's ``sub`` is the client's, which only the provider
# can map back: the user's own sub travels sealed in this claim (chalicelib.keys.sealed),
# unreadable to the client and resource servers, and unlinkable (a fresh nonce each time).
SEALED_SUB_CLAIM = "usx"
_SEALED_PURPOSE = "access-token-subject"


# Hosts that name every device, not one party: a sector there is the client's own.
_NOBODYS_HOSTS = frozenset({"127.0.0.1", "::1", "[::1]", "localhost"})


def sector_of(client: Client) -> str:
    """OIDC Core §8.1: the host of the sector_identifier_uri, else of the redirect URIs.
    A loopback or localhost redirect (native apps, RFC 8252 §7.3) names no party: any client
    may register one, and sharing its sector would give every such client the same subjects,
    so such a client (like one with a custom scheme) is a sector of its own."""
    if client.sector_identifier_uri:  # a document there lists every redirect URI of the sector
        return (urlsplit(client.sector_identifier_uri).hostname or client.client_id).lower()
    host = (urlsplit(client.redirect_uris[0]).hostname or "").lower() if client.redirect_uris else ""
    if not host or host in _NOBODYS_HOSTS:
        return "client:" + client.client_id
    return host


def subject_for(client: Client, sub: str) -> str:
    """The ``sub`` this client knows the user by."""
    if client.subject_type != PAIRWISE:
        return sub
    return _pairwise(client.tenant_id, "pairwise-subject", sector_of(client), sub)


def sid_for(client: Client, sid: str) -> str:
    """The ``sid`` this client knows the session by (Front-/Back-Channel Logout)."""
    if client.subject_type != PAIRWISE:
        return sid
    return _pairwise(client.tenant_id, "pairwise-sid", sector_of(client), sid)[:32]


def sealed_subject(tenant_id: str, sub: str) -> str:
    return sealed.seal(tenant_id, _SEALED_PURPOSE, sub.encode())


def own_subject(tenant_id: str, claims: Mapping[str, Any]) -> str | None:
    """The user's own sub behind an access token: its ``sub``, or the sealed one of a
    pairwise client's token (None if that does not open)."""
    if SEALED_SUB_CLAIM not in claims:
        return claims["sub"]
    opened = sealed.unseal(tenant_id, _SEALED_PURPOSE, str(claims[SEALED_SUB_CLAIM]))
    return opened.decode() if opened is not None else None


def _pairwise(tenant_id: str, purpose: str, sector: str, value: str) -> str:
    message = f"{sector}\x00{value}".encode()
    return b64url(hmac.new(tenant_key(tenant_id, purpose), message, hashlib.sha256).digest())

"""Limits on request_uri fetches (RFC 9101 §10.4.1 leaves the provider to protect itself and
others): each fetch is an outbound request that whoever sends a browser to the authorization
endpoint can trigger in a client's name. Every fetch is counted against its source address
and its client, together in one conditional write, before the request goes out."""

from __future__ import annotations

from chalicelib.limits import source_of, subject
from chalicelib.store import limits as store
from chalicelib.store.limits import Counter
from chalicelib.tenancy.settings import TenantSettings

WINDOW = 60  # request_uri_fetches_per_source and _per_client count per minute


def admit(tenant_id: str, source: str, client_id: str, settings: TenantSettings, now: int) -> int | None:
    """Count one fetch: None if admitted, else the seconds to wait (and nothing was counted)."""
    per_source, per_client = settings.request_uri_fetches_per_source, settings.request_uri_fetches_per_client
    counters = [
        Counter("ruri-source", subject(tenant_id, "source", source_of(source)), per_source, WINDOW),
        Counter("ruri-client", subject(tenant_id, "client", client_id), per_client, WINDOW),
    ]
    refusal = store.admit(tenant_id, counters, now)
    return refusal.wait if refusal is not None else None

"""Limits on pushed authorization requests (RFC 9126 §7.5 leaves them to the provider): each
push is a write, and a public client's id, which anyone can read, is all it takes to push in
its name. Every push is counted against its source address and its client, together in one
conditional write, after the client authenticated and before anything is stored."""

from __future__ import annotations

from chalicelib.limits import source_of, subject
from chalicelib.store import limits as store
from chalicelib.store.limits import Counter
from chalicelib.tenancy.settings import TenantSettings

WINDOW = 60  # pushes_per_source and pushes_per_client count per minute


def admit(tenant_id: str, source: str, client_id: str, settings: TenantSettings, now: int) -> int | None:
    """Count one push: None if admitted, else the seconds to wait (and nothing was counted)."""
    counters = [
        Counter("par-source", subject(tenant_id, "source", source_of(source)), settings.pushes_per_source, WINDOW),
        Counter("par-client", subject(tenant_id, "client", client_id), settings.pushes_per_client, WINDOW),
    ]
    refusal = store.admit(tenant_id, counters, now)
    return refusal.wait if refusal is not None else None

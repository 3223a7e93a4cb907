"""Limits of the device authorization grant (RFC 8628 §5.1-5.2 leave them to the provider).

A device authorization request is a write that anyone holding a public client's id can
make: counted per source address and per client, a minute at a time. A user code is 8
letters, so the device page is where codes would be guessed: every code entered is counted
per source address and across the whole tenant (a botnet has many addresses, the tenant
one count), an hour at a time, before it is looked up, and wrong or right alike.
"""

from __future__ import annotations

from chalicelib.limits import source_of, subject
from chalicelib.store import limits as store
from chalicelib.store.limits import Counter
from chalicelib.tenancy.settings import TenantSettings

REQUEST_WINDOW = 60
CODE_WINDOW = 3600


def admit_request(tenant_id: str, source: str, client_id: str, settings: TenantSettings, now: int) -> int | None:
    """Count one device authorization request: None if admitted, else the seconds to wait."""
    counters = [
        Counter("device-source", subject(tenant_id, "source", source_of(source)),
                settings.device_requests_per_source, REQUEST_WINDOW),
        Counter("device-client", subject(tenant_id, "client", client_id),
                settings.device_requests_per_client, REQUEST_WINDOW),
    ]  # fmt: skip
    refusal = store.admit(tenant_id, counters, now)
    return refusal.wait if refusal is not None else None


def admit_user_code(tenant_id: str, source: str, settings: TenantSettings, now: int) -> int | None:
    """Count one user code entered on the device page: None if admitted, else the seconds to wait."""
    counters = [
        Counter("usercode-source", subject(tenant_id, "source", source_of(source)),
                settings.user_code_attempts_per_source, CODE_WINDOW),
        Counter("usercode-tenant", subject(tenant_id, "tenant", tenant_id),
                settings.user_code_attempts_per_tenant, CODE_WINDOW),
    ]  # fmt: skip
    refusal = store.admit(tenant_id, counters, now)
    return refusal.wait if refusal is not None else None

"""Limits of the device authorization grant (RFC 8628 §5.1-5.2 leave them to the provider).

A device authorization request is a write that anyone holding a public client's id can
make: counted per source address and per client, a minute at a time.

A user code is 8 letters, so the device page is where codes would be guessed. Every code
entered is counted per source address, an hour at a time, before it is looked up, wrong or
right alike. Across the tenant only wrong codes are counted (after the lookup): a botnet has
many addresses, the tenant one count. Once the tenant's wrong codes reach their limit in the
hour, a source that entered a wrong code in that hour is refused; one that did not still has
its code looked up. So a flood of guesses cannot lock out a person typing their device's code
(the count used to take right and wrong codes alike, and then refused everyone for the hour),
and a botnet gets the tenant's budget plus one guess per fresh address, not twenty each.
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
    """Count one user code entered on the device page: None if it may be looked up, else the
    seconds to wait."""
    per_source = Counter("usercode-source", subject(tenant_id, "source", source_of(source)),
                         settings.user_code_attempts_per_source, CODE_WINDOW)  # fmt: skip
    refusal = store.admit(tenant_id, [per_source], now)
    if refusal is not None:
        return refusal.wait
    tenant_wrong, source_wrong = _wrong_codes(tenant_id, source, settings)
    if store.reached(tenant_id, tenant_wrong, now) and store.reached(tenant_id, source_wrong, now, at_least=1):
        return tenant_wrong.window_end(now) - now
    return None


def record_wrong_code(tenant_id: str, source: str, settings: TenantSettings, now: int) -> None:
    """A code entered that names no live request: counted across the tenant and for its source."""
    store.add(tenant_id, _wrong_codes(tenant_id, source, settings), now)


def _wrong_codes(tenant_id: str, source: str, settings: TenantSettings) -> list[Counter]:
    return [
        Counter("usercode-tenant", subject(tenant_id, "tenant", tenant_id),
                settings.user_code_attempts_per_tenant, CODE_WINDOW),
        Counter("usercode-wrong", subject(tenant_id, "source", source_of(source)), 1, CODE_WINDOW),
    ]  # fmt: skip

"""Register and manage clients (relying parties). The secret is shown once, stored hashed
(and, for HS256 clients, also KMS-encrypted: their ID tokens are signed with it).

One validation path serves the CLI, the admin API and dynamic registration (RFC 7591), so
whatever is stored is safe for the protocol code to trust.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

from chalicelib.admin import AdminError, Missing
from chalicelib.admin.client_fields import CLIENT_ID, CLIENT_TYPES, FIELDS, validated
from chalicelib.admin.optimistic import check_version, retrying
from chalicelib.admin.tenants import get_tenant
from chalicelib.limits import registration as registration_limits
from chalicelib.opaque import digest, new_id, new_token
from chalicelib.store import clients as store
from chalicelib.store.clients import Client
from chalicelib.tenancy.resolve import forget

# Called with each fresh read of the client before a change is applied; raises to refuse
# (RFC 7592 checks there that the client is still the one its registration token names).
Guard = Callable[[Client], None]
# Called with the validated client just before it is written; raises to refuse.
Check = Callable[[Client], None]


def create_client(
    tenant_id: str,
    *,
    name: str,
    client_type: str,
    client_id: str | None = None,
    client_secret: str | None = None,
    registration_token: str | None = None,
    before_store: Check | None = None,
    **fields: Any,
) -> tuple[Client, str | None]:
    """A new client and its secret (None for public clients): the only time the secret is
    available in clear. ``client_id``/``client_secret`` are generated unless given; the
    other ``fields`` are those of ``FIELDS``. ``before_store`` sees the validated client
    last, just before it is written (dynamic registration's policy and quota)."""
    tenant = get_tenant(tenant_id)
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise AdminError(f"unknown client fields: {', '.join(sorted(unknown))}")
    if client_type not in CLIENT_TYPES:
        raise AdminError("client type must be 'confidential' or 'public'")
    client_id = _new_client_id() if client_id is None else client_id
    if not isinstance(client_id, str) or CLIENT_ID.fullmatch(client_id) is None:
        raise AdminError("client_id may use letters, digits and . _ ~ - (at most 128)")
    secret = None
    if client_secret is not None and not isinstance(client_secret, str):
        raise AdminError("a client secret is a string")
    if client_type == "confidential":
        secret = client_secret or new_token()
        if not 32 <= len(secret) <= 256:
            raise AdminError("a client secret has 32 to 256 characters (256 bits when random)")
    elif client_secret:
        raise AdminError("public clients have no secret")
    values = {**FIELDS, **fields}
    if registration_token is None and "response_types" not in fields and _machine_only(fields.get("grant_types")):
        values["response_types"] = ()  # a machine client (client_credentials): no browser, no response type
    draft = Client(
        tenant_id=tenant_id,
        client_id=client_id,
        name=name,
        client_type=client_type,
        secret_hash=digest(secret) if secret else None,
        redirect_uris=(),
        response_types=(),
        grant_types=(),
        token_endpoint_auth_method="none",
        created_at=int(time.time()),
        registration_token_hash=digest(registration_token) if registration_token else None,
    )
    client = validated(tenant, draft, values, secret)
    if before_store is not None:
        before_store(client)
    created = store.create_client(client)
    if created is None:
        raise AdminError(f"client {client_id} already exists in tenant {tenant_id}")
    forget(tenant_id)
    return created, secret


def update_client(
    tenant_id: str,
    client_id: str,
    *,
    expected: int | None = None,
    guard: Guard | None = None,
    before_store: Check | None = None,
    **changes: Any,
) -> Client:
    """Change a client's settings (any of ``FIELDS`` and ``name``); its id, type and secret
    stay. The changes are applied to the client as it is when written, so a concurrent change
    of other fields is kept (retried; 409 if it keeps changing), and a client deleted
    meanwhile stays deleted (Missing). ``expected``: the version the caller read (If-Match);
    ``before_store`` sees each validated result before it is written."""
    tenant = get_tenant(tenant_id)
    unknown = set(changes) - set(FIELDS) - {"name"}
    if unknown:
        raise AdminError(f"unknown client fields: {', '.join(sorted(unknown))}")

    def attempt() -> Client | None:
        current = _current(tenant_id, client_id, expected, guard)
        values = {name: getattr(current, name) for name in FIELDS}
        values.update(changes)
        draft = dataclasses.replace(current, name=changes.get("name", current.name))
        client = validated(tenant, draft, values, None)
        if before_store is not None:
            before_store(client)
        return store.save_client(client)

    client = retrying(attempt, f"client {client_id}")
    forget(tenant_id)
    return client


def rotate_secret(tenant_id: str, client_id: str) -> tuple[Client, str]:
    """A new secret for a confidential client; the old one stops working at once. A
    concurrent change of the client's settings is kept (the new secret is written onto the
    client as it is then)."""
    tenant = get_tenant(tenant_id)
    secret = new_token()

    def attempt() -> Client | None:
        current = get_client(tenant_id, client_id)
        if current.is_public:
            raise AdminError("public clients have no secret")
        values = {name: getattr(current, name) for name in FIELDS}
        draft = dataclasses.replace(current, secret_hash=digest(secret))
        return store.save_client(validated(tenant, draft, values, secret))

    client = retrying(attempt, f"client {client_id}")
    forget(tenant_id)
    return client, secret


def _machine_only(grant_types: Any) -> bool:
    """Whether an admin named grant types none of which uses the browser (client_credentials,
    password): the default response type, code, would need authorization_code. Dynamic
    registration keeps RFC 7591's default (code) instead."""
    browser = {"authorization_code", "implicit"}
    return isinstance(grant_types, (list, tuple)) and bool(grant_types) and not browser & set(grant_types)


def get_client(tenant_id: str, client_id: str) -> Client:
    client = store.get_client(tenant_id, client_id, consistent=True)
    if client is None:
        raise Missing(f"no client {client_id} in tenant {tenant_id}")
    return client


def list_clients(tenant_id: str) -> list[Client]:
    return store.list_clients(tenant_id)


def delete_client(tenant_id: str, client_id: str, *, expected: int | None = None, guard: Guard | None = None) -> None:
    """Delete the client as read (Missing if there is none). A delete whose read went stale
    reads again, so a concurrent change never brings the client back nor is lost silently;
    ``expected`` (If-Match) makes a changed client PreconditionFailed instead. A
    self-registered client gives its place in the tenant's registration quota back."""

    def attempt() -> Client | None:
        current = _current(tenant_id, client_id, expected, guard)
        return current if store.delete_client(current) else None

    deleted = retrying(attempt, f"client {client_id}")
    forget(tenant_id)
    if deleted.registration_token_hash is not None:
        registration_limits.give_back(tenant_id)


def _current(tenant_id: str, client_id: str, expected: int | None, guard: Guard | None) -> Client:
    """A fresh read of the client, checked against the caller's precondition and guard."""
    client = get_client(tenant_id, client_id)
    if guard is not None:
        guard(client)
    check_version(client.version, expected, f"client {client_id}")
    return client


def _new_client_id() -> str:
    """A random client_id that does not start with "-": an operator types it after a CLI
    command, where a leading dash reads as an option (one id in 64 did)."""
    while (client_id := new_id()).startswith("-"):
        pass
    return client_id

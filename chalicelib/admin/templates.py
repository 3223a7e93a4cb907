"""A tenant's page templates (chalicelib.templating): upload, read, list, remove; shared by
the admin API and the CLI. Every upload is validated first; a change is written with the
tenant's marker in one conditional transaction (chalicelib.store.templates), retried when
the tenant changed meanwhile, refused (412) when the caller's If-Match names an older version."""

from __future__ import annotations

import time
from typing import Any

from chalicelib import events
from chalicelib.admin import AdminError, Missing
from chalicelib.admin.optimistic import check_version, retrying
from chalicelib.admin.tenants import get_tenant
from chalicelib.store import templates as store
from chalicelib.store.templates import StoredTemplate
from chalicelib.templating import NAMES, TemplateProblem
from chalicelib.tenancy.resolve import forget


def put_template(
    tenant_id: str, name: str, source: Any, *, expected: int | None = None, actor: str = "cli"
) -> StoredTemplate:
    """Validate ``source`` and store it as the tenant's template for page ``name``."""
    from chalicelib.templating.validate import validate

    _known(name)
    try:
        checked = validate(name, source)
    except TemplateProblem as problem:
        raise AdminError(f"template {name} refused: {problem}") from None

    def attempt() -> StoredTemplate | None:
        tenant = get_tenant(tenant_id)
        current = store.get_template(tenant_id, name, consistent=True)
        if expected is not None:
            check_version(current.version if current else 0, expected, f"template {name}")
        previous = current.version if current else None
        return store.save_template(tenant, name, checked, int(time.time()), previous)

    saved = retrying(attempt, f"template {name}")
    forget(tenant_id)
    events.emit("template_changed", tenant_id, actor=actor, page=name, version=saved.version, size=len(checked))
    return saved


def get_template(tenant_id: str, name: str) -> StoredTemplate:
    _known(name)
    get_tenant(tenant_id)
    template = store.get_template(tenant_id, name, consistent=True)
    if template is None:
        raise Missing(f"tenant {tenant_id} has no template for {name} (the built-in one is used)")
    return template


def list_templates(tenant_id: str) -> list[StoredTemplate]:
    get_tenant(tenant_id)
    return store.list_templates(tenant_id)


def delete_template(tenant_id: str, name: str, *, expected: int | None = None, actor: str = "cli") -> None:
    """Remove the tenant's template: the built-in one is used again."""
    _known(name)

    def attempt() -> bool | None:
        tenant = get_tenant(tenant_id)
        current = store.get_template(tenant_id, name, consistent=True)
        if current is None:
            raise Missing(f"tenant {tenant_id} has no template for {name}")
        check_version(current.version, expected, f"template {name}")
        return store.delete_template(tenant, name, current.version) or None

    retrying(attempt, f"template {name}")
    forget(tenant_id)
    events.emit("template_deleted", tenant_id, actor=actor, page=name)


def _known(name: str) -> None:
    if name not in NAMES:
        raise Missing(f"no template {name[:40]!r}: tenant templates are {', '.join(NAMES)}")

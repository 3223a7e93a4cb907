"""A tenant's page templates (chalicelib.templating): one item each, ``sk`` "template#<page>",
and a marker on the tenant's record (page -> version) that says which pages have one.

A change writes both in one transaction, conditional on the template's version that was read
(or on its being new) and on the tenant's own version: the marker never names a template that
is not stored, a stale writer writes nothing, and a page render learns from the tenant record
it already has (cached per container) whether to read a template at all.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.store.models import TemplateItem, TenantItem, connection
from chalicelib.store.tenants import SK as TENANT
from chalicelib.store.tenants import Tenant
from chalicelib.store.versions import FIRST_VERSIONS, at_version, lost_race

PREFIX = "template#"


@dataclass(frozen=True)
class StoredTemplate:
    name: str
    source: str
    version: int
    updated_at: int


def get_template(tenant_id: str, name: str, consistent: bool = False) -> StoredTemplate | None:
    try:
        item = TemplateItem.get(tenant_id, PREFIX + name, consistent_read=consistent)
    except TemplateItem.DoesNotExist:
        return None
    return _from_item(item)


def list_templates(tenant_id: str) -> list[StoredTemplate]:
    query = TemplateItem.query(tenant_id, TemplateItem.sk.startswith(PREFIX), consistent_read=True)
    return [_from_item(item) for item in query]


def save_template(tenant: Tenant, name: str, source: str, now: int, previous: int | None) -> StoredTemplate | None:
    """Store ``source`` as the tenant's template for ``name``, replacing the one at version
    ``previous`` (None: there is none yet); the template as stored, or None (nothing written)
    if the template or the tenant changed since they were read."""
    version = previous + 1 if previous is not None else secrets.randbelow(FIRST_VERSIONS) + 1
    item = TemplateItem(tenant.id, PREFIX + name, source=source, updated_at=now, revision=version)
    unchanged = TemplateItem.sk.does_not_exist() if previous is None else TemplateItem.revision == previous
    markers = {**tenant.templates, name: version}
    if not _write(tenant, markers, lambda transaction: transaction.save(item, condition=unchanged)):
        return None
    return StoredTemplate(name, source, version, now)


def delete_template(tenant: Tenant, name: str, version: int) -> bool:
    """Remove the tenant's template for ``name`` if it is still at ``version``; False
    (nothing written) if it or the tenant changed since they were read."""
    item = TemplateItem(tenant.id, PREFIX + name)
    markers = {page: at for page, at in tenant.templates.items() if page != name}
    return _write(tenant, markers, lambda transaction: transaction.delete(item, TemplateItem.revision == version))


def _write(tenant: Tenant, markers: dict[str, int], template_write: Callable[[TransactWrite], None]) -> bool:
    record = at_version(TenantItem(tenant.id, TENANT), tenant.version)
    action = TenantItem.templates.set(markers) if markers else TenantItem.templates.remove()
    try:
        with TransactWrite(connection=connection()) as transaction:
            template_write(transaction)
            transaction.update(record, actions=[action], condition=TenantItem.sk.exists())
    except TransactWriteError as error:
        if lost_race(error):
            return False
        raise
    return True


def _from_item(item: TemplateItem) -> StoredTemplate:
    return StoredTemplate(item.sk.removeprefix(PREFIX), item.source, int(item.revision), int(item.updated_at))

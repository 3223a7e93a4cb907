"""The CLI's listings that an operator reads: a tenant's users (a page at a time) and its
signing keys. Registered on cli.py's groups; the field names are the admin API's."""

from __future__ import annotations

import click

from chalicelib.admin import api
from chalicelib.admin import tenants as tenant_admin

KEY_FIELDS = ("kid", "alg", "backend", "status", "created_at")


def _echo(value: object) -> None:
    import json

    click.echo(json.dumps(value, indent=2, sort_keys=True, default=str))


@click.command("list")
@click.argument("tenant_id")
@click.option("--after", metavar="CURSOR", help="Where the page starts: the previous page's `next`.")
def list_users(tenant_id: str, after: str | None) -> None:
    """A page of the tenant's users (up to 100), and `next`, the cursor of the next page
    (null on the last), as the admin API's GET /users answers."""
    _, page = api.list_users(tenant_id, after)
    _echo(page)


@click.command("list")
@click.argument("tenant_id")
def list_keys(tenant_id: str) -> None:
    """The tenant's signing keys, oldest first: active (signs), inactive (still published
    for the tokens it signed) or retired (no longer published)."""
    keys = tenant_admin.get_tenant(tenant_id).keys
    _echo([{name: key.get(name) for name in KEY_FIELDS} for key in keys])

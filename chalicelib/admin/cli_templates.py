"""``cli templates ...``: a tenant's own login, consent, logout and error pages, and mail (docs/templates.md)."""

from __future__ import annotations

import click

from chalicelib.admin import templates as template_admin
from chalicelib.admin.cli_output import echo_json
from chalicelib.templating import NAMES

PAGE = click.Choice(list(NAMES))


@click.group()
def templates() -> None:
    """Tenant page templates: upload (validated first), show, list, remove."""


@templates.command("put")
@click.argument("tenant_id")
@click.argument("page", type=PAGE)
@click.argument("source", type=click.File("r", encoding="utf-8"))
@click.option("--if-version", "expected", type=int, help="Refuse if the stored template is not at this version.")
def put(tenant_id: str, page: str, source: click.utils.LazyFile, expected: int | None) -> None:
    """Validate SOURCE (a file, or - for stdin) and use it for the tenant's PAGE."""
    saved = template_admin.put_template(tenant_id, page, source.read(), expected=expected, actor="cli")
    echo_json({"name": saved.name, "version": saved.version, "updated_at": saved.updated_at, "size": len(saved.source)})


@templates.command("show")
@click.argument("tenant_id")
@click.argument("page", type=PAGE)
def show(tenant_id: str, page: str) -> None:
    """Print the tenant's template for PAGE as it is stored."""
    click.echo(template_admin.get_template(tenant_id, page).source, nl=False)


@templates.command("list")
@click.argument("tenant_id")
def list_templates(tenant_id: str) -> None:
    """The pages the tenant has its own template for: name, version, time, size."""
    found = template_admin.list_templates(tenant_id)
    echo_json(
        [{"name": t.name, "version": t.version, "updated_at": t.updated_at, "size": len(t.source)} for t in found]
    )


@templates.command("delete")
@click.argument("tenant_id")
@click.argument("page", type=PAGE)
@click.option("--if-version", "expected", type=int, help="Refuse if the stored template is not at this version.")
def delete(tenant_id: str, page: str, expected: int | None) -> None:
    """Remove the tenant's template for PAGE: the built-in page is shown again."""
    template_admin.delete_template(tenant_id, page, expected=expected, actor="cli")
    echo_json({"name": page, "status": "deleted"})

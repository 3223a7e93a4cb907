"""The CLI's listing of a tenant's users (a page at a time), registered on cli.py's users
group; the field names are the admin API's. (``keys list`` is in ``cli_keys``.)"""

from __future__ import annotations

import click

from chalicelib.admin import api
from chalicelib.admin.cli_output import echo_json


@click.command("list")
@click.argument("tenant_id")
@click.option("--after", metavar="CURSOR", help="Where the page starts: the previous page's `next`.")
def list_users(tenant_id: str, after: str | None) -> None:
    """A page of the tenant's users (up to 100), and `next`, the cursor of the next page
    (null on the last), as the admin API's GET /users answers."""
    _, page = api.list_users(tenant_id, after)
    echo_json(page)

"""The CLI's tenant lifecycle commands: ``tenants list|disable|enable|export|delete|
backfill-directory`` and ``users delete|backfill-emails``. Registered on cli.py's groups by ``register``."""

from __future__ import annotations

import sys

import click

from chalicelib.admin import lifecycle
from chalicelib.admin.cli_output import echo_json


def register(tenants: click.Group, users: click.Group) -> None:
    for command in (list_tenants, disable, enable, export, delete, backfill_directory):
        tenants.add_command(command)
    users.add_command(delete_user)
    users.add_command(backfill_emails)


@click.command("list")
@click.option("--limit", default=100, show_default=True, help=f"Tenants per page (1 to {lifecycle.MAX_PAGE}).")
@click.option("--after", metavar="TOKEN", help="The next value of the previous page.")
def list_tenants(limit: int, after: str | None) -> None:
    """A page of tenants in id order, from the directory of tenants (one Query)."""
    echo_json(lifecycle.list_tenants(limit, after))


@click.command("disable")
@click.argument("tenant_id")
def disable(tenant_id: str) -> None:
    """Every endpoint of the tenant answers 403 tenant_disabled, and its tokens stop working,
    until it is enabled again (warm containers follow within CACHE_TTL_SECONDS)."""
    tenant = lifecycle.disable_tenant(tenant_id)
    echo_json({"tenant": tenant.id, "status": tenant.status})


@click.command("enable")
@click.argument("tenant_id")
def enable(tenant_id: str) -> None:
    tenant = lifecycle.enable_tenant(tenant_id)
    echo_json({"tenant": tenant.id, "status": tenant.status})


@click.command("export")
@click.argument("tenant_id")
def export(tenant_id: str) -> None:
    """The tenant's settings, clients and users as JSON on standard output (no secrets,
    password hashes or registration token hashes): tenants export acme > acme.json."""
    for piece in lifecycle.export_tenant(tenant_id):
        sys.stdout.write(piece)


@click.command("delete")
@click.argument("tenant_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--recovery-days",
    type=click.IntRange(7, 30),
    default=30,
    show_default=True,
    help="KMS pending window and Secrets Manager recovery window of the tenant's keys.",
)
def delete(tenant_id: str, yes: bool, recovery_days: int) -> None:
    """Delete the tenant and all its data; its keys are scheduled for deletion. Resumable:
    if it stops midway, run it again."""
    if not yes:
        click.confirm(f"Delete tenant {tenant_id} and all its clients, users, sessions and keys?", abort=True)
    echo_json(lifecycle.delete_tenant(tenant_id, days=recovery_days))


@click.command("backfill-directory")
def backfill_directory() -> None:
    """Add the tenants created before the directory of tenants to it (a one-off Scan of the
    table; safe to repeat)."""
    from chalicelib.store.directory import backfill

    scanned, added = backfill()
    echo_json({"tenants": scanned, "added": added})


@click.command("delete")
@click.argument("tenant_id")
@click.argument("username")
def delete_user(tenant_id: str, username: str) -> None:
    """Delete a user with its sessions, grants (refresh tokens) and consents."""
    from chalicelib.admin import users

    removed = users.delete_user(tenant_id, username)
    echo_json({"username": username, "status": "deleted", "items_deleted": removed})


@click.command("backfill-emails")
@click.argument("tenant_id")
def backfill_emails(tenant_id: str) -> None:
    """File users whose email was set before the email lookup existed under their address,
    so the forgot-password form finds them by it (a Query of the tenant's users; safe to
    repeat)."""
    from chalicelib.admin import users

    echo_json(users.backfill_emails(tenant_id))

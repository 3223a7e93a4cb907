"""`users update`: the user's flags a tenant's console depends on (who administers it)."""

from __future__ import annotations

import click

from chalicelib.admin import users as user_admin


def register(users: click.Group) -> None:
    users.add_command(update_user)


@click.command("update")
@click.argument("tenant_id")
@click.argument("username")
@click.option("--admin/--no-admin", default=None, help="May sign in to the tenant's admin console.")
@click.option("--active/--disabled", default=None, help="May sign in at all.")
def update_user(tenant_id: str, username: str, admin: bool | None, active: bool | None) -> None:
    """Change whether a user administers the tenant (its console) or may sign in."""
    from chalicelib.admin.cli_output import echo_json as _print

    if admin is None and active is None:
        raise click.UsageError("give --admin/--no-admin or --active/--disabled")
    user = user_admin.update_user(tenant_id, username, admin=admin, active=active)
    _print({"username": user.username, "admin": user.admin, "active": user.active})

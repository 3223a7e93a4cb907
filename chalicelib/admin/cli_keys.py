"""``cli keys ...``: list, rotate, retire, migrate between backends, run the schedule."""

from __future__ import annotations

import dataclasses

import click

from chalicelib.admin import keys as key_admin
from chalicelib.admin.cli_output import echo_json

BACKENDS = click.Choice(list(key_admin.BACKENDS))


@click.group()
def keys() -> None:
    """Signing keys: list, rotate, retire, migrate; the rotation schedule."""


@keys.command("list")
@click.argument("tenant_id")
def list_keys(tenant_id: str) -> None:
    """The tenant's keys: kid, algorithm, backend, status and its times."""
    echo_json(key_admin.list_keys(tenant_id))


@keys.command("rotate")
@click.argument("tenant_id")
@click.option("--alg", default="RS256", show_default=True)
@click.option("--backend", type=BACKENDS, help="Default: the tenant's key_backend.")
@click.option("--now", "immediately", is_flag=True, help="Sign with it at once (RPs' cached JWKS may miss it).")
def rotate(tenant_id: str, alg: str, backend: str | None, immediately: bool) -> None:
    """A new key, published now and signing after the tenant's pre-publication time."""
    echo_json(key_admin.rotate_key(tenant_id, alg, backend, immediately=immediately))


@keys.command("retire")
@click.argument("tenant_id")
@click.argument("kid")
def retire(tenant_id: str, kid: str) -> None:
    """Stop publishing a key that no longer signs (or a next key: cancels its rotation)."""
    key_admin.retire_key(tenant_id, kid)
    echo_json({"kid": kid, "status": "retired"})


@keys.command("migrate")
@click.argument("tenant_id")
@click.option("--to", "backend", type=BACKENDS, required=True)
@click.option("--now", "immediately", is_flag=True, help="Sign with the new keys at once.")
def migrate(tenant_id: str, backend: str, immediately: bool) -> None:
    """Move the tenant's keys to another backend with no signature gap: new keys are
    published, then sign; the old ones stay published until retired."""
    echo_json(key_admin.migrate_keys(tenant_id, backend, immediately=immediately))


@keys.command("run-schedule")
@click.option("--at", "now", type=int, help="As if at this epoch second (default: now).")
def run_schedule(now: int | None) -> None:
    """One run of the scheduled rotation (the deployed schedule runs it every 10 minutes)."""
    from chalicelib.admin import rotation

    echo_json(dataclasses.asdict(rotation.run(now)))

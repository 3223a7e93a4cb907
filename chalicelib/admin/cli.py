"""The provisioning tool: ``python -m chalicelib.admin.cli --help``.

Works against whatever the environment points at: real AWS (credentials, ``AWS_REGION``) or
the local emulation (``AWS_ENDPOINT_URL``), with ``TABLE_NAME`` and ``MASTER_SECRET_ID``
naming the deployment's table and master secret.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from typing import Any

import click

from chalicelib import events
from chalicelib.admin import AdminError, cli_errors, cli_keys, cli_lists
from chalicelib.admin import clients as client_admin
from chalicelib.admin import tenants as tenant_admin
from chalicelib.admin import users as user_admin
from chalicelib.admin.cli_output import echo_json

_print = echo_json


class _Group(click.Group):
    """A one-line message on stderr instead of a traceback: an admin refusal exits with
    status 2, a problem reaching AWS (unreachable, no credentials, no table) with 1. A
    command is one request: its events are published when it ends, as a route's are."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            result = super().invoke(ctx)
            events.flush()
            return result
        except AdminError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(2)
        except Exception as error:
            message = cli_errors.explain(error)
            if message is None:
                raise
            click.echo(f"error: {message}", err=True)
            sys.exit(1)


@click.group(cls=_Group)
def cli() -> None:
    """Provision tenants, keys, clients and users of the OpenID Provider."""


@cli.command()
@click.option(
    "--create-table",
    is_flag=True,
    help="Also create the DynamoDB table (dev and tests; deployments get it from infra/).",
)
@click.option(
    "--create-queues",
    is_flag=True,
    help="Also create the back-channel logout queue and its dead-letter queue (as --create-table).",
)
def setup(create_table: bool, create_queues: bool) -> None:
    """Create the deployment's master secret, client-secret key and signing-key wrapping key
    (and optionally the table and queues)."""
    from chalicelib.keys import client_secrets, envelope
    from chalicelib.keys.master import create_master_secret
    from chalicelib.settings import settings

    result = {"master_secret": "created" if create_master_secret(settings.master_secret_id) else "exists"}
    if settings.client_secret_key_id and settings.client_secret_key_id.startswith("alias/"):
        result["client_secret_key"] = client_secrets.create_key(settings.client_secret_key_id)
    if settings.key_wrapping_key_id and settings.key_wrapping_key_id.startswith("alias/"):
        result["key_wrapping_key"] = envelope.create_wrapping_key(settings.key_wrapping_key_id)
    if create_table:
        from chalicelib.aws_session import session
        from infra.tables import create_table as create

        dynamodb = session().create_client("dynamodb")
        result["table"] = "created" if create(dynamodb, settings.table_name) else "exists"
    if create_queues:
        from chalicelib.aws_session import session
        from infra.queues import create_queues as create

        result["backchannel_queue"] = create(session().create_client("sqs"), settings.backchannel_queue)
    _print(result)


@cli.group()
def tenants() -> None:
    """Tenants: each is a separate OpenID Provider with its own issuer."""


@tenants.command("create")
@click.argument("tenant_id")
@click.option("--name", required=True)
@click.option("--key-backend", type=click.Choice(["envelope", "secretsmanager", "kms"]))
@click.option(
    "--setting", "settings", multiple=True, metavar="NAME=JSON", help="A tenant setting, e.g. token_expire=900."
)
@click.option("--exists-ok", is_flag=True, help="Succeed without changes if the tenant exists.")
def create_tenant(
    tenant_id: str, name: str, key_backend: str | None, settings: tuple[str, ...], exists_ok: bool
) -> None:
    """Create a tenant with a fresh RS256 signing key."""
    from chalicelib.store.tenants import get_tenant

    if exists_ok and get_tenant(tenant_id) is not None:
        _print({"tenant": tenant_id, "status": "exists"})
        return
    tenant = tenant_admin.create_tenant(tenant_id, name, key_backend=key_backend, settings=_settings(settings))
    _print({"tenant": tenant.id, "status": "created", "keys": [key["kid"] for key in tenant.keys]})


@tenants.command("show")
@click.argument("tenant_id")
def show_tenant(tenant_id: str) -> None:
    """The tenant as the admin API shows it: its keys without their sealed material."""
    from chalicelib.admin.keys import key_view

    tenant = tenant_admin.get_tenant(tenant_id)
    _print({**dataclasses.asdict(tenant), "keys": [key_view(key) for key in tenant.keys]})


@tenants.command("configure")
@click.argument("tenant_id")
@click.option("--setting", "settings", multiple=True, metavar="NAME=JSON", required=True)
def configure_tenant(tenant_id: str, settings: tuple[str, ...]) -> None:
    """Change tenant settings (token lifetimes, branding, PKCE policy, ...)."""
    _print(tenant_admin.update_settings(tenant_id, _settings(settings)).settings)


@tenants.command("admin-key")
@click.argument("tenant_id")
@click.option("--note", help="Whose key it is (kept with it).")
def admin_key(tenant_id: str, note: str | None) -> None:
    """An API key for the tenant's admin API (printed once)."""
    key, record = tenant_admin.issue_admin_key(tenant_id, note)
    _print({"admin_key": key, "key_id": record.key_id})


@tenants.command("admin-keys")
@click.argument("tenant_id")
def list_admin_keys(tenant_id: str) -> None:
    """The tenant's admin API keys: their ids (for revoke-admin-key), never the keys."""
    from chalicelib.store.admin_keys import list_admin_keys as listed

    tenant_admin.get_tenant(tenant_id)
    _print([dataclasses.asdict(key) for key in listed(tenant_id)])


@tenants.command("revoke-admin-key")
@click.argument("tenant_id")
@click.argument("key_id")
def revoke_admin_key(tenant_id: str, key_id: str) -> None:
    tenant_admin.revoke_admin_key(tenant_id, key_id)
    _print({"key_id": key_id, "status": "revoked"})


@tenants.command("registration-token")
@click.argument("tenant_id")
@click.option("--days", default=7, show_default=True, help="How long it may be used.")
@click.option("--note", help="Who it is for (kept with it).")
def registration_token(tenant_id: str, days: int, note: str | None) -> None:
    """An initial access token for dynamic client registration (printed once)."""
    from chalicelib.admin.registration import issue_initial_access_token

    _print({"initial_access_token": issue_initial_access_token(tenant_id, days, note), "days": days})


@cli.group()
def clients() -> None:
    """Clients (relying parties)."""


def _json_object(context: click.Context, param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:
        raise click.BadParameter("not JSON") from None


def _client_options(command: Any) -> Any:
    """The options of ``clients create`` and ``clients update``: the fields of a client."""
    options = [
        click.option("--redirect-uri", "redirect_uris", multiple=True),
        click.option("--post-logout-redirect-uri", "post_logout_redirect_uris", multiple=True),
        click.option("--response-type", "response_types", multiple=True, help="Default: code."),
        click.option("--grant-type", "grant_types", multiple=True, help="Default: what the response types need."),
        click.option("--scope", "scopes", multiple=True, help="Restrict the scopes this client may get."),
        # Named after the admin API's fields too (the short names came first).
        click.option(
            "--jwt-alg",
            "--id-token-signed-response-alg",
            "id_token_signed_response_alg",
            help="ID token algorithm (RS256).",
        ),
        click.option(
            "--userinfo-signed-response-alg",
            "userinfo_signed_response_alg",
            help="Sign UserInfo responses with this algorithm (default: plain JSON).",
        ),
        click.option(
            "--auth-method",
            "--token-endpoint-auth-method",
            "token_endpoint_auth_method",
            help="client_secret_basic, client_secret_post, client_secret_jwt or private_key_jwt.",
        ),
        # Client authentication by JWT (RFC 7523): the client's public keys, and their algorithm.
        click.option("--jwks", callback=_json_object, metavar="JSON", help="A JWK Set of public keys."),
        click.option("--jwks-uri", help="Where the client publishes its public keys (https)."),
        click.option(
            "--token-endpoint-auth-signing-alg",
            help="RS256, PS256, ES256, EdDSA, Ed25519; HS256 for client_secret_jwt.",
        ),
        click.option(
            "--require-pushed-authorization-requests/--no-require-pushed-authorization-requests",
            default=None,
            help="Its authorization requests must be pushed first (PAR, RFC 9126).",
        ),
        click.option(
            "--dpop-bound-access-tokens/--no-dpop-bound-access-tokens",
            default=None,
            help="Every token request must carry a DPoP proof (RFC 9449 section 5.2).",
        ),
        # Request objects (RFC 9101).
        click.option("--request-object-signing-alg", help="RS256, PS256, ES256, EdDSA or Ed25519 (default: any)."),
        click.option("--request-uri", "request_uris", multiple=True, help="A request_uri it may send (https)."),
        click.option(
            "--require-signed-request-object/--no-require-signed-request-object",
            default=None,
            help="Every authorization request must be a signed request object.",
        ),
        click.option("--require-consent/--no-require-consent", default=None, help="Confidential clients only."),
        click.option("--reuse-consent/--no-reuse-consent", default=None, help="Remember the user's consent."),
        click.option("--website-url"),
        click.option("--terms-url"),
        click.option("--contact-email"),
        click.option("--logo-uri"),
        click.option("--frontchannel-logout-uri"),
        click.option("--frontchannel-logout-session-required/--no-frontchannel-logout-session-required", default=None),
        click.option("--backchannel-logout-uri"),
        click.option("--backchannel-logout-session-required/--no-backchannel-logout-session-required", default=None),
        click.option("--subject-type", type=click.Choice(["public", "pairwise"]), help="OIDC Core 8 (public)."),
        click.option("--sector-identifier-uri", help="Pairwise: a JSON array listing every redirect URI."),
        click.option(
            "--verified/--unverified",
            default=None,
            help="Whether the tenant vouches for the client (self-registered ones start unverified).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _given(options: dict[str, Any]) -> dict[str, Any]:
    """The options given on the command line (empty repeats and unset flags are not)."""
    return {name: value for name, value in options.items() if value not in (None, ())}


@clients.command("create")
@click.argument("tenant_id")
@click.option("--name", required=True)
@click.option("--type", "--client-type", "client_type", type=click.Choice(["confidential", "public"]), required=True)
@_client_options
@click.option("--client-id", help="Default: generated.")
@click.option("--client-secret", help="Default: generated (256 bits).")
@click.option("--exists-ok", is_flag=True, help="With --client-id: succeed without changes if it exists.")
def create_client(tenant_id: str, name: str, client_type: str, exists_ok: bool, **options: Any) -> None:
    """Register a client; prints its secret once."""
    from chalicelib.store.clients import get_client

    if exists_ok and options["client_id"] and get_client(tenant_id, options["client_id"]) is not None:
        _print({"client_id": options["client_id"], "status": "exists"})
        return
    client, secret = client_admin.create_client(tenant_id, name=name, client_type=client_type, **_given(options))
    _print({"client_id": client.client_id, "client_secret": secret, "status": "created"})


@clients.command("update")
@click.argument("tenant_id")
@click.argument("client_id")
@click.option("--name")
@_client_options
def update_client(tenant_id: str, client_id: str, **options: Any) -> None:
    """Change a client's settings; a repeated option (--redirect-uri, ...) replaces the list."""
    client = client_admin.update_client(tenant_id, client_id, **_given(options))
    _print({"client_id": client.client_id, "status": "updated"})


@clients.command("rotate-secret")
@click.argument("tenant_id")
@click.argument("client_id")
def rotate_client_secret(tenant_id: str, client_id: str) -> None:
    """A new secret (printed once); the old one stops working."""
    client, secret = client_admin.rotate_secret(tenant_id, client_id)
    _print({"client_id": client.client_id, "client_secret": secret, "status": "rotated"})


@clients.command("list")
@click.argument("tenant_id")
def list_clients(tenant_id: str) -> None:
    _print(
        [
            {"client_id": c.client_id, "name": c.name, "client_type": c.client_type, "verified": c.verified}
            for c in client_admin.list_clients(tenant_id)
        ]
    )


@clients.command("delete")
@click.argument("tenant_id")
@click.argument("client_id")
def delete_client(tenant_id: str, client_id: str) -> None:
    client_admin.delete_client(tenant_id, client_id)
    _print({"client_id": client_id, "status": "deleted"})


@cli.group()
def users() -> None:
    """End users."""


@users.command("create")
@click.argument("tenant_id")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--claim", "claims", multiple=True, metavar="NAME=JSON", help='A standard claim, e.g. email="a@b.c".')
@click.option("--exists-ok", is_flag=True, help="Succeed without changes if the username exists.")
def create_user(tenant_id: str, username: str, password: str, claims: tuple[str, ...], exists_ok: bool) -> None:
    """Create a user; prints its sub."""
    from chalicelib.store.users import get_login

    if exists_ok and get_login(tenant_id, username) is not None:
        _print({"username": username, "status": "exists"})
        return
    user = user_admin.create_user(tenant_id, username, password, _settings(claims))
    _print({"username": user.username, "sub": user.sub, "status": "created"})


@users.command("set-password")
@click.argument("tenant_id")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def set_password(tenant_id: str, username: str, password: str) -> None:
    user_admin.set_password(tenant_id, username, password)
    _print({"username": username, "status": "password set"})


@users.command("set-claims")
@click.argument("tenant_id")
@click.argument("username")
@click.option("--claim", "claims", multiple=True, metavar="NAME=JSON", required=True, help="NAME=null removes it.")
def set_claims(tenant_id: str, username: str, claims: tuple[str, ...]) -> None:
    """Change some of a user's claims."""
    user = user_admin.update_claims(tenant_id, username, _settings(claims))
    _print({"username": user.username, "claims": user.claims})


@users.command("disable")
@click.argument("tenant_id")
@click.argument("username")
def disable_user(tenant_id: str, username: str) -> None:
    """The user can no longer log in, and its tokens stop working."""
    user_admin.set_active(tenant_id, username, False)
    _print({"username": username, "status": "disabled"})


@users.command("enable")
@click.argument("tenant_id")
@click.argument("username")
def enable_user(tenant_id: str, username: str) -> None:
    user_admin.set_active(tenant_id, username, True)
    _print({"username": username, "status": "enabled"})


@users.command("unlock")
@click.argument("tenant_id")
@click.argument("username")
def unlock_user(tenant_id: str, username: str) -> None:
    """Forget the user's failed sign-in attempts: every browser may try again at once."""
    cleared = user_admin.unlock(tenant_id, username)
    _print({"username": username, "status": "unlocked", "counters_cleared": cleared})


@users.command("reset-second-factor")
@click.argument("tenant_id")
@click.argument("username")
def reset_second_factor(tenant_id: str, username: str) -> None:
    """Remove the user's authenticator app and recovery codes (a lost phone): they enrol a
    new one at their next sign-in where the tenant requires it."""
    removed = user_admin.reset_second_factor(tenant_id, username)
    _print({"username": username, "status": "second factor reset", "factors_removed": removed})


users.add_command(cli_lists.list_users)


def _settings(pairs: tuple[str, ...]) -> dict[str, Any]:
    """NAME=JSON pairs; a value that is not JSON is taken as a string."""
    values: dict[str, Any] = {}
    for pair in pairs:
        name, eq, raw = pair.partition("=")
        if not eq:
            raise AdminError(f"expected NAME=VALUE, got {pair}")
        try:
            values[name] = json.loads(raw)
        except json.JSONDecodeError:
            values[name] = raw
    return values


from chalicelib.admin import cli_tenants  # noqa: E402  (list, disable, enable, export, delete)

cli_tenants.register(tenants, users)
cli.add_command(cli_keys.keys)

from chalicelib.admin import cli_templates  # noqa: E402  (tenant page templates)

cli.add_command(cli_templates.templates)

from chalicelib.admin import cli_console  # noqa: E402  (registers `users update`)

cli_console.register(users)

if __name__ == "__main__":
    cli()

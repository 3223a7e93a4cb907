"""The tenant admin API: what a tenant admin does over HTTP (clients, users, settings and
branding, registration tokens), with the admin services the CLI uses.

Actions that create AWS resources (tenants, signing keys) stay with the operator's CLI and
credentials, so the internet-facing function never holds permission to create keys or
secrets. Each function takes the tenant id and the request's JSON and returns (status,
body); AdminError says what was refused. A tenant, client or user is shown with its
``version``; a change may name the version it was based on (``expected``, from If-Match)
and is then refused if the item has changed since (PreconditionFailed).
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import asdict
from typing import Any

from chalicelib.admin import AdminError
from chalicelib.admin import clients as client_admin
from chalicelib.admin import keys as key_admin
from chalicelib.admin import tenants as tenant_admin
from chalicelib.admin import users as user_admin
from chalicelib.admin.optimistic import check_version
from chalicelib.admin.registration import issue_initial_access_token
from chalicelib.oidc.params import MAX_LENGTH
from chalicelib.store.clients import Client
from chalicelib.store.tenants import Tenant
from chalicelib.store.users import User

Answer = tuple[int, dict[str, Any]]
# Settings that decide where keys live, and which private hosts the provider's outbound
# requests may reach (a tenant admin must not aim it at the operator's network), are the
# operator's, not the tenant admin's.
OPERATOR_SETTINGS = frozenset({"key_backend", "outbound_allowed_hosts"})
CLIENT_SECRETS = ("secret_hash", "secret_ciphertext", "registration_token_hash")
MAX_NOTE = 256
# The fields each request body may have (a client's: admin.clients.FIELDS); the OpenAPI
# document (chalicelib/admin/openapi.json) names the same, tests/unit/test_openapi.py checks.
TENANT_CHANGE = frozenset({"settings"})
NEW_USER = frozenset({"username", "password", "claims"})
USER_CHANGE = frozenset({"claims", "active", "admin", "password"})
NEW_REGISTRATION_TOKEN = frozenset({"days", "note"})
TEMPLATE_UPLOAD = frozenset({"source"})


def show_tenant(tenant_id: str) -> Answer:
    return 200, tenant_view(tenant_admin.get_tenant(tenant_id))


def configure_tenant(tenant_id: str, body: Mapping[str, Any], expected: int | None = None) -> Answer:
    _only(body, TENANT_CHANGE, "a tenant's change")
    changes = _object(body.get("settings"), "settings")
    if OPERATOR_SETTINGS & set(changes):
        raise AdminError(f"only the operator changes {', '.join(sorted(OPERATOR_SETTINGS & set(changes)))}")
    return 200, tenant_view(tenant_admin.update_settings(tenant_id, changes, expected=expected))


def list_clients(tenant_id: str) -> Answer:
    return 200, {"clients": [client_view(client) for client in client_admin.list_clients(tenant_id)]}


def create_client(tenant_id: str, body: Mapping[str, Any]) -> Answer:
    fields = dict(body)
    name, client_type = fields.pop("name", ""), fields.pop("client_type", "")
    if not isinstance(name, str) or not isinstance(client_type, str):
        raise AdminError("name and client_type are strings")
    fields.pop("client_secret", None)  # always generated here: 256 random bits
    client, secret = client_admin.create_client(tenant_id, name=name, client_type=client_type, **_fields(fields))
    return 201, {**client_view(client), "client_secret": secret}


def show_client(tenant_id: str, client_id: str) -> Answer:
    return 200, client_view(client_admin.get_client(tenant_id, client_id))


def update_client(tenant_id: str, client_id: str, body: Mapping[str, Any], expected: int | None = None) -> Answer:
    fields = _fields(body)
    if fields.pop("client_id", client_id) != client_id:
        raise AdminError("a client's id cannot change")
    return 200, client_view(client_admin.update_client(tenant_id, client_id, expected=expected, **fields))


def rotate_client_secret(tenant_id: str, client_id: str) -> Answer:
    client, secret = client_admin.rotate_secret(tenant_id, client_id)
    return 200, {**client_view(client), "client_secret": secret}


def delete_client(tenant_id: str, client_id: str, expected: int | None = None) -> Answer:
    client_admin.delete_client(tenant_id, client_id, expected=expected)
    return 204, {}


def list_users(tenant_id: str, after: str | None) -> Answer:
    users, next_after = user_admin.list_users(tenant_id, after)
    return 200, {"users": [user_view(user) for user in users], "next": next_after}


def create_user(tenant_id: str, body: Mapping[str, Any]) -> Answer:
    _only(body, NEW_USER, "a user")
    username, password = body.get("username"), _password(body.get("password"))
    if not isinstance(username, str):
        raise AdminError("username and password are strings")
    user = user_admin.create_user(tenant_id, username, password, _object(body.get("claims", {}), "claims"))
    return 201, user_view(user)


def show_user(tenant_id: str, username: str) -> Answer:
    return 200, user_view(user_admin.get_user_by_username(tenant_id, username))


def update_user(tenant_id: str, username: str, body: Mapping[str, Any], expected: int | None = None) -> Answer:
    """Any of: claims (merged; null removes one), active, admin, password. Every field is
    checked before the first write, so a refused change writes nothing; claims, active and
    admin change in one conditional write; the password is the login's, which has no version."""
    _only(body, USER_CHANGE, "a user")
    password = _password(body["password"]) if "password" in body else None
    if password is not None:
        user_admin.check_password(password)
    claims = _object(body["claims"], "claims") if "claims" in body else None
    active = body.get("active")
    admin = body.get("admin")
    if ("active" in body and not isinstance(active, bool)) or ("admin" in body and not isinstance(admin, bool)):
        raise AdminError("active and admin are true or false")
    # Refused before anything is written when the user is gone or has changed since.
    user = user_admin.get_user_by_username(tenant_id, username)
    check_version(user.version, expected, f"user {username}")
    if claims is not None or active is not None or admin is not None:
        user = user_admin.update_user(tenant_id, username, claims=claims, active=active, admin=admin, expected=expected)
    if password is not None:
        user_admin.set_password(tenant_id, username, password)
    return 200, user_view(user)


def unlock_user(tenant_id: str, username: str) -> Answer:
    cleared = user_admin.unlock(tenant_id, username)
    return 200, {**user_view(user_admin.get_user_by_username(tenant_id, username)), "counters_cleared": cleared}


def reset_second_factor(tenant_id: str, username: str, actor: str = "api") -> Answer:
    removed = user_admin.reset_second_factor(tenant_id, username, actor=actor)
    return 200, {**user_view(user_admin.get_user_by_username(tenant_id, username)), "factors_removed": removed}


def delete_user(tenant_id: str, username: str, expected: int | None = None, actor: str = "api") -> Answer:
    """The user, its sessions, grants and consents (chalicelib.admin.users.delete_user)."""
    user_admin.delete_user(tenant_id, username, expected=expected, actor=actor)
    return 204, {}


def create_registration_token(tenant_id: str, body: Mapping[str, Any]) -> Answer:
    _only(body, NEW_REGISTRATION_TOKEN, "a registration token")
    days, note = body.get("days", 7), body.get("note")
    if type(days) is not int or not (note is None or (isinstance(note, str) and len(note) <= MAX_NOTE)):
        raise AdminError(f"days is a whole number and note a string of at most {MAX_NOTE} characters")
    return 201, {"initial_access_token": issue_initial_access_token(tenant_id, days, note), "days": days}


def list_keys(tenant_id: str) -> Answer:
    return 200, {"keys": key_admin.list_keys(tenant_id)}


def rotate_key(tenant_id: str, body: Mapping[str, Any], actor: str = "api") -> Answer:
    """A forced rotation, as ``cli keys rotate`` (on the tenant's own key backend: where keys
    live is the operator's choice)."""
    _only(body, {"alg", "immediately"}, "a key rotation")
    alg, immediately = body.get("alg", "RS256"), body.get("immediately", False)
    if not isinstance(alg, str) or not isinstance(immediately, bool):
        raise AdminError("alg is a string and immediately true or false")
    return 201, key_admin.rotate_key(tenant_id, alg[:16], immediately=immediately, actor=actor)


def retire_key(tenant_id: str, kid: str, actor: str = "api") -> Answer:
    key_admin.retire_key(tenant_id, kid, actor=actor)
    return 204, {}


def list_templates(tenant_id: str) -> Answer:
    """The tenant's page templates (without their sources) and the pages that may have one."""
    from chalicelib.admin import templates
    from chalicelib.templating import NAMES

    found = templates.list_templates(tenant_id)
    summaries = [
        {"name": t.name, "version": t.version, "updated_at": t.updated_at, "size": len(t.source)} for t in found
    ]
    return 200, {"templates": summaries, "pages": list(NAMES)}


def show_template(tenant_id: str, name: str) -> Answer:
    from chalicelib.admin import templates

    return 200, template_view(templates.get_template(tenant_id, name))


def put_template(
    tenant_id: str, name: str, body: Mapping[str, Any], expected: int | None, actor: str = "api"
) -> Answer:
    """Upload (create or replace) the tenant's template for a page; refused with the
    template line at fault when it does not validate (chalicelib.templating.validate)."""
    from chalicelib.admin import templates

    _only(body, TEMPLATE_UPLOAD, "a template")
    saved = templates.put_template(tenant_id, name, body.get("source"), expected=expected, actor=actor)
    return 200, template_view(saved)


def delete_template(tenant_id: str, name: str, expected: int | None, actor: str = "api") -> Answer:
    from chalicelib.admin import templates

    templates.delete_template(tenant_id, name, expected=expected, actor=actor)
    return 204, {}


def template_view(template: Any) -> dict[str, Any]:
    return asdict(template)


def tenant_view(tenant: Tenant) -> dict[str, Any]:
    keys = [{name: key.get(name) for name in ("kid", "alg", "status", "created_at")} for key in tenant.keys]
    return {
        "id": tenant.id,
        "name": tenant.name,
        "created_at": tenant.created_at,
        "settings": tenant.settings,
        "keys": keys,
        "version": tenant.version,
    }


def client_view(client: Client) -> dict[str, Any]:
    view = {name: value for name, value in asdict(client).items() if name not in CLIENT_SECRETS}
    view.pop("tenant_id")
    view["registered_dynamically"] = client.registration_token_hash is not None
    return view


def user_view(user: User) -> dict[str, Any]:
    """The user as an admin sees it: not the epoch, an internal number that voids the user's
    sessions and grants when it changes (chalicelib.store.users.may_act)."""
    view = asdict(user)
    del view["tenant_id"], view["epoch"]
    return view


def _fields(values: Mapping[str, Any]) -> dict[str, Any]:
    """Client fields from JSON: the same names as the CLI's (see admin.clients.FIELDS)."""
    unknown = set(values) - set(client_admin.FIELDS) - {"name", "client_id"}
    if unknown:
        raise AdminError(f"a client has no field {', '.join(sorted(unknown))}")
    return dict(values)


def _only(body: Mapping[str, Any], names: AbstractSet[str], what: str) -> None:
    """Unknown fields are refused, not ignored: a misspelt field must not pass for done."""
    unknown = set(body) - names
    if unknown:
        raise AdminError(f"{what} has no field {', '.join(sorted(unknown))}")


def _password(value: Any) -> str:
    """A string no longer than the login form accepts (chalicelib.oidc.params.MAX_LENGTH)."""
    if not isinstance(value, str) or len(value) > MAX_LENGTH:
        raise AdminError(f"password is a string of at most {MAX_LENGTH} characters")
    return value


def _object(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise AdminError(f"{name} is a JSON object")
    return value

"""The console's client pages: list, create, edit, rotate the secret (shown once), delete.

Every change goes through ``chalicelib.admin.clients`` (the CLI's and the admin API's
validation and conditional writes); an edit or delete names the version its form was
rendered from, so a client changed meanwhile is refused (409) rather than overwritten.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.admin import AdminError
from chalicelib.admin import clients as client_admin
from chalicelib.admin.client_fields import AUTH_METHODS
from chalicelib.admin.optimistic import check_version
from chalicelib.console import forms
from chalicelib.console.audit import audited
from chalicelib.console.session import Admin
from chalicelib.console.signin import CLIENT_ID as CONSOLE_CLIENT
from chalicelib.context import Context
from chalicelib.oidc.errors import InvalidPage
from chalicelib.oidc.results import Result
from chalicelib.store.clients import Client

SECTION = "clients"
# The client's optional one-line fields (empty: none).
TEXTS = (
    "website_url", "terms_url", "contact_email", "logo_uri", "frontchannel_logout_uri", "backchannel_logout_uri",
    "token_endpoint_auth_method", "jwks_uri", "sector_identifier_uri", "request_object_signing_alg",
)  # fmt: skip
# Its checkboxes (unticked: false).
CHECKS = (
    "reuse_consent", "require_pushed_authorization_requests", "dpop_bound_access_tokens",
    "require_signed_request_object",
)  # fmt: skip


def list_page(ctx: Context, admin: Admin, query: Mapping[str, str]) -> Result:
    clients = sorted(client_admin.list_clients(ctx.tenant.id), key=lambda client: client.name.lower())
    return forms.page(ctx, admin, "clients.html", SECTION, done=query.get("done"), clients=clients,
                      builtin=CONSOLE_CLIENT)  # fmt: skip


def new_page(ctx: Context, admin: Admin) -> Result:
    return _form(ctx, admin, None, {})


def create(ctx: Context, admin: Admin, form: Mapping[str, str]) -> Result:
    try:
        client_type = form.get("client_type", "")
        client, secret = client_admin.create_client(
            ctx.tenant.id, name=form.get("name", ""), client_type=client_type, **_fields(form, client_type)
        )
    except AdminError as error:
        return _form(ctx, admin, None, form, error=str(error), status=400)
    audited(ctx, admin, "admin_client_created", client_id=client.client_id, name=client.name)
    return _secret_page(ctx, admin, client, secret)


def edit_page(ctx: Context, admin: Admin, query: Mapping[str, str]) -> Result:
    client = client_admin.get_client(ctx.tenant.id, _client_id(query))
    return _form(ctx, admin, client, _values(client), done=query.get("done"))


def change(ctx: Context, admin: Admin, form: Mapping[str, str]) -> Result:
    """The edit form's buttons: save, rotate the secret, delete."""
    client_id, expected = _client_id(form), forms.version(form)
    action = form.get("action")
    if action == "delete" and not forms.confirmed(form):
        current = client_admin.get_client(ctx.tenant.id, client_id)
        check_version(current.version, expected, f"client {client_id}")
        fields = {"client_id": client_id, "version": str(expected)}
        return forms.confirm_delete(ctx, admin, SECTION, "client", current.name, fields,
                                    "Its users will no longer be able to sign in to it.")  # fmt: skip
    if action == "delete":
        client_admin.delete_client(ctx.tenant.id, client_id, expected=expected)
        audited(ctx, admin, "admin_client_deleted", client_id=client_id)
        return forms.done(ctx, "/clients", "client-deleted")
    current = client_admin.get_client(ctx.tenant.id, client_id)
    check_version(current.version, expected, f"client {client_id}")
    if action == "rotate":
        rotated, secret = client_admin.rotate_secret(ctx.tenant.id, client_id)
        audited(ctx, admin, "admin_client_secret_rotated", client_id=client_id)
        return _secret_page(ctx, admin, rotated, secret)
    try:
        fields = {"name": form.get("name", ""), **_fields(form, current.client_type)}
        client_admin.update_client(ctx.tenant.id, client_id, expected=expected, **fields)
    except AdminError as error:
        if forms.is_refusal(error):  # the item is gone or changed: the page for each
            raise
        return _form(ctx, admin, current, {**form, "version": str(expected)}, error=str(error), status=400)
    audited(ctx, admin, "admin_client_updated", client_id=client_id)
    return forms.done(ctx, f"/client?client_id={client_id}", "client-saved")


def _client_id(values: Mapping[str, str]) -> str:
    client_id = values.get("client_id", "")
    if client_id == CONSOLE_CLIENT:
        raise InvalidPage("the console's own client is managed by the console itself")
    return client_id


def _fields(form: Mapping[str, str], client_type: str) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "redirect_uris": forms.lines(form, "redirect_uris"),
        "post_logout_redirect_uris": forms.lines(form, "post_logout_redirect_uris"),
        "request_uris": forms.lines(form, "request_uris"),
        "response_types": forms.lines(form, "response_types") or ("code",),
        "grant_types": forms.words(form, "grant_types") or None,
        "scopes": forms.words(form, "scopes"),
        "require_consent": forms.checked(form, "require_consent") or client_type == "public",
        "subject_type": form.get("subject_type") or "public",
        "jwks": _jwks(form),
    }
    for name in CHECKS:
        fields[name] = forms.checked(form, name)
    for name in TEXTS:
        fields[name] = forms.text(form, name)
    return fields


def _jwks(form: Mapping[str, str]) -> dict[str, Any] | None:
    """The JWK Set typed into the form (empty: none); its keys are checked with every other
    field (chalicelib.admin.client_fields)."""
    from chalicelib.oidc.params import json_object

    value = forms.text(form, "jwks")
    if value is None:
        return None
    try:
        return json_object(value.encode("utf-8", "surrogatepass"))
    except ValueError as error:
        raise AdminError(f"jwks must be a JSON object, a JWK Set: {error}") from None


def _values(client: Client) -> dict[str, Any]:
    """The form's fields as the client has them."""
    import json

    values: dict[str, Any] = {
        "name": client.name,
        "client_type": client.client_type,
        "redirect_uris": "\n".join(client.redirect_uris),
        "post_logout_redirect_uris": "\n".join(client.post_logout_redirect_uris),
        "request_uris": "\n".join(client.request_uris),
        "response_types": "\n".join(client.response_types),
        "grant_types": " ".join(client.grant_types),
        "scopes": " ".join(client.scopes),
        "subject_type": client.subject_type,
        "jwks": json.dumps(client.jwks) if client.jwks else "",
        "version": str(client.version),
    }
    for name in TEXTS:
        values[name] = getattr(client, name) or ""
    for name in ("require_consent", *CHECKS):
        if getattr(client, name):
            values[name] = "on"
    return values


def _form(
    ctx: Context,
    admin: Admin,
    client: Client | None,
    values: Mapping[str, Any],
    error: str | None = None,
    status: int = 200,
    done: str | None = None,
) -> Result:
    blank = dict.fromkeys(
        (
            "name",
            "client_type",
            "redirect_uris",
            "post_logout_redirect_uris",
            "request_uris",
            "grant_types",
            "scopes",
            "jwks",
            *TEXTS,
        ),
        "",
    )
    defaults = {
        "client_type": "confidential", "response_types": "code", "reuse_consent": "on", "require_consent": "on",
        "subject_type": "public",
    }  # fmt: skip
    shown = {**blank, **(values if client or values else defaults)}
    return forms.page(ctx, admin, "client.html", SECTION, status=status, done=done, client=client, values=shown,
                      error=error, auth_methods=AUTH_METHODS)  # fmt: skip


def _secret_page(ctx: Context, admin: Admin, client: Client, secret: str | None) -> Result:
    """The only time the secret is shown: this response, which is never cached."""
    return forms.page(ctx, admin, "client_secret.html", SECTION, client=client, secret=secret)

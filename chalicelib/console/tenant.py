"""The console's tenant pages: branding and settings (each field checked on its own, so
every wrong one gets its message next to it), signing keys (list, rotate, retire), and the
recent audit events."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.admin import AdminError
from chalicelib.admin import keys as key_admin
from chalicelib.admin import tenants as tenant_admin
from chalicelib.admin.api import OPERATOR_SETTINGS
from chalicelib.admin.optimistic import check_version
from chalicelib.console import forms
from chalicelib.console.audit import audited, recent
from chalicelib.console.session import Admin
from chalicelib.context import Context
from chalicelib.keys.algorithms import ALGORITHMS
from chalicelib.oidc.errors import InvalidPage
from chalicelib.oidc.results import Result
from chalicelib.store.tenants import Tenant
from chalicelib.tenancy.settings import BOUNDS, CHOICES, Branding, TenantSettings

# The settings the console edits (the operator's stay out: OPERATOR_SETTINGS), with labels.
NUMBERS = {
    "code_expire": "Authorization code lifetime (seconds)",
    "token_expire": "Access token lifetime (seconds)",
    "idtoken_expire": "ID token lifetime (seconds)",
    "refresh_token_expire": "Refresh token lifetime (seconds)",
    "session_expire": "Sign-in session lifetime (seconds)",
    "skip_consent_expire": "Remembered consent lifetime (days)",
}
SELECTS = {
    "require_pkce": "PKCE required for",
    "client_registration": "Dynamic client registration",
    "mfa_policy": "Second factor (authenticator app)",
    "default_language": "Sign-in pages' language (when the browser asks for none of them)",
}
FLAGS = {
    "session_management_enable": "Session management (check-session iframe)",
    "grant_type_password_enable": "Resource owner password grant",
}
BRANDING = {"display_name": "Display name", "logo_uri": "Logo URL", "primary_color": "Primary colour"}
assert not OPERATOR_SETTINGS & {*NUMBERS, *SELECTS, *FLAGS}


def settings_page(ctx: Context, admin: Admin, query: Mapping[str, str]) -> Result:
    tenant = tenant_admin.get_tenant(ctx.tenant.id)
    return _settings_form(ctx, admin, tenant, _current(tenant), {}, done=query.get("done"))


def save_settings(ctx: Context, admin: Admin, form: Mapping[str, str]) -> Result:
    expected = forms.version(form)
    tenant = tenant_admin.get_tenant(ctx.tenant.id)
    check_version(tenant.version, expected, f"tenant {ctx.tenant.id}")
    changes, errors = _changes(form)
    if not errors:
        try:
            tenant_admin.update_settings(ctx.tenant.id, changes, expected=expected)
        except AdminError as error:
            if forms.is_refusal(error):  # the item is gone or changed: the page for each
                raise
            errors["form"] = str(error)
    if errors:
        values = {name: form.get(name, "") for name in (*NUMBERS, *SELECTS, *BRANDING)}
        values.update({name: forms.checked(form, name) for name in FLAGS})
        return _settings_form(ctx, admin, tenant, values, errors, status=400)
    audited(ctx, admin, "admin_tenant_updated", settings=",".join(_changed(tenant, changes)) or "none")
    return forms.done(ctx, "/settings", "settings-saved")


def _changes(form: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The settings the form sets, and a message for each field that is wrong (checked one
    by one with the same rules the admin services apply to the whole)."""
    changes: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, label in NUMBERS.items():
        try:
            changes[name] = forms.whole(form, name, label)
        except AdminError as error:
            errors[name] = str(error)
    changes.update({name: form.get(name, "") for name in SELECTS})
    changes.update({name: forms.checked(form, name) for name in FLAGS})
    changes = {name: value for name, value in changes.items() if value is not None and name not in errors}
    for name, value in changes.items():
        try:
            TenantSettings.from_mapping({name: value})
        except (TypeError, ValueError) as error:
            errors[name] = str(error)
    branding = {name: forms.text(form, name) for name in BRANDING}
    branding = {name: value for name, value in branding.items() if value is not None}
    for name, value in branding.items():
        try:
            Branding.from_mapping({name: value})
        except (TypeError, ValueError) as error:
            errors[name] = str(error)
    changes["branding"] = branding
    return changes, errors


def _changed(tenant: Tenant, changes: Mapping[str, Any]) -> list[str]:
    """The names of the settings whose values the change alters (what the audit names)."""
    before = _current(tenant)
    changed = [name for name, value in changes.items() if name != "branding" and before.get(name) != value]
    branding = changes.get("branding", {})
    changed += [f"branding.{name}" for name in BRANDING if (branding.get(name) or "") != (before.get(name) or "")]
    return sorted(changed)


def _current(tenant: Tenant) -> dict[str, Any]:
    settings = TenantSettings.from_stored(tenant.settings)
    values: dict[str, Any] = {name: getattr(settings, name) for name in (*NUMBERS, *SELECTS, *FLAGS)}
    values.update({name: getattr(settings.branding, name) or "" for name in BRANDING})
    return values


def _settings_form(
    ctx: Context,
    admin: Admin,
    tenant: Tenant,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    status: int = 200,
    done: str | None = None,
) -> Result:
    return forms.page(
        ctx, admin, "settings.html", "settings", status=status, done=done, tenant=tenant, values=values,
        errors=errors, numbers=NUMBERS, selects={name: (label, CHOICES[name]) for name, label in SELECTS.items()},
        flags=FLAGS, branding_fields=BRANDING, bounds=BOUNDS,
    )  # fmt: skip


def keys_page(ctx: Context, admin: Admin, query: Mapping[str, str]) -> Result:
    tenant = tenant_admin.get_tenant(ctx.tenant.id)
    keys = sorted(tenant.keys, key=lambda key: -int(key.get("created_at") or 0))
    return forms.page(ctx, admin, "keys.html", "keys", done=query.get("done"), tenant=tenant, keys=keys,
                      algorithms=list(ALGORITHMS), jwks=ctx.url("jwks_uri"))  # fmt: skip


def change_keys(ctx: Context, admin: Admin, form: Mapping[str, str]) -> Result:
    """Rotate (a new key for an algorithm, published first and signing after the tenant's
    pre-publication time) or retire (stop publishing a key that no longer signs), from a
    page of the tenant at the version the form names."""
    expected = forms.version(form)
    check_version(tenant_admin.get_tenant(ctx.tenant.id).version, expected, f"tenant {ctx.tenant.id}")
    action = form.get("action")
    if action == "rotate":
        alg = form.get("alg", "")
        if alg not in ALGORITHMS:
            raise InvalidPage("choose one of the algorithms offered")
        key = key_admin.rotate_key(ctx.tenant.id, alg, actor=admin.actor)
        audited(ctx, admin, "admin_key_rotated", kid=key["kid"], alg=alg)
        return forms.done(ctx, "/keys", "key-rotated")
    if action == "retire":
        kid = form.get("kid", "")
        key_admin.retire_key(ctx.tenant.id, kid, actor=admin.actor)
        audited(ctx, admin, "admin_key_retired", kid=kid)
        return forms.done(ctx, "/keys", "key-retired")
    raise InvalidPage("unknown action")


def events_page(ctx: Context, admin: Admin) -> Result:
    return forms.page(ctx, admin, "events.html", "events", entries=recent(ctx))

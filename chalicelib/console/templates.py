"""The console's templates page: the tenant's own sign-in pages and mail (chalicelib.templating,
docs/templates.md), one at a time: its source in a text area, saved through the admin
service (validated first: a refusal comes back with the line at fault, nothing written) or
removed (after a confirmation), so the built-in one is used again."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.admin import AdminError
from chalicelib.admin import templates as template_admin
from chalicelib.console import forms
from chalicelib.console.audit import audited
from chalicelib.console.session import Admin
from chalicelib.context import Context
from chalicelib.oidc.errors import InvalidPage
from chalicelib.oidc.results import Result
from chalicelib.templating import NAMES

SECTION = "templates"
forms.NOTICES.update({
    "template-saved": "The template was saved: new pages and messages use it within half a minute.",
    "template-deleted": "The template was removed: the built-in one is used again.",
})  # fmt: skip


def templates_page(ctx: Context, admin: Admin, query: Mapping[str, str]) -> Result:
    name = query.get("name") if query.get("name") in NAMES else NAMES[0]
    return _form(ctx, admin, str(name), done=query.get("done"))


def change(ctx: Context, admin: Admin, form: Mapping[str, str], source: str | None) -> Result:
    """Save the text area's template, or remove the stored one (asked once more first)."""
    name, expected = form.get("name", ""), forms.version(form)
    if name not in NAMES:
        raise InvalidPage("this form is incomplete: reload the page and try again")
    if form.get("action") == "delete":
        if not forms.confirmed(form):
            fields = {"name": name, "version": str(expected)}
            return forms.confirm_delete(ctx, admin, SECTION, "template", name, fields,
                                        "The built-in one is used again.")  # fmt: skip
        template_admin.delete_template(ctx.tenant.id, name, expected=expected, actor=admin.actor)
        audited(ctx, admin, "admin_template_deleted", name=name)
        return forms.done(ctx, f"/templates?name={name}", "template-deleted")
    try:
        saved = template_admin.put_template(ctx.tenant.id, name, source, expected=expected, actor=admin.actor)
    except AdminError as error:
        if forms.is_refusal(error):  # gone or changed since the form was shown: a page of its own
            raise
        return _form(ctx, admin, name, source=source or "", error=str(error), status=400)
    audited(ctx, admin, "admin_template_saved", name=name, version=saved.version)
    return forms.done(ctx, f"/templates?name={name}", "template-saved")


def _form(ctx: Context, admin: Admin, name: str, **shown: Any) -> Result:
    stored = {template.name: template for template in template_admin.list_templates(ctx.tenant.id)}
    current = stored.get(name)
    source = shown.pop("source", None)
    return forms.page(
        ctx, admin, "templates.html", SECTION, status=shown.pop("status", 200), done=shown.pop("done", None),
        names=NAMES, name=name, custom=sorted(stored), stored=current,
        source=source if source is not None else (current.source if current else ""),
        version=current.version if current else 0, **shown,
    )  # fmt: skip

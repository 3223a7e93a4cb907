"""A tenant's own page content (chalicelib.templating) in place of ours, inside our layout.

Which pages a tenant overrides, and at which version, comes with its cached configuration
(``TenantConfig.templates``): a page the tenant has not overridden costs no read at all. An
overridden one costs one GetItem per container and template version (cached after), and a
sandboxed render. If the render fails (data no sample foresaw) or produces markup that is not
allowed, the built-in page is shown instead and the failure logged: a tenant's template must
never stand between a user and signing in.
"""

from __future__ import annotations

import logging
from typing import Any

from chalicelib.context import Context
from chalicelib.oidc.results import Page
from chalicelib.templating import BUILT_IN

logger = logging.getLogger(__name__)
LAYOUT = "override.html"


def apply(page: Page, ctx: Context | None, context: dict[str, Any], language: str) -> tuple[str, dict[str, Any]]:
    """The template to render and its context: the tenant's content in our layout where it
    has its own template for the page (and it renders), else the page as it is."""
    name = page_name(page, ctx)
    content = render_content(name, ctx, context, language) if name and ctx else None
    if content is None:
        return page.template, context
    from markupsafe import Markup

    # The sandbox's output, autoescaped there and checked for forbidden markup just now.
    return LAYOUT, {**context, "override_page": name, "override_content": Markup(content)}  # noqa: S704


def page_name(page: Page, ctx: Context | None) -> str | None:
    """The tenant's overriding page for ``page``, if it has one (no read: the tenant's
    configuration says)."""
    name = BUILT_IN.get(page.template)
    if name is None or ctx is None or name not in ctx.tenant.templates:
        return None
    return name


def render_content(name: str, ctx: Context, context: dict[str, Any], language: str) -> str | None:
    """The tenant template's rendering of the page, or None to show the built-in page."""
    from chalicelib.store.templates import get_template
    from chalicelib.templating import markup, runtime

    tenant_id, version = ctx.tenant.id, ctx.tenant.templates[name]

    def load() -> tuple[int, str] | None:
        stored = get_template(tenant_id, name)
        return (stored.version, stored.source) if stored else None

    values = _values(name, ctx, context, language)
    html = runtime.render((tenant_id, name, version, language), load, values)
    refused = markup.problems(html, set(values["urls"].values())) if html is not None else []
    if refused:
        logger.warning("tenant %s template %s v%s refused at render: %s", tenant_id, name, version, refused[0])
        return None
    # The hidden fields' values go in only now, where the check found the placeholder a tag of its own.
    return html.replace(markup.FIELDS_PLACEHOLDER, _form_fields(context)) if html is not None else None


def _values(name: str, ctx: Context, context: dict[str, Any], language: str) -> dict[str, Any]:
    """The documented values (chalicelib.templating.schema) from the page's own context."""
    from urllib.parse import quote

    from markupsafe import Markup

    from chalicelib.i18n.catalogs import translations
    from chalicelib.templating import markup

    catalog = translations(language)
    ticket, urls, description = context.get("ticket") or "", context["urls"], context.get("description")
    return {
        **context,
        "logo_uri": context["branding"].logo_uri,
        "language": language,
        "form_fields": Markup(markup.FIELDS_PLACEHOLDER),  # noqa: S704 (our constant; see render_content)
        "error": _login_error(context, catalog) if name == "login" else context.get("error"),
        "description": catalog.gettext(description) if description else None,
        "forgot_password_url": f"{urls.get('forgot_password')}?ticket={quote(ticket)}" if ticket else None,
        "signup_url": f"{urls.get('signup')}?ticket={quote(ticket)}" if ticket and context["signup_enabled"] else None,
        "passkey_offered": bool(context.get("passkey_options")),
        "scopes": [
            {"title": catalog.gettext(scope.title), "description": catalog.gettext(scope.description)}
            for scope in context.get("scopes") or ()
        ],
    }


def _form_fields(context: dict[str, Any]) -> str:
    """The hidden fields every form of ours carries (CSRF token, ticket), escaped here."""
    from markupsafe import Markup

    pairs = ((context["csrf_field"], context["csrf_token"]), ("ticket", context.get("ticket") or ""))
    return Markup("").join(Markup('<input type="hidden" name="{}" value="{}">').format(*pair) for pair in pairs)


def _login_error(context: dict[str, Any], catalog: Any) -> str | None:
    """The login's error as the built-in page words it, translated."""
    minutes, error = context.get("retry_minutes"), context.get("error")
    if minutes:
        one = "Too many attempts. Try again in %(num)d minute."
        many = "Too many attempts. Try again in %(num)d minutes."
        return catalog.ngettext(one, many, minutes) % {"num": minutes}
    return catalog.gettext(error) if error else None

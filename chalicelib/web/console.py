"""Routes of the tenant admin console, ``<base>/<tenant>/console/...`` (chalicelib.console).

Pages like the sign-in pages: the tenant route renders them with the same template, CSP
and CSRF protection (every POST carries the browser's token). Each page first finds the
signed-in administrator: without a console session the browser is sent to sign in; a user
who is not an administrator gets a 403 page. The admin services' refusals become pages: a
missing item 404, an item changed since the form was rendered 409 ("changed meanwhile").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.console import PATH, url
from chalicelib.context import Context
from chalicelib.oidc.errors import InvalidRequest, NotFound
from chalicelib.oidc.params import single_values
from chalicelib.oidc.results import Page, Redirect, Result
from chalicelib.web.http import Incoming
from chalicelib.web.routes import tenant_route

if TYPE_CHECKING:
    from chalicelib.console.session import Admin

bp = Blueprint(__name__)
Handler = Callable[[Context, "Admin", Incoming], Result]


def console_page(path: str, methods: list[str]) -> Callable[[Handler], Handler]:
    """Register ``handler(ctx, admin, request)`` for the signed-in administrator: one route
    per method, since only a POST must carry the CSRF token."""

    def decorator(handler: Handler) -> Handler:
        section = path.strip("/")

        def view(ctx: Context, request: Incoming) -> Result:
            return _as_admin(ctx, request, handler, section)

        for method in methods:
            named = _named(view, f"console_{handler.__name__}_{method.lower()}")
            tenant_route(bp, f"/{{tenant}}{PATH}{path}", [method], page=True, csrf_protected=method == "POST")(named)
        return handler

    return decorator


def _named(view: Callable[[Context, Incoming], Result], name: str) -> Callable[[Context, Incoming], Result]:
    def named(ctx: Context, request: Incoming) -> Result:
        return view(ctx, request)

    named.__name__ = name
    return named


def _as_admin(ctx: Context, request: Incoming, handler: Handler, section: str) -> Result:
    from chalicelib import admin as services
    from chalicelib.console import forms, session, signin

    admin = session.current_admin(ctx, request.cookies)
    if admin is None:
        return Redirect(url(ctx.issuer, f"/signin?back={section}" if section in signin.RETURNS else "/signin"))
    try:
        return handler(ctx, admin, request)
    except services.Missing as error:
        raise NotFound(str(error)) from None
    except (services.PreconditionFailed, services.Conflict) as error:
        what, back = _stale_target(ctx, request)
        return forms.page(ctx, admin, "stale.html", what + "s", status=409, what=what, back=back, detail=str(error))
    except services.AdminError as error:
        raise InvalidRequest(str(error)) from None


def _stale_target(ctx: Context, request: Incoming) -> tuple[str, str]:
    """What a refused form was about, and the page that shows it as it is now."""
    from urllib.parse import urlencode

    from chalicelib.templating import NAMES

    # (a template's source may be longer than single_values takes; it names nothing here)
    form = single_values({name: values for name, values in (request.form or {}).items() if name != "source"})
    if "client_id" not in form and "username" not in form and form.get("name") in NAMES:
        return "template", url(ctx.issuer, "/templates?" + urlencode({"name": form.get("name", "")}))
    if "client_id" in form and "username" not in form:
        return "client", url(ctx.issuer, "/client?" + urlencode({"client_id": form["client_id"]}))
    if "username" in form:
        return "user", url(ctx.issuer, "/user?" + urlencode({"username": form["username"]}))
    return "setting", url(ctx.issuer, "/settings" if "kid" not in form and "alg" not in form else "/keys")


@tenant_route(bp, f"/{{tenant}}{PATH}", ["GET"], page=True)
def console_home(ctx: Context, request: Incoming) -> Result:
    return Redirect(url(ctx.issuer, "/clients"))


@tenant_route(bp, f"/{{tenant}}{PATH}/signin", ["GET"], page=True)
def console_signin(ctx: Context, request: Incoming) -> Result:
    from chalicelib.console import signin

    return signin.start(ctx, single_values(request.query).get("back"))


@tenant_route(bp, f"/{{tenant}}{PATH}/callback", ["GET"], page=True)
def console_callback(ctx: Context, request: Incoming) -> Result:
    from chalicelib.console import signin

    return signin.callback(ctx, single_values(request.query), request.cookies)


@tenant_route(bp, f"/{{tenant}}{PATH}/signed-out", ["GET"], page=True)
def console_signed_out(ctx: Context, request: Incoming) -> Result:
    return Page("console/signed_out.html", {"signin": url(ctx.issuer, "/signin")})


@console_page("/logout", ["POST"])
def logout(ctx: Context, admin: Admin, request: Incoming) -> Result:
    """End the console session, then the tenant session (RP-initiated logout)."""
    from urllib.parse import urlencode

    from chalicelib.console import session, signin
    from chalicelib.console.audit import audited

    cleared = session.end(ctx, admin)
    audited(ctx, admin, "console_signed_out", username=admin.username)
    query = urlencode({"client_id": signin.CLIENT_ID, "post_logout_redirect_uri": url(ctx.issuer, "/signed-out")})
    return Redirect(f"{ctx.url('end_session_endpoint')}?{query}", cookies=(cleared,))


@console_page("/clients", ["GET"])
def clients(ctx: Context, admin: Admin, request: Incoming) -> Result:
    from chalicelib.console import clients as pages

    return pages.list_page(ctx, admin, single_values(request.query))


@console_page("/new-client", ["GET", "POST"])
def new_client(ctx: Context, admin: Admin, request: Incoming) -> Result:
    from chalicelib.console import clients as pages

    if request.method == "POST":
        return pages.create(ctx, admin, request.form_values())
    return pages.new_page(ctx, admin)


@console_page("/client", ["GET", "POST"])
def client(ctx: Context, admin: Admin, request: Incoming) -> Result:
    from chalicelib.console import clients as pages

    if request.method == "POST":
        return pages.change(ctx, admin, request.form_values())
    return pages.edit_page(ctx, admin, single_values(request.query))


@console_page("/users", ["GET"])
def users(ctx: Context, admin: Admin, request: Incoming) -> Result:
    from chalicelib.console import users as pages

    return pages.list_page(ctx, admin, single_values(request.query))


@console_page("/new-user", ["GET", "POST"])
def new_user(ctx: Context, admin: Admin, request: Incoming) -> Result:
    from chalicelib.console import users as pages

    if request.method == "POST":
        return pages.create(ctx, admin, request.form_values())
    return pages.new_page(ctx, admin)


@console_page("/user", ["GET", "POST"])
def user(ctx: Context, admin: Admin, request: Incoming) -> Result:
    from chalicelib.console import users as pages

    if request.method == "POST":
        return pages.change(ctx, admin, request.form_values())
    return pages.edit_page(ctx, admin, single_values(request.query))


@console_page("/settings", ["GET", "POST"])
def settings(ctx: Context, admin: Admin, request: Incoming) -> Result:
    from chalicelib.console import tenant as pages

    if request.method == "POST":
        return pages.save_settings(ctx, admin, request.form_values())
    return pages.settings_page(ctx, admin, single_values(request.query))


@console_page("/keys", ["GET", "POST"])
def keys(ctx: Context, admin: Admin, request: Incoming) -> Result:
    from chalicelib.console import tenant as pages

    if request.method == "POST":
        return pages.change_keys(ctx, admin, request.form_values())
    return pages.keys_page(ctx, admin, single_values(request.query))


@console_page("/templates", ["GET", "POST"])
def templates(ctx: Context, admin: Admin, request: Incoming) -> Result:
    from chalicelib.console import templates as pages

    if request.method == "POST":
        return template_change(ctx, admin, request)
    return pages.templates_page(ctx, admin, single_values(request.query))


@console_page("/template", ["POST"])
def template_change(ctx: Context, admin: Admin, request: Incoming) -> Result:
    """A template's form (and its delete confirmation). Its source may be longer than other
    fields are allowed to be (chalicelib.oidc.params.MAX_LENGTH), so it is read apart, bounded
    by the template limit; the rest of the form as any form."""
    from chalicelib.console import templates as pages
    from chalicelib.templating import MAX_SOURCE_BYTES

    raw = dict(request.form or {})
    sources = raw.pop("source", None) or []
    if len(sources) > 1 or (sources and len(sources[0]) > MAX_SOURCE_BYTES):
        raise InvalidRequest(f"a template is at most {MAX_SOURCE_BYTES} bytes of text")
    return pages.change(ctx, admin, single_values(raw), sources[0] if sources else None)


@console_page("/events", ["GET"])
def events(ctx: Context, admin: Admin, request: Incoming) -> Result:
    from chalicelib.console import tenant as pages

    return pages.events_page(ctx, admin)

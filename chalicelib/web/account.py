"""Routes of the account page, ``<base>/<tenant>/account`` (``chalicelib.account``): pages
like the sign-in pages (same template, CSP, no script), every POST CSRF-protected; each view
imports its endpoint when first called."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.context import Context
from chalicelib.oidc.params import single_values
from chalicelib.oidc.results import Result
from chalicelib.web.http import Incoming
from chalicelib.web.routes import tenant_route

bp = Blueprint(__name__)


@tenant_route(bp, "/{tenant}/account", ["GET"], page=True)
def account(ctx: Context, request: Incoming) -> Result:
    from chalicelib.account.endpoints import account_page

    return account_page(ctx, single_values(request.query), request.cookies)


@tenant_route(bp, "/{tenant}/account", ["POST"], page=True, csrf_protected=True)
def account_submit(ctx: Context, request: Incoming) -> Result:
    from chalicelib.account.endpoints import submit_account

    return submit_account(ctx, request.form_values(), request.cookies)


@tenant_route(bp, "/{tenant}/account/totp", ["GET"], page=True)
def account_totp(ctx: Context, request: Incoming) -> Result:
    from chalicelib.account.endpoints import totp_page

    return totp_page(ctx, request.cookies)


@tenant_route(bp, "/{tenant}/account/totp", ["POST"], page=True, csrf_protected=True)
def account_totp_submit(ctx: Context, request: Incoming) -> Result:
    from chalicelib.account.endpoints import submit_totp

    return submit_totp(ctx, request.form_values(), request.cookies)


@tenant_route(bp, "/{tenant}/account/callback", ["GET"], page=True)
def account_callback(ctx: Context, request: Incoming) -> Result:
    from chalicelib.account.endpoints import callback

    return callback(ctx, single_values(request.query), request.cookies)

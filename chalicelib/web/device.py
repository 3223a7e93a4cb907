"""Routes of the device authorization grant (RFC 8628): the device authorization endpoint
(JSON, for devices) and the device page (``chalicelib.device``: HTML like the sign-in
pages, every POST CSRF-protected). Each view imports its endpoint when first called."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.context import Context
from chalicelib.oidc.params import single_values
from chalicelib.oidc.results import Json, Result
from chalicelib.web.http import Incoming
from chalicelib.web.routes import tenant_route

bp = Blueprint(__name__)


@tenant_route(bp, "/{tenant}/device_authorization", ["POST"])
def device_authorization(ctx: Context, request: Incoming) -> Json:
    """RFC 8628 §3.1: devices are not browsers, so no CORS."""
    from chalicelib.oidc.endpoints.device_authorization import device_authorization as endpoint

    return endpoint(ctx, request.headers, request.form)


@tenant_route(bp, "/{tenant}/device", ["GET"], page=True)
def device_page(ctx: Context, request: Incoming) -> Result:
    from chalicelib.device.page import entry_page

    return entry_page(ctx, single_values(request.query))


@tenant_route(bp, "/{tenant}/device", ["POST"], page=True, csrf_protected=True)
def device_submit(ctx: Context, request: Incoming) -> Result:
    from chalicelib.device.page import submit

    return submit(ctx, request.form_values(), request.cookies)


@tenant_route(bp, "/{tenant}/device/callback", ["GET"], page=True)
def device_callback(ctx: Context, request: Incoming) -> Result:
    from chalicelib.device.page import callback

    return callback(ctx, single_values(request.query), request.cookies)

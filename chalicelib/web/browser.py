"""Routes of the browser-facing endpoints: authorize, the login and consent pages, logout
and the session-management iframe."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.context import Context
from chalicelib.oidc.endpoints.authorize import authorize as authorize_endpoint
from chalicelib.oidc.endpoints.consent import consent_page, submit_consent
from chalicelib.oidc.endpoints.login import login_page, submit_login
from chalicelib.oidc.endpoints.logout import check_session_page, end_session_request, submit_logout
from chalicelib.oidc.errors import InvalidRequest
from chalicelib.oidc.params import single_values
from chalicelib.oidc.results import Result
from chalicelib.web.http import Incoming
from chalicelib.web.routes import tenant_route

bp = Blueprint(__name__)


@tenant_route(bp, "/{tenant}/authorize", ["GET", "POST"], page=True)
def authorize(ctx: Context, request: Incoming) -> Result:
    if request.method == "POST":
        if request.form is None:
            raise InvalidRequest("an authorization request by POST must be form-encoded")
        return authorize_endpoint(ctx, request.form, request.cookies)
    return authorize_endpoint(ctx, request.query, request.cookies)


@tenant_route(bp, "/{tenant}/login", ["GET"], page=True)
def login(ctx: Context, request: Incoming) -> Result:
    return login_page(ctx, single_values(request.query).get("ticket"))


@tenant_route(bp, "/{tenant}/login", ["POST"], page=True, csrf_protected=True)
def login_submit(ctx: Context, request: Incoming) -> Result:
    return submit_login(ctx, request.form_values(), request.cookies)


@tenant_route(bp, "/{tenant}/consent", ["GET"], page=True)
def consent(ctx: Context, request: Incoming) -> Result:
    return consent_page(ctx, single_values(request.query).get("ticket"), request.cookies)


@tenant_route(bp, "/{tenant}/consent", ["POST"], page=True, csrf_protected=True)
def consent_submit(ctx: Context, request: Incoming) -> Result:
    return submit_consent(ctx, request.form_values(), request.cookies)


@tenant_route(bp, "/{tenant}/end-session", ["GET", "POST"], page=True)
def end_session(ctx: Context, request: Incoming) -> Result:
    """RP-Initiated Logout §2: the RP may send the request by GET or by form POST."""
    if request.method == "POST":
        if request.form is None:
            raise InvalidRequest("a logout request by POST must be form-encoded")
        return end_session_request(ctx, request.form, request.cookies)
    return end_session_request(ctx, request.query, request.cookies)


@tenant_route(bp, "/{tenant}/end-session/confirm", ["POST"], page=True, csrf_protected=True)
def end_session_confirm(ctx: Context, request: Incoming) -> Result:
    return submit_logout(ctx, request.form_values(), request.cookies)


@tenant_route(bp, "/{tenant}/check-session", ["GET"], page=True)
def check_session(ctx: Context, request: Incoming) -> Result:
    return check_session_page(ctx)

"""Routes of the browser-facing endpoints: authorize, the login and consent pages, logout
and the session-management iframe.

Each view imports its endpoint when first called, so a Lambda cold start pays for the
modules of the endpoint it serves, not for all of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from chalice import Blueprint

from chalicelib.context import Context
from chalicelib.oidc.errors import InvalidRequest
from chalicelib.oidc.params import single_values
from chalicelib.oidc.results import Result
from chalicelib.web.http import Incoming
from chalicelib.web.routes import tenant_route

bp = Blueprint(__name__)


def request_parameters(request: Incoming, what: str) -> Mapping[str, Sequence[str]]:
    """The query of a GET, the form body of a POST (OIDC Core §3.1.2.1 takes both)."""
    if request.method != "POST":
        return request.query
    if request.form is None:
        raise InvalidRequest(f"{what} by POST must be form-encoded")
    return request.form


@tenant_route(bp, "/{tenant}/authorize", ["GET", "POST"], page=True)
def authorize(ctx: Context, request: Incoming) -> Result:
    from chalicelib.oidc.endpoints.authorize import authorize as authorize_endpoint

    return authorize_endpoint(ctx, request_parameters(request, "an authorization request"), request.cookies)


@tenant_route(bp, "/{tenant}/login", ["GET"], page=True)
def login(ctx: Context, request: Incoming) -> Result:
    from chalicelib.oidc.endpoints.login import login_page

    return login_page(ctx, single_values(request.query).get("ticket"))


@tenant_route(bp, "/{tenant}/login", ["POST"], page=True, csrf_protected=True)
def login_submit(ctx: Context, request: Incoming) -> Result:
    from chalicelib.oidc.endpoints.login import submit_login

    return submit_login(ctx, request.form_values(), request.cookies)


@tenant_route(bp, "/{tenant}/mfa", ["GET"], page=True)
def mfa(ctx: Context, request: Incoming) -> Result:
    from chalicelib.oidc.endpoints.mfa import mfa_page

    return mfa_page(ctx, single_values(request.query).get("ticket"), request.cookies)


@tenant_route(bp, "/{tenant}/mfa", ["POST"], page=True, csrf_protected=True)
def mfa_submit(ctx: Context, request: Incoming) -> Result:
    from chalicelib.oidc.endpoints.mfa import submit_mfa

    return submit_mfa(ctx, request.form_values(), request.cookies)


@tenant_route(bp, "/{tenant}/passkeys", ["GET"], page=True)
def passkeys(ctx: Context, request: Incoming) -> Result:
    from chalicelib.oidc.endpoints.passkey_page import passkeys_page

    return passkeys_page(ctx, request.cookies)


@tenant_route(bp, "/{tenant}/passkeys", ["POST"], page=True, csrf_protected=True)
def passkeys_submit(ctx: Context, request: Incoming) -> Result:
    from chalicelib.oidc.endpoints.passkey_page import submit_passkeys

    return submit_passkeys(ctx, request.form_values(), request.cookies)


@tenant_route(bp, "/{tenant}/consent", ["GET"], page=True)
def consent(ctx: Context, request: Incoming) -> Result:
    from chalicelib.oidc.endpoints.consent import consent_page

    return consent_page(ctx, single_values(request.query).get("ticket"), request.cookies)


@tenant_route(bp, "/{tenant}/consent", ["POST"], page=True, csrf_protected=True)
def consent_submit(ctx: Context, request: Incoming) -> Result:
    from chalicelib.oidc.endpoints.consent import submit_consent

    return submit_consent(ctx, request.form_values(), request.cookies)


@tenant_route(bp, "/{tenant}/end-session", ["GET", "POST"], page=True)
def end_session(ctx: Context, request: Incoming) -> Result:
    """RP-Initiated Logout §2: the RP may send the request by GET or by form POST."""
    from chalicelib.oidc.endpoints.logout import end_session_request

    return end_session_request(ctx, request_parameters(request, "a logout request"), request.cookies)


@tenant_route(bp, "/{tenant}/end-session/confirm", ["POST"], page=True, csrf_protected=True)
def end_session_confirm(ctx: Context, request: Incoming) -> Result:
    from chalicelib.oidc.endpoints.logout import submit_logout

    return submit_logout(ctx, request.form_values(), request.cookies)


@tenant_route(bp, "/{tenant}/check-session", ["GET"], page=True)
def check_session(ctx: Context, request: Incoming) -> Result:
    from chalicelib.oidc.endpoints.logout import check_session_page

    return check_session_page(ctx)

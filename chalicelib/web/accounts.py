"""Routes of the pages reached by mail or leading to it: forgot password and the reset
link, email verification, self-service sign-up (``chalicelib/oidc/endpoints/recovery.py``,
``verification.py``, ``signup.py``). Every form is CSRF-protected; each view imports its
endpoint when first called."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.context import Context
from chalicelib.oidc.params import single_values
from chalicelib.oidc.results import Result
from chalicelib.web.http import Incoming
from chalicelib.web.routes import tenant_route

bp = Blueprint(__name__)


def _query(request: Incoming, name: str) -> str | None:
    return single_values(request.query).get(name)


@tenant_route(bp, "/{tenant}/password/forgot", ["GET"], page=True)
def forgot_password(ctx: Context, request: Incoming) -> Result:
    from chalicelib.oidc.endpoints.recovery import forgot_page

    return forgot_page(ctx, _query(request, "ticket"))


@tenant_route(bp, "/{tenant}/password/forgot", ["POST"], page=True, csrf_protected=True)
def forgot_password_submit(ctx: Context, request: Incoming) -> Result:
    from chalicelib.oidc.endpoints.recovery import submit_forgot

    return submit_forgot(ctx, request.form_values(), request.headers.get("accept-language"))


@tenant_route(bp, "/{tenant}/password/reset", ["GET"], page=True)
def reset_password(ctx: Context, request: Incoming) -> Result:
    from chalicelib.oidc.endpoints.recovery import reset_page

    return reset_page(ctx, _query(request, "token"))


@tenant_route(bp, "/{tenant}/password/reset", ["POST"], page=True, csrf_protected=True)
def reset_password_submit(ctx: Context, request: Incoming) -> Result:
    from chalicelib.oidc.endpoints.recovery import submit_reset

    return submit_reset(ctx, request.form_values())


@tenant_route(bp, "/{tenant}/email", ["GET"], page=True)
def email(ctx: Context, request: Incoming) -> Result:
    from chalicelib.oidc.endpoints.verification import email_page

    return email_page(ctx, request.cookies)


@tenant_route(bp, "/{tenant}/email", ["POST"], page=True, csrf_protected=True)
def email_submit(ctx: Context, request: Incoming) -> Result:
    from chalicelib.oidc.endpoints.verification import submit_email

    return submit_email(ctx, request.cookies, request.headers.get("accept-language"))


@tenant_route(bp, "/{tenant}/email/verify", ["GET"], page=True)
def verify_email(ctx: Context, request: Incoming) -> Result:
    from chalicelib.oidc.endpoints.verification import verify_page

    return verify_page(ctx, _query(request, "token"))


@tenant_route(bp, "/{tenant}/email/verify", ["POST"], page=True, csrf_protected=True)
def verify_email_submit(ctx: Context, request: Incoming) -> Result:
    from chalicelib.oidc.endpoints.verification import submit_verify

    return submit_verify(ctx, request.form_values())


@tenant_route(bp, "/{tenant}/signup", ["GET"], page=True)
def signup(ctx: Context, request: Incoming) -> Result:
    from chalicelib.oidc.endpoints.signup import signup_page

    return signup_page(ctx, _query(request, "ticket"))


@tenant_route(bp, "/{tenant}/signup", ["POST"], page=True, csrf_protected=True)
def signup_submit(ctx: Context, request: Incoming) -> Result:
    from chalicelib.oidc.endpoints.signup import submit_signup

    return submit_signup(ctx, request.form_values(), request.headers.get("accept-language"))


@tenant_route(bp, "/{tenant}/signup/confirm", ["GET"], page=True)
def signup_confirm(ctx: Context, request: Incoming) -> Result:
    from chalicelib.oidc.endpoints.signup import confirm_page

    return confirm_page(ctx, _query(request, "token"))


@tenant_route(bp, "/{tenant}/signup/confirm", ["POST"], page=True, csrf_protected=True)
def signup_confirm_submit(ctx: Context, request: Incoming) -> Result:
    from chalicelib.oidc.endpoints.signup import submit_confirm

    return submit_confirm(ctx, request.form_values())

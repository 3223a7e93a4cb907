"""What a person finds at the provider's own addresses: ``<base>/`` says what the service is,
``<base>/<tenant>`` names the tenant, its issuer and discovery document, and links to its
administrators' console (``<base>/<tenant>/console``). Any one-segment path reaches the tenant
page, so an unknown tenant's 404 is what the gateway answers elsewhere (infra/resources.json):
a page for a browser (Accept: text/html), JSON for anything else."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.context import Context
from chalicelib.oidc.results import Page, Result
from chalicelib.web.http import Incoming
from chalicelib.web.responses import PageState, page_response, with_transport_security
from chalicelib.web.routes import handle, public_base

bp = Blueprint(__name__)


@bp.route("/", methods=["GET"])
def home() -> Response:
    request = bp.current_request
    base = public_base(request.context or {})
    state = PageState(None, accept_language=(request.headers or {}).get("accept-language"))
    response = page_response(Page("home.html", {"base": base or ""}), state)
    return with_transport_security(response, base)


@bp.route("/{tenant}", methods=["GET"])
def tenant_page(tenant: str) -> Response:
    request = bp.current_request
    browser = "text/html" in (request.headers.get("accept") or "")
    return handle(request, tenant, tenant_home, page=browser, csrf_protected=False)


def tenant_home(ctx: Context, request: Incoming) -> Result:
    return Page(
        "tenant.html",
        {
            "issuer": ctx.issuer,
            "discovery": f"{ctx.issuer}/.well-known/openid-configuration",
            "console": f"{ctx.issuer}/console",
        },
    )

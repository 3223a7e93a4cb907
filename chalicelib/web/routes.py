"""The tenant route decorator: resolves the tenant once, hands plain values to the view,
and renders every outcome, errors included, so no client input can produce a 5xx.

Errors are mapped here and not in middleware: Chalice middleware on REST routes does not
see exceptions raised by views.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping

from botocore.exceptions import BotoCoreError, ClientError
from chalice import Blueprint, CORSConfig, Response

from chalicelib import events, observability
from chalicelib.context import Context
from chalicelib.i18n import N_
from chalicelib.observability import metrics
from chalicelib.oidc.errors import NotFound, OAuthError, ServerError, TemporarilyUnavailable, TenantDisabled
from chalicelib.oidc.results import Result
from chalicelib.settings import settings
from chalicelib.store import StoreError
from chalicelib.tenancy.issuer import NoPublicBase, base_url, issuer
from chalicelib.tenancy.resolve import resolve_tenant
from chalicelib.web import csrf
from chalicelib.web.http import Incoming, incoming
from chalicelib.web.responses import PageState, error_json, error_page, to_response, with_transport_security

View = Callable[[Context, Incoming], Result]
log = logging.getLogger("oidc.access")
# The clock every request reads its ``now`` from (tests move it to expire things).
clock: Callable[[], float] = time.time


def tenant_route(
    bp: Blueprint,
    path: str,
    methods: list[str],
    *,
    page: bool = False,
    csrf_protected: bool = False,
    cors: bool | CORSConfig = False,
) -> Callable[[View], View]:
    """Register ``view`` at ``path`` (which names ``{tenant}``). ``page`` views answer with
    HTML, errors included; the others with JSON. ``csrf_protected`` views get only posts
    that carry this browser's CSRF token."""

    def decorator(view: View) -> View:
        def handler(tenant: str, **path: str) -> Response:
            return handle(bp.current_request, tenant, view, page, csrf_protected)

        handler.__name__ = view.__name__
        # Any content type reaches the view, which answers a wrong one with the spec's error
        # (Chalice's own 415 would not be an OAuth error response).
        bp.route(path, methods=methods, content_types=["*/*"], cors=cors)(handler)
        return view

    return decorator


def new_scope(request, get_response: Callable) -> Response:
    """Chalice middleware for every HTTP request: a scope of its own (its id, no tenant yet),
    so no line it logs carries the previous request's id or tenant, whatever route serves it."""
    observability.bind(request_id=observability.request_id_of(request.context or {}, request.lambda_context))
    return get_response(request)


def handle(request, tenant_id: str, view: View, page: bool, csrf_protected: bool) -> Response:
    started = time.perf_counter()
    observability.bind(tenant=tenant_id[:64])
    state = PageState(None)
    base = None
    try:
        base = public_base(request.context or {})
        if base is None:
            raise ServerError(N_("the provider does not know its public URL"))
        values = incoming(request)
        languages = values.headers.get("accept-language")
        state = PageState(None, accept_language=languages)
        ctx = build_context(tenant_id, values, base)
        state = PageState(ctx, accept_language=languages)
        if page:
            secret, is_new = csrf.browser_secret(values.cookies)
            state = PageState(ctx, secret, is_new, languages)
            if csrf_protected and not csrf.is_valid(ctx.tenant.id, values.cookies.get(csrf.COOKIE), _field(values)):
                raise csrf.CsrfFailure()
        response = to_response(view(ctx, values), state)
    except OAuthError as error:
        response = render_error(error, page, state)
    except (StoreError, BotoCoreError, ClientError) as error:
        log.warning("aws unavailable: %r", error)
        response = render_error(TemporarilyUnavailable(N_("try again in a moment")), page, state)
    except Exception:
        log.exception("unhandled error")
        response = render_error(ServerError(N_("internal error")), page, state)
    events.flush()
    # The request's one line: its access log and its metrics (embedded metric format).
    elapsed = round((time.perf_counter() - started) * 1000, 2)
    metrics.flush(view.__name__, response.status_code, elapsed, method=request.method)
    return with_transport_security(response, base)


def public_base(request_context: Mapping[str, object]) -> str | None:
    """The deployment's public base URL, from configuration or API Gateway, never from a
    header (chalicelib/tenancy/issuer.py). None when it cannot be known: a configuration
    error (logged with what to fix), which tenant routes answer with a 500."""
    try:
        return base_url(settings.public_base_url, request_context)
    except NoPublicBase as error:
        log.error("%s", error)
        return None


def build_context(tenant_id: str, values: Incoming, base: str) -> Context:
    tenant = resolve_tenant(tenant_id)
    if tenant is None:
        raise NotFound(N_("no such tenant"))
    if tenant.disabled:
        raise TenantDisabled(N_("this tenant is disabled by the operator of the service"))
    return Context(tenant=tenant, issuer=issuer(base, tenant.id), now=int(clock()), source=source_ip(values.context))


def source_ip(request_context: Mapping[str, object]) -> str:
    """API Gateway's (and the dev server's) view of the caller's address; never a header a
    client could set, such as X-Forwarded-For."""
    identity = request_context.get("identity")
    address = identity.get("sourceIp") if isinstance(identity, Mapping) else None
    return address if isinstance(address, str) and len(address) <= 64 else ""


def render_error(error: OAuthError, page: bool, state: PageState) -> Response:
    if page:
        return error_page(error, state)
    return error_json(error, state.ctx.issuer if state.ctx else "oidc")


def _field(values: Incoming) -> str | None:
    fields = (values.form or {}).get(csrf.FIELD) or []
    return fields[0] if len(fields) == 1 else None

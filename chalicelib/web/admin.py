"""Routes of the tenant admin API, under ``<base>/admin/tenants/<tenant>/``.

Every request carries one of the tenant's admin API keys as a bearer token (issued by the
operator: ``cli tenants admin-key <tenant>``); a key opens its own tenant only. Bodies are
JSON; answers are JSON, never cached. The admin code is imported on the first admin
request: a cold start that serves the protocol never pays for it.

A tenant, client or user is answered with its version as a strong ETag (``"3"``), and a
PATCH or DELETE may carry it back in If-Match: if the item has changed since, the answer is
412 and nothing is written, so a UI learns that its edit was based on a stale copy.

The API is described by an OpenAPI 3.1 document at ``<base>/admin/openapi.json``
(``chalicelib/admin/openapi.json``; ``tests/unit/test_openapi.py`` keeps it true).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from chalice import Blueprint, Response

from chalicelib import events
from chalicelib.context import Context
from chalicelib.oidc.errors import (
    Conflict,
    InvalidRequest,
    InvalidToken,
    NotFound,
    PreconditionFailed,
    UnsupportedMediaType,
)
from chalicelib.oidc.params import json_object, single_values
from chalicelib.oidc.results import Json
from chalicelib.web.http import Incoming
from chalicelib.web.responses import with_transport_security
from chalicelib.web.routes import public_base, tenant_route

bp = Blueprint(__name__)
BASE = "/admin/tenants/{tenant}"
_ETAG = re.compile(r'"([0-9]{1,15})"')


def answer(ctx: Context, request: Incoming, actions: Mapping[str, Callable[[], tuple[int, dict[str, Any]]]]) -> Json:
    """Authorize the admin, run the action of the request's method, and render its answer
    or its refusal."""
    from chalicelib import admin
    from chalicelib.oidc.endpoints.userinfo import bearer_token
    from chalicelib.store.admin_keys import is_admin_key

    if not is_admin_key(ctx.tenant.id, bearer_token(request.headers, {})):
        raise InvalidToken("not an admin key of this tenant")
    try:
        status, payload = actions[request.method]()
    except admin.Missing as error:
        raise NotFound(str(error)) from None
    except admin.Conflict as error:
        raise Conflict(str(error)) from None
    except admin.PreconditionFailed as error:
        raise PreconditionFailed(str(error)) from None
    except admin.AdminError as error:
        raise InvalidRequest(str(error)) from None
    if request.method != "GET":
        events.emit("admin_change", ctx.tenant.id, method=request.method, path=_path(request))
    version = payload.get("version")
    headers = {"ETag": f'"{version}"'} if isinstance(version, int) else {}
    return Json(payload, status=status, headers=headers, no_store=True)


def if_match(request: Incoming) -> int | None:
    """The version an If-Match header names (RFC 9110 §13.1.1); None without one, or for
    ``*`` (any current item: every change needs the item to exist anyway). A header naming
    no version of ours (a weak or foreign tag, a list) can never match: -1."""
    value = request.headers.get("if-match", "").strip()
    if not value or value == "*":
        return None
    tag = _ETAG.fullmatch(value)
    return int(tag.group(1)) if tag else -1


def body(request: Incoming) -> dict[str, Any]:
    if request.json_body is None:
        raise UnsupportedMediaType("the request body must be application/json")
    try:
        return json_object(request.json_body)
    except ValueError as error:
        raise InvalidRequest(str(error)) from None


@bp.route("/admin/openapi.json", methods=["GET"])
def openapi() -> Response:
    """The admin API's description, with this deployment's base URL as its server. It needs
    no key: it holds nothing of any tenant's."""
    base = public_base(bp.current_request.context or {})
    document = {**openapi_document(), **({"servers": [{"url": base}]} if base else {})}
    headers = {"Content-Type": "application/json", "X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}
    response = Response(body=json.dumps(document, separators=(",", ":")), status_code=200, headers=headers)
    return with_transport_security(response, base)


@cache
def openapi_document() -> dict[str, Any]:
    """Read from the package on the first request for it: a cold start that serves the
    protocol never reads it."""
    from importlib import resources

    return json.loads(resources.files("chalicelib.admin").joinpath("openapi.json").read_text("utf-8"))


@tenant_route(bp, BASE, ["GET", "PATCH"])
def tenant(ctx: Context, request: Incoming) -> Json:
    api, tenant_id = _api(), ctx.tenant.id
    return answer(ctx, request, {
        "GET": lambda: api.show_tenant(tenant_id),
        "PATCH": lambda: api.configure_tenant(tenant_id, body(request), if_match(request)),
    })  # fmt: skip


@tenant_route(bp, BASE + "/clients", ["GET", "POST"])
def clients(ctx: Context, request: Incoming) -> Json:
    api, tenant_id = _api(), ctx.tenant.id
    return answer(ctx, request, {
        "GET": lambda: api.list_clients(tenant_id),
        "POST": lambda: api.create_client(tenant_id, body(request)),
    })  # fmt: skip


@tenant_route(bp, BASE + "/clients/{client_id}", ["GET", "PATCH", "DELETE"])
def client(ctx: Context, request: Incoming) -> Json:
    api, tenant_id, client_id = _api(), ctx.tenant.id, request.path["client_id"]
    return answer(ctx, request, {
        "GET": lambda: api.show_client(tenant_id, client_id),
        "PATCH": lambda: api.update_client(tenant_id, client_id, body(request), if_match(request)),
        "DELETE": lambda: api.delete_client(tenant_id, client_id, if_match(request)),
    })  # fmt: skip


@tenant_route(bp, BASE + "/clients/{client_id}/secret", ["POST"])
def client_secret(ctx: Context, request: Incoming) -> Json:
    api, tenant_id, client_id = _api(), ctx.tenant.id, request.path["client_id"]
    return answer(ctx, request, {"POST": lambda: api.rotate_client_secret(tenant_id, client_id)})


@tenant_route(bp, BASE + "/users", ["GET", "POST"])
def users(ctx: Context, request: Incoming) -> Json:
    api, tenant_id = _api(), ctx.tenant.id
    return answer(ctx, request, {
        "GET": lambda: api.list_users(tenant_id, _after(request)),
        "POST": lambda: api.create_user(tenant_id, body(request)),
    })  # fmt: skip


@tenant_route(bp, BASE + "/users/{username}", ["GET", "PATCH", "DELETE"])
def user(ctx: Context, request: Incoming) -> Json:
    api, tenant_id, username = _api(), ctx.tenant.id, request.path["username"]
    return answer(ctx, request, {
        "GET": lambda: api.show_user(tenant_id, username),
        "PATCH": lambda: api.update_user(tenant_id, username, body(request), if_match(request)),
        "DELETE": lambda: api.delete_user(tenant_id, username, if_match(request), actor=_actor(request)),
    })  # fmt: skip


@tenant_route(bp, BASE + "/users/{username}/unlock", ["POST"])
def user_unlock(ctx: Context, request: Incoming) -> Json:
    api, tenant_id, username = _api(), ctx.tenant.id, request.path["username"]
    return answer(ctx, request, {"POST": lambda: api.unlock_user(tenant_id, username)})


@tenant_route(bp, BASE + "/users/{username}/reset-second-factor", ["POST"])
def user_reset_second_factor(ctx: Context, request: Incoming) -> Json:
    api, tenant_id, username = _api(), ctx.tenant.id, request.path["username"]
    return answer(ctx, request, {"POST": lambda: api.reset_second_factor(tenant_id, username, actor=_actor(request))})


@tenant_route(bp, BASE + "/registration-tokens", ["POST"])
def registration_tokens(ctx: Context, request: Incoming) -> Json:
    api, tenant_id = _api(), ctx.tenant.id
    return answer(ctx, request, {"POST": lambda: api.create_registration_token(tenant_id, body(request))})


@tenant_route(bp, BASE + "/keys", ["GET", "POST"])
def keys(ctx: Context, request: Incoming) -> Json:
    api, tenant_id = _api(), ctx.tenant.id
    return answer(ctx, request, {
        "GET": lambda: api.list_keys(tenant_id),
        "POST": lambda: api.rotate_key(tenant_id, body(request), actor=_actor(request)),
    })  # fmt: skip


@tenant_route(bp, BASE + "/keys/{kid}", ["DELETE"])
def key(ctx: Context, request: Incoming) -> Json:
    api, tenant_id, kid = _api(), ctx.tenant.id, request.path["kid"]
    return answer(ctx, request, {"DELETE": lambda: api.retire_key(tenant_id, kid, actor=_actor(request))})


@tenant_route(bp, BASE + "/templates", ["GET"])
def templates(ctx: Context, request: Incoming) -> Json:
    api, tenant_id = _api(), ctx.tenant.id
    return answer(ctx, request, {"GET": lambda: api.list_templates(tenant_id)})


@tenant_route(bp, BASE + "/templates/{page}", ["GET", "PUT", "DELETE"])
def template(ctx: Context, request: Incoming) -> Json:
    """A tenant page template (docs/templates.md): PUT {"source": ...} validates and stores it."""
    api, tenant_id, name = _api(), ctx.tenant.id, request.path["page"]
    return answer(ctx, request, {
        "GET": lambda: api.show_template(tenant_id, name),
        "PUT": lambda: api.put_template(tenant_id, name, body(request), if_match(request), actor=_actor(request)),
        "DELETE": lambda: api.delete_template(tenant_id, name, if_match(request), actor=_actor(request)),
    })  # fmt: skip


def _after(request: Incoming) -> str | None:
    """Where a page of users starts: the ``next`` of the previous page (a sub), which
    becomes part of a DynamoDB key (at most 1,024 bytes, or DynamoDB answers an error)."""
    after = single_values(request.query).get("after")
    if after is not None and not (len(after.encode("utf-8")) <= 512 and after.isprintable()):
        raise InvalidRequest("after is the next value of a previous page")
    return after


def _actor(request: Incoming) -> str:
    """Who made a change, for its event: the admin key's id (never the key)."""
    from chalicelib.oidc.endpoints.userinfo import bearer_token
    from chalicelib.opaque import digest
    from chalicelib.store.admin_keys import KEY_ID

    return f"api-key:{digest(bearer_token(request.headers, {}))[:KEY_ID]}"


def _api() -> Any:
    from chalicelib.admin import api

    return api


def _path(request: Incoming) -> str:
    return "/".join(f"{name}={value}" for name, value in sorted(request.path.items())) or "/"

"""Liveness: answers without touching AWS, so it is cheap to poll."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.web.responses import with_transport_security
from chalicelib.web.routes import public_base

bp = Blueprint(__name__)


@bp.route("/health", methods=["GET"])
def health() -> Response:
    # Alive even when the deployment cannot name its URL (then without HSTS).
    response = Response(body={"status": "ok"}, status_code=200, headers={"Content-Type": "application/json"})
    return with_transport_security(response, public_base(bp.current_request.context or {}))

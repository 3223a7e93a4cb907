"""Liveness: answers without touching AWS, so it is cheap to poll."""

from __future__ import annotations

from chalice import Blueprint

bp = Blueprint(__name__)


@bp.route("/health", methods=["GET"])
def health() -> dict[str, str]:
    return {"status": "ok"}

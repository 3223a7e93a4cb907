"""The scheduled function: key rotation for every tenant that has a key change due
(chalicelib/admin/rotation.py). Its own Lambda function, with its own role: it may wrap new
envelope keys (kms:GenerateDataKey) and write tenant records, and answers no request."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Rate

bp = Blueprint(__name__)
# Every ten minutes: a key is activated and retired at most this late, never early (its
# pre-publication time already counts from when it was published).
INTERVAL_MINUTES = 10


@bp.schedule(Rate(INTERVAL_MINUTES, unit=Rate.MINUTES), name="rotate_signing_keys")
def rotate_signing_keys(event: Any) -> dict[str, int]:
    from chalicelib import events
    from chalicelib.admin import rotation

    try:
        done = rotation.run()
    finally:
        events.flush()  # the run's key events, to EventBridge when the deployment has a bus
    return {"tenants": done.tenants, "steps": len(done.steps), "failed": len(done.failed)}

"""Events (the seed's Django signals): one structured log line each, and optionally one
EventBridge entry each, published in a single PutEvents call when the request ends.

``user_accept_consent`` and ``user_decline_consent`` are the seed's signals; the others are
what an operator watching logs needs (logins, lockouts, logouts, revocations). Events never
carry secrets or passwords. The line names the request it happened in (``chalicelib.observability``),
and the events that have a metric (logins, failed logins, lockouts, deliveries) are counted
into the request's metrics line.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from chalicelib.observability import metrics
from chalicelib.observability.logs import Fields
from chalicelib.settings import settings

logger = logging.getLogger("oidc.events")
SOURCE = "oidc-provider"
_pending = threading.local()


def emit(event: str, tenant_id: str, **fields: Any) -> None:
    payload = {"event": event, "tenant": tenant_id, **fields}
    logger.info(Fields(payload))
    metrics.count_event(event, fields)
    if settings.event_bus_name:
        if not hasattr(_pending, "entries"):
            _pending.entries = []
        _pending.entries.append({"Source": SOURCE, "DetailType": event, "Detail": json.dumps(payload, default=str)})


def flush() -> None:
    """Publish this request's events to the deployment's event bus (one call, batches of 10,
    EventBridge's limit). A failure is logged, never the request's failure."""
    entries = getattr(_pending, "entries", None)
    if not entries:
        return
    _pending.entries = []
    from chalicelib.keys import aws

    try:
        for start in range(0, len(entries), 10):
            batch = [{**entry, "EventBusName": settings.event_bus_name} for entry in entries[start : start + 10]]
            aws.client("events").put_events(Entries=batch)
    except Exception:
        logger.warning("could not publish %d events to EventBridge", len(entries), exc_info=True)

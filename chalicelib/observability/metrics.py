"""CloudWatch metrics in the embedded metric format (EMF): one JSON log line per request,
which CloudWatch Logs turns into metrics as it ingests it; no API call, no agent.

The line is written directly rather than through ``aws-embedded-metrics``: that package
imports asyncio and aiohttp (~280 ms of a cold start, measured) and runs an event loop to
flush every invocation, and outside Lambda it probes EC2's metadata address. The format is
documented and small: ``_aws.CloudWatchMetrics`` lists each metric's name, unit and
dimension sets, and the line's top-level members carry the values.

Dimensions are few and bounded by the code: the stage, the endpoint (a view's name), the
grant type, the AWS service, the delivery's outcome: about a hundred metrics, ~$30 a month.
Never the tenant: each value of a dimension is a metric billed on its own, so 100,000 active
tenants would make ~9.6 million metrics, ~$236,000 a month (README, "Metrics"). The tenant
and the request id are properties of the line instead, which Logs Insights queries.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from chalicelib.observability.logs import Fields
from chalicelib.observability.scope import Scope, count, current
from chalicelib.settings import settings

NAMESPACE = "OidcProvider"
log = logging.getLogger("oidc.metrics")

# Every request through a tenant route: by endpoint, and for the whole stage. ClientErrors
# and ServerErrors are 0 or 1 a request, so their average is the error rate, their sum the
# error count and their sample count the number of requests.
REQUEST_METRICS = {"Latency": "Milliseconds", "ClientErrors": "Count", "ServerErrors": "Count"}
# What requests count as they go: metric → its dimension (None: the stage alone).
COUNTED: dict[str, str | None] = {
    "Logins": None,
    "FailedLogins": None,
    "Lockouts": None,
    "TokensIssued": "GrantType",
    "AwsThrottles": "Service",
    "BackchannelDeliveries": "Outcome",
}
# Events (chalicelib.events) that are counted: event → (metric, the field naming its dimension).
EVENTS: dict[str, tuple[str, str | None]] = {
    "user_logged_in": ("Logins", None),
    "login_failed": ("FailedLogins", None),
    "login_limited": ("Lockouts", None),
    "backchannel_logout": ("BackchannelDeliveries", "outcome"),
}


def count_event(event: str, fields: dict[str, Any]) -> None:
    """Count an event that has a metric (logins, failures, lockouts, deliveries)."""
    counted = EVENTS.get(event)
    if counted is not None:
        metric, field = counted
        # A dimension's value may not be empty (CloudWatch would drop the line's metrics).
        count(metric, str(fields.get(field) or "unknown") if field else "")


def flush(endpoint: str | None = None, status: int = 0, ms: float = 0.0, **properties: Any) -> None:
    """Write the request's metrics: with ``endpoint``, its latency and error metrics and
    ``properties`` (the access log's fields: one line is both); and whatever it counted."""
    scope = current()
    if scope is None:
        return
    for document in documents(scope, endpoint, status, ms, properties):
        log.info(Fields(document))
    scope.counts.clear()


def documents(scope: Scope, endpoint: str | None, status: int, ms: float, properties: dict[str, Any]) -> list[dict]:
    """Usually one line. A dimension has one value a line, so a request that counted two
    values of one (throttles of two services) needs a second line for the second."""
    base = {"Stage": settings.stage or "local"}
    lines: list[tuple[dict[str, Any], dict[tuple[str, ...], list[str]]]] = []
    if endpoint is not None:
        values = {"Latency": ms, "ClientErrors": int(400 <= status < 500), "ServerErrors": int(status >= 500)}
        line = {**base, **properties, "Endpoint": endpoint, "status": status, **values}
        lines.append((line, {("Stage", "Endpoint"): list(values)}))
    for (metric, value), total in sorted(scope.counts.items()):
        dimension = COUNTED[metric]
        line, directives = _line_for(lines, base, dimension, value)
        line[metric] = total
        if dimension is not None:
            line[dimension] = value
        directives.setdefault(("Stage", dimension) if dimension else ("Stage",), []).append(metric)
    return [_with_directives(line, directives) for line, directives in lines]


def _line_for(lines: list, base: dict[str, Any], dimension: str | None, value: str) -> tuple[dict, dict]:
    for line, directives in lines:
        if dimension is None or line.get(dimension, value) == value:
            return line, directives
    lines.append((dict(base), {}))
    return lines[-1]


def _with_directives(line: dict[str, Any], directives: dict[tuple[str, ...], list[str]]) -> dict[str, Any]:
    """Each metric by its own dimension and, if it has one, for the whole stage too (what
    the alarms watch: an alarm cannot add up the metrics of every endpoint)."""
    metrics = []
    for dimensions, names in directives.items():
        sets = [list(dimensions), ["Stage"]] if len(dimensions) > 1 else [list(dimensions)]
        units = [{"Name": name, "Unit": REQUEST_METRICS.get(name, "Count")} for name in names]
        metrics.append({"Namespace": NAMESPACE, "Dimensions": sets, "Metrics": units})
    return {"_aws": {"Timestamp": int(time.time() * 1000), "CloudWatchMetrics": metrics}, **line}

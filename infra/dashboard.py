"""The operators' CloudWatch dashboard, written here as data and kept in
``infra/resources.json`` as the JSON string CloudFormation wants (``DashboardBody``).

CloudFormation takes a dashboard's body only as one string, unreadable and unreviewable in
a template; so the dashboard is edited here and written into the template with

    python -m infra.dashboard

and a test fails while the template's copy differs from this one
(tests/unit/test_operations_infra.py), as it does when the dashboard names a metric that
the code does not emit.

Per-endpoint widgets use SEARCH expressions: each endpoint that served a request appears,
with no list of endpoints to keep up to date here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chalicelib.observability.metrics import NAMESPACE

RESOURCES = Path(__file__).with_name("resources.json")
RESOURCE = "OperatorDashboard"
PERIOD = 300
# ${...} are CloudFormation's (Fn::Sub), filled in at deployment.
STAGE = "${Stage}"
REGION = "${AWS::Region}"


def ours(metric: str, label: str, stat: str = "Sum") -> list[Any]:
    """A metric of the stage as a whole."""
    return [NAMESPACE, metric, "Stage", STAGE, {"label": label, "stat": stat}]


def by(dimension: str, metric: str, stat: str = "Sum") -> list[dict[str, Any]]:
    """One line per value of ``dimension`` (endpoint, grant type, service, outcome), each
    labelled with its value."""
    query = f'{{{NAMESPACE},{dimension},Stage}} MetricName="{metric}" Stage="{STAGE}"'
    return [{"expression": f"SEARCH('{query}', '{stat}', {PERIOD})", "id": metric.lower()}]


def widget(title: str, metrics: list[Any], x: int, y: int, **properties: Any) -> dict[str, Any]:
    return {
        "type": "metric",
        "x": x,
        "y": y,
        "width": 12,
        "height": 6,
        "properties": {"title": title, "region": REGION, "period": PERIOD, "view": "timeSeries", "metrics": metrics,
                       **properties},
    }  # fmt: skip


def body() -> dict[str, Any]:
    dead_letters = ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", f"oidc-{STAGE}-backchannel-dlq"]
    api_throttles = ["AWS/Lambda", "Throttles", "FunctionName", f"oidc-provider-{STAGE}"]
    widgets = [
        {
            "type": "alarm",
            "x": 0,
            "y": 0,
            "width": 24,
            "height": 3,
            "properties": {"title": "Alarms", "alarms": [f"${{{name}.Arn}}" for name in ALARMS]},
        },
        widget("Sign-ins", [ours("Logins", "logins"), ours("FailedLogins", "failed"), ours("Lockouts", "locked out")],
               0, 3),
        widget("Tokens issued, by grant type", by("GrantType", "TokensIssued"), 12, 3, stacked=True),
        widget("Latency p50 (ms), by endpoint", by("Endpoint", "Latency", "p50"), 0, 9),
        widget("Latency p99 (ms), by endpoint", by("Endpoint", "Latency", "p99"), 12, 9),
        widget("4xx, by endpoint", by("Endpoint", "ClientErrors"), 0, 15, stacked=True),
        widget("5xx, by endpoint", by("Endpoint", "ServerErrors"), 12, 15, stacked=True),
        widget("Throttles: AWS services (by service) and the API function", [
            *by("Service", "AwsThrottles"), [*api_throttles, {"label": "API function", "stat": "Sum"}],
        ], 0, 21),
        widget("Back-channel logout: deliveries and dead letters", [
            *by("Outcome", "BackchannelDeliveries"),
            [*dead_letters, {"label": "dead letters", "stat": "Maximum", "yAxis": "right"}],
        ], 12, 21),
    ]  # fmt: skip
    return {"widgets": widgets}


# The alarms the dashboard shows (their logical names in resources.json).
ALARMS = (
    "ServerErrorRateAlarm",
    "AwsThrottlingAlarm",
    "ApiFunctionThrottlingAlarm",
    "FailedLoginSpikeAlarm",
    "BackchannelDeadLettersAlarm",
)


def template_body() -> dict[str, str]:
    return {"Fn::Sub": json.dumps(body(), separators=(",", ":"))}


def main() -> None:
    template = json.loads(RESOURCES.read_text())
    template["Resources"][RESOURCE]["Properties"]["DashboardBody"] = template_body()
    RESOURCES.write_text(json.dumps(template, indent=2) + "\n")


if __name__ == "__main__":
    main()

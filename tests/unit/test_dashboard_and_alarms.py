"""The operators' dashboard and alarms (infra/resources.json, infra/dashboard.py) watch the
metrics the code emits, by the names and dimensions it emits them with: a renamed metric
or dimension fails here, not silently on a dashboard that shows nothing. (cfn-lint checks
the template itself: tests/integration/test_package.py.)"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from chalicelib.observability.metrics import NAMESPACE
from infra import dashboard
from tests.support.browser import HOST, Browser
from tests.support.emf import is_emf, totals
from tests.support.observed import parsed
from tests.unit.flows import obtain_code, redeem
from tests.unit.test_limits import attempt

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = json.loads((ROOT / "infra" / "resources.json").read_text())
RESOURCES = TEMPLATE["Resources"]
ALARMS = {name: r["Properties"] for name, r in RESOURCES.items() if r.get("Type") == "AWS::CloudWatch::Alarm"}
# A metric as the dashboard or an alarm names it: (namespace, name, dimension names).
Watched = tuple[str, str, frozenset[str]]


def dashboard_metrics(body: dict) -> set[Watched]:
    found: set[Watched] = set()
    for widget in body["widgets"]:
        for entry in widget["properties"].get("metrics", []):
            if isinstance(entry, list):  # [namespace, name, dimension, value, ..., {options}]
                fields = [field for field in entry if isinstance(field, str)]
                found.add((fields[0], fields[1], frozenset(fields[2::2])))
            else:
                search = re.fullmatch(r"SEARCH\('\{([^}]+)\} MetricName=\"(\w+)\" .*", entry["expression"])
                namespace, *dimensions = search.group(1).split(",")
                found.add((namespace, search.group(2), frozenset(dimensions)))
    return found


def alarm_metrics(alarm: dict) -> set[Watched]:
    metrics = [query["MetricStat"]["Metric"] for query in alarm.get("Metrics", []) if "MetricStat" in query]
    metrics = metrics or [alarm]
    return {(m["Namespace"], m["MetricName"], frozenset(d["Name"] for d in m["Dimensions"])) for m in metrics}


def watched() -> set[Watched]:
    body = json.loads(RESOURCES["OperatorDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"])
    return dashboard_metrics(body).union(*(alarm_metrics(alarm) for alarm in ALARMS.values()))


def emitted_by(lines: list[dict]) -> set[Watched]:
    return {(namespace, name, frozenset(dict(dimensions))) for namespace, name, dimensions in totals(lines)}


def test_the_template_holds_the_dashboard_that_infra_dashboard_writes():
    """Edit infra/dashboard.py, then run ``python -m infra.dashboard``."""
    assert RESOURCES["OperatorDashboard"]["Properties"]["DashboardBody"] == dashboard.template_body()


def test_the_dashboard_and_alarms_watch_what_the_code_emits_and_all_of_it(
    http, client, user, tenant, clock, logged, throttling
):
    """Traffic that makes every metric: a wrong password, a login, a token, a lockout, a
    throttled DynamoDB call, a back-channel delivery (its queue function, as Lambda runs it)."""
    from chalice.test import Client

    from app import app
    from chalicelib.oidc.backchannel import Notice
    from chalicelib.tenancy.resolve import forget

    browser = Browser(http)
    assert attempt(browser, client[0].client_id, "alice", "wrong")[0] == 401
    assert redeem(http, client, obtain_code(browser, client[0].client_id)).status_code == 200
    assert [attempt(Browser(http), client[0].client_id, "bob", "wrong")[0] for _ in range(5)][-1] == 429
    forget()
    throttling[0] = 1
    assert http.get("/acme/jwks.json", headers={"host": HOST}).status_code == 200
    with Client(app) as test_client:
        notice = Notice("acme", "http://op.example.test/acme", "gone", "sub", "sid", 0).to_json()
        test_client.lambda_.invoke("deliver_backchannel_logout", test_client.events.generate_sqs_event([notice]))

    emitted = emitted_by([line for line in parsed(logged) if is_emf(line)])
    ours = {metric for metric in watched() if metric[0] == NAMESPACE}
    assert ours <= emitted, f"watched but never emitted: {ours - emitted}"
    assert {name for _, name, _ in emitted} == {name for _, name, _ in ours}, "emitted but watched nowhere"


def test_the_aws_metrics_watched_are_those_of_this_stacks_resources():
    names = {name for namespace, name, _ in watched() if not namespace.startswith(NAMESPACE)}
    assert names == {"Throttles", "ApproximateNumberOfMessagesVisible"}
    dead_letters = ALARMS["BackchannelDeadLettersAlarm"]["Dimensions"]
    assert dead_letters == [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["BackchannelDeadLetterQueue", "QueueName"]}}]
    assert ALARMS["ApiFunctionThrottlingAlarm"]["Dimensions"][0]["Value"] == {"Ref": "APIHandler"}
    body = RESOURCES["OperatorDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    queue = RESOURCES["BackchannelDeadLetterQueue"]["Properties"]["QueueName"]["Fn::Sub"]
    function = RESOURCES["APIHandler"]["Properties"]["FunctionName"]["Fn::Sub"]
    assert f'"QueueName","{queue}"' in body and f'"FunctionName","{function}"' in body


@pytest.mark.parametrize("name", sorted(ALARMS))
def test_every_alarm_notifies_the_operators_and_is_on_the_dashboard(name):
    alarm = ALARMS[name]
    topic = [{"Ref": "OperatorAlarmTopic"}]
    assert alarm["AlarmActions"] == alarm["OKActions"] == topic
    assert alarm["TreatMissingData"] == "notBreaching"  # no traffic is no incident
    assert "README: Operating" in alarm["AlarmDescription"]
    assert name in dashboard.ALARMS and set(dashboard.ALARMS) == set(ALARMS)

"""The seed's hook settings as a deployment hooks module, and its signals as events: log
lines and, with EVENT_BUS_NAME, EventBridge entries (delivered here to an SQS queue)."""

from __future__ import annotations

import dataclasses
import json

import boto3
import jwt
import pytest

from chalicelib import hooks
from chalicelib.admin import clients as client_admin
from chalicelib.admin import users as user_admin
from chalicelib.settings import settings
from tests.support import hooks_example
from tests.unit.conftest import PASSWORD, REDIRECT_URI
from tests.unit.flows import BASE, authorize, body, callback_params, log_in, redeem


@pytest.fixture
def with_hooks(monkeypatch):
    monkeypatch.setattr(hooks, "settings", dataclasses.replace(settings, hooks_module="tests.support.hooks_example"))
    hooks.forget()
    hooks_example.calls.clear()
    yield
    hooks.forget()


def test_every_hook_takes_effect(http, browser, tenant, with_hooks):
    user = user_admin.create_user(tenant.id, "Carol", PASSWORD, {"name": "Carol Example"})
    assert user.sub == "acme-user-carol"  # generate_sub
    web, secret = client_admin.create_client(
        tenant.id, name="Web", client_type="confidential", redirect_uris=[REDIRECT_URI], scopes=["openid"]
    )
    api = client_admin.create_client(
        tenant.id, name="API", client_type="confidential", response_types=[], grant_types=["client_credentials"],
        scopes=["token_introspection", web.client_id],
    )  # fmt: skip
    consent = log_in(browser, browser.follow(authorize(browser, web.client_id, scope="openid profile")), "carol")
    tokens = body(redeem(http, (web, secret), callback_params(browser.submit(consent, "allow"))["code"]))
    assert jwt.decode(tokens["id_token"], options={"verify_signature": False})["tenant_tier"] == "gold"
    bearer = {"host": "op.example.test", "authorization": f"Bearer {tokens['access_token']}"}
    assert json.loads(http.get("/acme/userinfo", headers=bearer).body)["display"] == "CAROL EXAMPLE"
    from tests.unit.test_grants_and_tokens import introspect

    assert introspect(http, tokens["access_token"], api)["introspected_by"] == api[0].client_id
    browser.submit(browser.get(f"{BASE}/acme/end-session"), "logout")
    assert hooks_example.calls == [("after_login", user.sub), ("after_end_session", user.sub)]


def test_after_login_hook_may_send_the_user_elsewhere_first(browser, client, user, monkeypatch, with_hooks):
    monkeypatch.setattr(hooks_example, "after_login", lambda tenant_id, sub, client_id: "https://terms.example.com/")
    response = browser.submit(browser.follow(authorize(browser, client[0].client_id)), "login", username="alice",
                              password=PASSWORD)  # fmt: skip
    assert response.status_code == 302 and response.headers["Location"] == "https://terms.example.com/"
    assert "op_session" in browser.cookies  # logged in: coming back to authorize continues
    assert b"Allow" in browser.follow(authorize(browser, client[0].client_id)).body


def test_events_are_published_to_eventbridge(browser, client, user, monkeypatch):

    published = bus_to_queue(monkeypatch)
    consent = log_in(browser, browser.follow(authorize(browser, client[0].client_id)))
    browser.submit(consent, "decline")
    published = published()
    kinds = {event["detail-type"] for event in published}
    assert {"user_logged_in", "user_decline_consent"} <= kinds
    declined = next(event for event in published if event["detail-type"] == "user_decline_consent")
    assert declined["detail"]["tenant"] == "acme" and declined["detail"]["client_id"] == client[0].client_id


def bus_to_queue(monkeypatch):
    """The deployment's event bus (EVENT_BUS_NAME) routed to an SQS queue; returns what reads
    the events published so far."""
    from chalicelib import events

    monkeypatch.setattr(events, "settings", dataclasses.replace(settings, event_bus_name="oidc-events"))
    bus = boto3.client("events")
    sqs = boto3.client("sqs")
    bus.create_event_bus(Name="oidc-events")
    queue = sqs.create_queue(QueueName="oidc-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bus.put_rule(Name="all", EventBusName="oidc-events", EventPattern=json.dumps({"source": ["oidc-provider"]}))
    bus.put_targets(Rule="all", EventBusName="oidc-events", Targets=[{"Id": "q", "Arn": arn}])

    def read() -> list[dict]:
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(message["Body"]) for message in messages]

    return read


def test_a_cli_commands_events_are_published_when_it_ends(tenant, monkeypatch):
    """A CLI command is one request: its events go to EventBridge when it ends (the CLI's
    group flushes them, for every command), not only to the log."""
    from click.testing import CliRunner

    from chalicelib.admin.cli import cli

    published = bus_to_queue(monkeypatch)
    result = CliRunner().invoke(cli, ["tenants", "disable", "acme"])
    assert result.exit_code == 0, result.output
    assert [event["detail-type"] for event in published()] == ["tenant_disabled"]

"""Observability, through the routes as RPs and browsers use them: every log line names its
request and its tenant; each request leaves one line of metrics in CloudWatch's embedded
metric format (read here as CloudWatch would read it, tests/support/emf.py); nothing secret
is ever logged."""

from __future__ import annotations

import dataclasses
import json
import logging
import re

import pytest

from chalicelib import observability
from chalicelib.admin import clients as client_admin
from chalicelib.admin import tenants as tenant_admin
from chalicelib.observability import logs, metrics
from tests.support.browser import HOST, Browser
from tests.support.emf import extract, is_emf, totals
from tests.support.observed import metric, parsed
from tests.unit.conftest import PASSWORD, REDIRECT_URI
from tests.unit.flows import authorize, basic, body, callback_params, log_in, obtain_code, post_token, redeem
from tests.unit.test_limits import attempt


def test_every_line_of_a_sign_in_names_its_request_and_tenant_and_none_holds_a_secret(
    http, browser, client, user, logged
):
    page = browser.follow(authorize(browser, client[0].client_id))
    assert browser.submit(page, "login", username="alice", password="not the password").status_code == 401
    consent = log_in(browser, browser.follow(authorize(browser, client[0].client_id)))
    code = callback_params(browser.submit(consent, "allow"))["code"]
    tokens = body(redeem(http, client, code))
    bearer = {"host": HOST, "authorization": f"Bearer {tokens['access_token']}"}
    assert http.get("/acme/userinfo", headers=bearer).status_code == 200

    lines = parsed(logged)
    assert all(line["tenant"] == "acme" and re.fullmatch(r"[0-9a-f-]{32,36}", line["request_id"]) for line in lines)
    requests = [line for line in lines if is_emf(line)]
    assert [line["Endpoint"] for line in requests] == [
        "authorize", "login", "login_submit", "authorize", "login", "login_submit", "consent", "consent_submit",
        "token", "userinfo",
    ]  # fmt: skip
    # One metrics line a request, the last of its lines; every line belongs to one of them.
    ids = [line["request_id"] for line in requests]
    assert len(set(ids)) == len(ids) and {line["request_id"] for line in lines} == set(ids)
    ends = [index for index, line in enumerate(lines[:-1]) if is_emf(line)]
    assert all(lines[index + 1]["request_id"] != lines[index]["request_id"] for index in ends)
    assert {line["event"] for line in lines if "event" in line} >= {"login_failed", "user_logged_in"}
    secrets = [PASSWORD, "not the password", code, client[1], *tokens.values(), *browser.cookies.values()]
    secrets = [secret for secret in secrets if isinstance(secret, str) and len(secret) >= 16]
    assert len(secrets) >= 6 and not [secret for secret in secrets if any(secret in text for text in logged)]


@pytest.mark.parametrize(
    ("passwords", "statuses", "counted"),
    [
        ([PASSWORD], [302], {"Logins": 1, "FailedLogins": 0, "Lockouts": 0}),
        (["wrong"], [401], {"Logins": 0, "FailedLogins": 1, "Lockouts": 0}),
        # Three free failures, a fourth that starts the back-off, and the fifth is refused.
        (["wrong"] * 5, [401, 401, 401, 401, 429], {"Logins": 0, "FailedLogins": 4, "Lockouts": 1}),
    ],
)
def test_logins_failures_and_lockouts_are_counted(http, client, user, clock, logged, passwords, statuses, counted):
    browser = Browser(http)
    assert [attempt(browser, client[0].client_id, "alice", password)[0] for password in passwords] == statuses
    lines = parsed(logged)
    assert {name: metric(lines, name) for name in counted} == counted
    failures = sum(400 <= status < 500 for status in statuses)
    assert metric(lines, "ClientErrors", Endpoint="login_submit") == failures
    assert metric(lines, "ServerErrors") == 0
    # Latency, by endpoint and for the stage: one sample a request.
    (submits,) = [v for k, v in _samples(lines, "Latency").items() if ("Endpoint", "login_submit") in k[2]]
    assert submits == len(passwords)


def _samples(lines: list[dict], name: str) -> dict:
    """How many samples of ``name`` the lines hold, by metric."""
    counted: dict = {}
    for line in filter(is_emf, lines):
        for key in extract(line):
            if key[1] == name:
                counted[key] = counted.get(key, 0) + 1
    return counted


def test_tokens_issued_are_counted_by_grant_type(http, browser, tenant, client, user, logged):
    tenant_admin.update_settings(tenant.id, {"grant_type_password_enable": True})
    service = client_admin.create_client(
        tenant.id, name="Service", client_type="confidential", response_types=[], grant_types=["client_credentials"]
    )
    legacy = client_admin.create_client(
        tenant.id, name="Legacy", client_type="confidential", response_types=[], grant_types=["password"]
    )
    spa = client_admin.create_client(
        tenant.id, name="SPA", client_type="public", redirect_uris=[REDIRECT_URI], response_types=["id_token token"]
    )
    tokens = body(redeem(http, client, obtain_code(browser, client[0].client_id)))
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    assert post_token(http, refresh, basic(client[0].client_id, client[1])).status_code == 200
    machine = {"grant_type": "client_credentials"}
    assert post_token(http, machine, basic(service[0].client_id, service[1])).status_code == 200
    password = {"grant_type": "password", "username": "alice", "password": PASSWORD, "scope": "openid"}
    assert post_token(http, password, basic(legacy[0].client_id, legacy[1])).status_code == 200
    implicit = browser.follow(authorize(browser, spa[0].client_id, response_type="id_token token", nonce="n"))
    assert "access_token" in callback_params(browser.submit(implicit, "allow"))
    # A refused request issues nothing.
    assert post_token(http, refresh, basic(client[0].client_id, client[1])).status_code == 400

    lines = parsed(logged)
    grants = ("authorization_code", "refresh_token", "client_credentials", "password", "implicit")
    assert {grant: metric(lines, "TokensIssued", GrantType=grant) for grant in grants} == dict.fromkeys(grants, 1)
    assert metric(lines, "TokensIssued") == 5
    assert metric(lines, "Logins") == 2  # the browser's sign-in, and the password grant's


def test_a_server_error_is_counted_and_logged_with_its_request(http, browser, client, user, logged, monkeypatch):
    """A deployment's hook that fails: the request answers 500, its line says why, and the
    metrics count a server error at the token endpoint."""
    from chalicelib import hooks
    from chalicelib.settings import settings
    from tests.support import hooks_example

    code = obtain_code(browser, client[0].client_id)

    def broken(tenant_id, claims, client_id):
        raise RuntimeError("the hook broke")

    monkeypatch.setattr(hooks, "settings", dataclasses.replace(settings, hooks_module="tests.support.hooks_example"))
    monkeypatch.setattr(hooks_example, "process_id_token", broken)
    hooks.forget()
    assert redeem(http, client, code).status_code == 500
    hooks.forget()

    lines = parsed(logged)
    (failure,) = [line for line in lines if line.get("message") == "unhandled error"]
    assert failure["level"] == "ERROR" and "RuntimeError: the hook broke" in failure["exception"]
    (request,) = [line for line in lines if is_emf(line) and line["request_id"] == failure["request_id"]]
    assert request["Endpoint"] == "token" and request["status"] == 500 and request["tenant"] == "acme"
    assert metric(lines, "ServerErrors", Endpoint="token") == metric(lines, "ServerErrors") == 1
    assert metric(lines, "ClientErrors") == 0


@pytest.mark.parametrize(
    ("throttles", "status", "server_errors"),
    [
        (1, 200, 0),  # absorbed by botocore's retry, and still counted
        (3, 503, 1),  # every attempt refused: temporarily_unavailable, a server error
    ],
)
def test_aws_throttles_are_counted_whether_retried_or_not(
    http, tenant, user, client, logged, throttling, throttles, status, server_errors
):
    from chalicelib.tenancy.resolve import forget

    forget()  # the tenant is read from DynamoDB again
    throttling[0] = throttles
    response = http.get("/acme/.well-known/openid-configuration", headers={"host": HOST})
    assert response.status_code == status and throttling[0] == 0

    lines = parsed(logged)
    assert metric(lines, "AwsThrottles", Service="dynamodb") == metric(lines, "AwsThrottles") == throttles
    assert metric(lines, "ServerErrors", Endpoint="openid_configuration") == server_errors
    warnings = [line for line in lines if line["logger"] == "oidc.aws"]
    assert len(warnings) == throttles and all(line["tenant"] == "acme" for line in warnings)
    assert warnings[0]["message"] == "dynamodb throttled GetItem (attempt 1)"


def test_an_unknown_tenant_is_named_as_asked_and_is_no_dimension(http, logged):
    assert http.get("/no-such-tenant/jwks.json", headers={"host": HOST}).status_code == 404
    (line,) = [line for line in parsed(logged) if is_emf(line)]
    assert line["tenant"] == "no-such-tenant" and line["ClientErrors"] == 1 and line["status"] == 404
    dimensions = {name for d in line["_aws"]["CloudWatchMetrics"] for names in d["Dimensions"] for name in names}
    assert dimensions == {"Stage", "Endpoint"}


def test_a_queue_invocation_names_its_request_and_the_notices_tenant(tenant, logged):
    """The back-channel delivery function, invoked as Lambda invokes it: a notice for a client
    that no longer exists is dropped, counted, and logged under the invocation's id."""
    from chalice.test import Client

    from app import app
    from chalicelib.oidc.backchannel import Notice

    notice = Notice("acme", "http://op.example.test/acme", "gone", "sub-1", "sid-1", 0).to_json()
    with Client(app) as test_client:
        event = test_client.events.generate_sqs_event(message_bodies=[notice], queue_name="oidc-backchannel")
        test_client.lambda_.invoke("deliver_backchannel_logout", event)
    lines = parsed(logged)
    assert [line.get("outcome") for line in lines if not is_emf(line)] == ["dropped"]
    assert all(line["tenant"] == "acme" for line in lines) and len({line["request_id"] for line in lines}) == 1
    assert metric(lines, "BackchannelDeliveries", Outcome="dropped") == 1
    assert "Endpoint" not in lines[-1]  # no request metrics: Lambda's own cover the function


def test_counts_of_two_values_of_one_dimension_take_two_lines():
    """One value per dimension per line: the second service's throttles go on a second line,
    and the two lines add up to what was counted."""
    observability.bind(request_id="r-1", tenant="acme")
    for service in ("dynamodb", "kms", "kms"):
        observability.count("AwsThrottles", service)
    observability.count("Logins")
    lines = metrics.documents(observability.current(), "token", 200, 1.5, {"method": "POST"})
    assert len(lines) == 2
    summed = totals(lines)
    assert summed[("OidcProvider", "AwsThrottles", (("Service", "dynamodb"), ("Stage", "unit")))] == 1
    assert summed[("OidcProvider", "AwsThrottles", (("Service", "kms"), ("Stage", "unit")))] == 2
    assert summed[("OidcProvider", "AwsThrottles", (("Stage", "unit"),))] == 3
    assert summed[("OidcProvider", "Logins", (("Stage", "unit"),))] == 1
    assert summed[("OidcProvider", "Latency", (("Endpoint", "token"), ("Stage", "unit")))] == 1.5


@pytest.mark.parametrize("existing", [True, False])
def test_install_formats_the_runtimes_handler_or_adds_one_for_stdout(existing, capsys):
    """On Lambda the runtime's handler is on the root logger already: it keeps writing where
    it writes, in this format (its own would prefix the line, and CloudWatch would then not
    read the metrics in it). Elsewhere, one handler writes to stdout."""
    root = logging.Logger("root-under-test")
    runtime = logging.StreamHandler()
    if existing:
        root.addHandler(runtime)
    logs.install(root)
    logs.install(root)  # idempotent
    assert len(root.handlers) == 1 and isinstance(root.handlers[0].formatter, logs.JsonLines)
    assert (root.handlers[0] is runtime) == existing
    observability.bind(request_id="req-1", tenant="acme")
    root.warning("multi\nline")
    written = capsys.readouterr()
    out = written.err if existing else written.out
    expected = {"level": "WARNING", "logger": "root-under-test", "request_id": "req-1", "tenant": "acme"}
    assert json.loads(out) == {**expected, "message": "multi\nline"}


@pytest.mark.parametrize("path", ["/health", "/admin/openapi.json", "/"])
def test_a_request_outside_any_tenant_starts_a_scope_of_its_own(http, tenant, path):
    """Every HTTP request gets its own scope (Chalice middleware), not only the tenant routes:
    on a warm container, a line logged by /health must not carry the previous request's id
    or tenant."""
    assert http.get("/acme/jwks.json", headers={"host": HOST}).status_code == 200
    before = observability.current()
    assert before is not None and before.tenant == "acme"
    assert http.get(path, headers={"host": HOST}).status_code == 200
    after = observability.current()
    assert after is not None and after.tenant is None and after.request_id != before.request_id

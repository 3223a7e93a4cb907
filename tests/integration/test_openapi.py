"""The admin API against its own OpenAPI document (``<base>/admin/openapi.json``), over HTTP
with a real admin key.

Every example the document gives is answered with success, as documented. Then Schemathesis
generates requests from the document (valid ones, and ones that break it), and every answer
must keep to it: no 5xx, a documented status, a body and headers of the documented shape,
and a request that breaks the document refused. The run is deterministic (Hypothesis
derandomized) and bounded by ``OPENAPI_EXAMPLES`` cases per operation and generation mode;
its request count and statuses are written to ``test-artifacts/schemathesis.json``."""

from __future__ import annotations

import json
import os
import uuid
from collections import Counter
from dataclasses import dataclass

import pytest
import requests
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable

from chalicelib.admin import clients as client_admin
from chalicelib.admin import templates as template_admin
from chalicelib.admin import tenants as tenant_admin
from chalicelib.admin import users as user_admin
from tests.integration.conftest import ARTIFACTS, PASSWORD, REDIRECT_URI

EXAMPLES = int(os.environ.get("OPENAPI_EXAMPLES", "20"))
# RFC 9110 §13.2.2: a precondition (If-Match) may be evaluated before the body is read, so a
# 412 refuses a malformed request as well as a 400 does.
REFUSALS = ["400", "401", "404", "409", "412", "415"]


@dataclass(frozen=True)
class Described:
    """A tenant of its own, its admin key, and a client, a user, a signing key and a page
    template for paths to name."""

    tenant: str
    key: str
    client_id: str
    kid: str

    @property
    def path_parameters(self) -> dict[str, str]:
        return {"tenant": self.tenant, "client_id": self.client_id, "username": "alice", "kid": self.kid,
                "page": "login"}  # fmt: skip


@pytest.fixture
def described(provider) -> Described:
    tenant = tenant_admin.create_tenant(f"api-{uuid.uuid4().hex[:10]}", "Described")
    key = tenant_admin.issue_admin_key(tenant.id, "schemathesis")[0]
    client, _ = client_admin.create_client(
        tenant.id, name="Described", client_type="confidential", redirect_uris=[REDIRECT_URI]
    )
    user_admin.create_user(tenant.id, "alice", PASSWORD, {"email": "alice@example.com"})
    login = document_example("/admin/tenants/{tenant}/templates/{page}", "put", "login")["source"]
    template_admin.put_template(tenant.id, "login", login)
    return Described(tenant.id, key, client.client_id, tenant.keys[0]["kid"])


def document_example(path: str, method: str, name: str) -> dict:
    from chalicelib.web.admin import openapi_document

    body = openapi_document()["paths"][path][method]["requestBody"]["content"]["application/json"]
    return body["examples"][name]["value"]


def load(provider: str, key: str):
    """The document as the server serves it, with the admin key as its bearer credentials."""
    import schemathesis

    document = requests.get(f"{provider}/admin/openapi.json", timeout=30).json()
    assert document["servers"] == [{"url": provider}]
    config = schemathesis.Config.from_dict(
        {
            "auth": {"openapi": {"adminKey": {"bearer": key}}},
            "checks": {"negative_data_rejection": {"expected-statuses": REFUSALS}},
            "generation": {"with-security-parameters": False},
        }
    )
    return document, schemathesis.openapi.from_dict(document, config=config)


def operations(schema) -> list:
    """Every operation, deletions last: the first that succeeds removes what the others name."""
    found = [result.ok() for result in schema.get_all_operations()]
    return sorted(found, key=lambda operation: operation.method.upper() == "DELETE")


def checks(auth: bool = False) -> list:
    """What every answer is checked for; with ``auth``, also that the operation refuses the
    request without the key and with a wrong one (two more requests per success, so only
    the examples' run asks for it)."""
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi import checks as openapi

    return [
        *([openapi.ignored_auth] if auth else []),
        not_a_server_error,
        openapi.status_code_conformance,
        openapi.content_type_conformance,
        openapi.response_headers_conformance,
        openapi.response_schema_conformance,
        openapi.negative_data_rejection,
    ]


def counting_session(sent: list[int]) -> requests.Session:
    session = requests.Session()
    session.hooks["response"].append(lambda response, *args, **kwargs: sent.append(response.status_code))
    return session


def examples_of(document: dict, operation) -> list:
    """The request bodies the document shows for ``operation`` (none: one request without)."""
    item = document["paths"][operation.path][operation.method.lower()]
    media = item.get("requestBody", {}).get("content", {}).get("application/json", {})
    return [example["value"] for example in media.get("examples", {}).values()] or [None]


def test_every_example_in_the_document_succeeds_as_documented(provider, described):
    document, schema = load(provider, described.key)
    session, sent = counting_session([]), []
    for operation in operations(schema):
        names = {parameter.name for parameter in operation.path_parameters}
        path = {name: value for name, value in described.path_parameters.items() if name in names}
        for body in examples_of(document, operation):
            extra = {"body": body, "media_type": "application/json"} if body is not None else {}
            headers = {"Authorization": f"Bearer {described.key}"}  # generated cases get it from the config
            case = operation.Case(path_parameters=path, headers=headers, **extra)
            response = case.call_and_validate(base_url=provider, session=session, checks=checks(auth=True))
            sent.append((operation.label, response.status_code))
            assert 200 <= response.status_code < 300, (operation.label, body, response.text)
    assert {label for label, _ in sent} == {operation.label for operation in operations(schema)}


def fuzz(operation, mode, described: Described, provider: str, session, failures: dict) -> None:
    """Up to EXAMPLES cases of ``operation`` in ``mode``: half name the tenant's real client or
    user, half an id generated. Failures are collected, so one run reports them all."""
    from schemathesis.core.failures import FailureGroup

    names = {parameter.name for parameter in operation.path_parameters}
    strategies = [
        operation.as_strategy(
            generation_mode=mode,
            path_parameters={
                n: v for n, v in described.path_parameters.items() if n in names and (real or n == "tenant")
            },
        )
        for real in (True, False)
    ]

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(case=st.one_of(strategies))
    def run(case) -> None:
        try:
            case.call_and_validate(base_url=provider, session=session, checks=checks())
        except (FailureGroup, Exception) as error:  # reported with the others at the end
            failures.setdefault(f"{operation.label} ({mode})", str(error)[:1500])

    try:
        run()
    except Unsatisfiable:  # nothing of the operation's can be broken: no negative case
        assert mode == "negative", operation.label


def test_the_admin_api_keeps_to_its_document(provider, described):
    from schemathesis import GenerationMode

    _, schema = load(provider, described.key)
    sent, failures = [], {}
    session = counting_session(sent)
    for operation in operations(schema):
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz(operation, mode, described, provider, session, failures)
    summary = {"requests": len(sent), "statuses": dict(sorted(Counter(map(str, sent)).items()))}
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "schemathesis.json").write_text(json.dumps({**summary, "examples": EXAMPLES}, indent=2))
    assert not failures, "\n\n".join(f"{label}\n{message}" for label, message in failures.items())
    assert {"200", "201", "204", "400", "404", "412"} <= set(summary["statuses"]), summary

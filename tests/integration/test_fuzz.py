"""The abuse suite's fuzzer: at least 10,000 hostile requests over raw sockets to every route
of the dev server (protocol endpoints, pages, registration, the admin API with a valid and
an invalid key, health, unknown paths and methods), with malformed encodings everywhere
HTTP lets them through (tests/support/fuzz.py). Not one may answer 5xx or go unanswered,
and the table must be unchanged by them.

The table comparison: a scan before and after, ignoring the abuse limiter's counters
(``sk`` starting with ``limit#``). Only one kind of request among them may write: an open
dynamic registration that the provider accepts (201) creates its client, by design. The
comparison accounts for those: each 201 names its client_id, and exactly those clients'
items may be new (and the account page's built-in client, made on first use); nothing else
may appear, change or disappear. Everything else is
refused or writes nothing by construction: no sample is a known user's name (a wrong
password would count a failure), the one live access token belongs to a client the fuzzer
never authenticates as (revoking it through ours writes nothing), and admin writes with
the valid key carry only refused bodies and name only missing ids, so a 2xx to one of
those fails the test too.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import boto3
import pytest
import requests

from chalicelib.admin import clients as client_admin
from chalicelib.admin import tenants as tenant_admin
from chalicelib.admin import users as user_admin
from tests.integration.conftest import ARTIFACTS
from tests.support import fuzz
from tests.support.forms import only_form

COUNT = int(os.environ.get("FUZZ_HTTP_REQUESTS", "10000"))
SEED = int(os.environ.get("FUZZ_HTTP_SEED", "20240607"))
THREADS = 4
REDIRECT_URI = "https://rp.example.com/callback"


@pytest.fixture(scope="module")
def target(provider) -> fuzz.Target:
    tenant = tenant_admin.create_tenant(f"fz-{uuid.uuid4().hex[:10]}", "Fuzz", key_backend="secretsmanager")
    settings = {"client_registration": "open", "session_management_enable": True, "grant_type_password_enable": True,
                # Every registration comes from one source: let them all be judged on their metadata.
                "registrations_per_source": 100_000, "registration_quota": 100_000,
                # Sign-up's forms answer (no sender is configured: its jobs are dropped unsent
                # and write nothing); passkeys and second factors are offered.
                "signup_enable": True, "mfa_policy": "optional",
                # Unsigned request objects are taken: the fuzzed ones reach the request rules.
                "allow_unsigned_request_objects": True}  # fmt: skip
    tenant_admin.update_settings(tenant.id, settings)
    # Resource indicators (RFC 8707): the example API is one of the tenant's, so a resource names something.
    tenant_admin.update_settings(tenant.id, {"resource_servers": [f"{provider}/{tenant.id}/example"]})
    other, other_secret = client_admin.create_client(
        tenant.id, name="Other", client_type="confidential", client_id="fuzz-other", response_types=[],
        grant_types=["client_credentials"],
    )  # fmt: skip
    client, secret = client_admin.create_client(
        tenant.id, name="Fuzz", client_type="confidential", client_id="fuzz-client", client_secret="s" * 43,
        redirect_uris=[REDIRECT_URI], post_logout_redirect_uris=["https://rp.example.com/bye"],
        frontchannel_logout_uri="https://rp.example.com/front", scopes=["token_introspection", "fuzz-other"],
        response_types=["code", "id_token", "id_token token", "token", "code id_token", "code token",
                        "code id_token token"],
        grant_types=["authorization_code", "implicit", "refresh_token", "client_credentials", "password"],
    )  # fmt: skip
    public, _ = client_admin.create_client(
        tenant.id, name="Fuzz app", client_type="public", redirect_uris=["http://127.0.0.1/cb"]
    )
    user = user_admin.create_user(tenant.id, f"admin-target-{uuid.uuid4().hex[:6]}", "a long enough password")
    elsewhere = tenant_admin.create_tenant(f"fz-{uuid.uuid4().hex[:10]}", "Elsewhere")
    issuer = f"{provider}/{tenant.id}"
    access_token = requests.post(
        f"{issuer}/token", data={"grant_type": "client_credentials"}, auth=(other.client_id, other_secret), timeout=30
    ).json()["access_token"]
    csrf_cookie, csrf_token, ticket = _login_page(issuer, client.client_id)
    return fuzz.Target(
        host=urlsplit(provider).netloc,
        tenant=tenant.id,
        client_id=client.client_id,
        client_secret=secret,
        public_client_id=public.client_id,
        user=user.username,
        admin_key=tenant_admin.issue_admin_key(tenant.id, "fuzz")[0],
        other_admin_key=tenant_admin.issue_admin_key(elsewhere.id, "fuzz")[0],
        csrf_cookie=csrf_cookie,
        csrf_token=csrf_token,
        ticket=ticket,
        access_token=access_token,
    )


def _login_page(issuer: str, client_id: str) -> tuple[str, str, str]:
    """A browser's CSRF cookie, the login form's token and its ticket: live material, so
    requests get past the first checks."""
    query = {"client_id": client_id, "redirect_uri": REDIRECT_URI, "response_type": "code", "scope": "openid"}
    session = requests.Session()
    page = session.get(f"{issuer}/authorize", params=query, timeout=30)
    assert page.status_code == 200 and "Sign in" in page.text, page.text[:300]

    fields = only_form(page.text).fields
    return session.cookies["op_csrf"], fields["csrf_token"], fields["ticket"]


def scan() -> dict[tuple[str, str], dict]:
    """Every item of the table but the abuse limiter's counters."""
    dynamodb = boto3.client("dynamodb")
    items, kwargs = {}, {"TableName": os.environ["TABLE_NAME"]}
    while True:
        page = dynamodb.scan(**kwargs)
        for item in page["Items"]:
            if not item["sk"]["S"].startswith("limit#"):
                items[(item["pk"]["S"], item["sk"]["S"])] = item
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def send(address: tuple[str, int], wire: fuzz.Wire) -> tuple[int | None, bytes]:
    """The status and body of the answer to ``wire`` (None: no answer at all). A connection
    refused or reset before the request was read is retried: the server never saw it."""
    method = wire.data.split(b" ", 1)[0].decode("latin-1")
    for _attempt in range(5):
        with socket.create_connection(address, timeout=30) as sock:
            # Answered (431, 400) before the whole request was read: read that answer.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                sock.sendall(wire.data)
            try:
                response = http.client.HTTPResponse(sock, method=method)
                response.begin()
                body = response.read()
                return response.status, body if response.status == 201 else body[:300]
            except ConnectionResetError:
                continue
            except (http.client.HTTPException, OSError):
                return None, b""
    return None, b""


def test_ten_thousand_hostile_requests_get_no_5xx_and_write_nothing(provider, target):
    assert COUNT >= 10_000 or "FUZZ_HTTP_REQUESTS" in os.environ
    wires = fuzz.requests(SEED, COUNT, target)
    address = (urlsplit(provider).hostname, urlsplit(provider).port)
    before = scan()
    started = time.monotonic()
    with ThreadPoolExecutor(THREADS) as pool:
        answers = list(pool.map(lambda wire: send(address, wire), wires))
    elapsed = time.monotonic() - started
    after = scan()

    statuses = Counter(status for status, _ in answers)
    routes = Counter(f"{wire.route.method} {wire.route.path}" for wire in wires)
    by_route: dict[str, Counter] = {}
    for wire, (status, _) in zip(wires, answers, strict=True):
        by_route.setdefault(f"{wire.route.method} {wire.route.path}", Counter())[str(status)] += 1
    report = {"requests": len(wires), "seconds": round(elapsed, 1), "seed": SEED, "statuses": dict(statuses)}
    print(f"\nfuzz: {len(wires)} requests in {elapsed:.1f} s, statuses {dict(sorted(statuses.items(), key=str))}")
    (ARTIFACTS / "fuzz.json").write_text(json.dumps({**report, "routes": by_route}, indent=2))

    failures = [
        (index, status, wire.data[:200], body)
        for index, (wire, (status, body)) in enumerate(zip(wires, answers, strict=True))
        if status is None or status >= 500 or (wire.must_refuse and status < 400)
    ]
    assert not failures, f"seed {SEED}: {len(failures)} failures, first ones: {failures[:5]}"
    assert len(routes) == len(fuzz.ROUTES) and min(routes.values()) >= COUNT // len(fuzz.ROUTES)

    registered = {json.loads(body)["client_id"] for (status, body), wire in zip(answers, wires, strict=True)
                  if status == 201 and wire.route.path.endswith("/register")}  # fmt: skip
    # The account page's built-in client is created when a browser without a session first
    # opens it (chalicelib/own_rp.py), by design.
    allowed = {(target.tenant, f"client#{client_id}") for client_id in [*registered, "account"]}
    assert {key for key in after if key not in before} <= allowed
    assert {key for key in after if key not in before} >= allowed - {(target.tenant, "client#account")}
    assert {key: after.get(key) for key in before} == before

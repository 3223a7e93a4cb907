"""Abuse suite: open dynamic registration played as an attacker would (issue 7, item 9), over
HTTP against the dev server, which reports each request's real source address (127.0.0.x
through a bound socket, as API Gateway's ``sourceIp`` would).

The attacker registers anonymously asking for the grants that skip the consent page, an
evil redirect (or front- or back-channel logout) host, the name of the tenant's own client,
then floods the endpoint from one address in a parallel burst; each is refused with RFC
7591's error and writes nothing but the abuse counters. Then an unverified client's failing
authorization request, the open redirector's raw material, is answered by the OP's
interstitial page, not a redirect; and so is a logout that names an unverified client's
post-logout URI, with or without a session.
"""

from __future__ import annotations

import html
import re
import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import boto3
import pytest
import requests

from chalicelib.admin import clients as client_admin
from chalicelib.admin import tenants as tenant_admin
from chalicelib.admin import users as user_admin
from chalicelib.settings import settings
from tests.integration.conftest import PASSWORD, authorization_url
from tests.integration.test_abuse_guessing import SourceAdapter
from tests.support.user_agent import UserAgent

TENANT_CLIENT = "Demo web app"
ALLOWED = "https://rp.example.com/callback"
PER_SOURCE = 10  # the default registrations_per_source
BURST = 16


@pytest.fixture
def tenant(provider):
    """Open registration, redirect hosts restricted: set before the server first reads it."""
    tenant = tenant_admin.create_tenant(f"reg-{uuid.uuid4().hex[:10]}", "Demo")
    tenant_admin.update_settings(
        tenant.id, {"client_registration": "open", "registration_redirect_hosts": ["rp.example.com"]}
    )
    client_admin.create_client(tenant.id, name=TENANT_CLIENT, client_type="confidential", redirect_uris=[ALLOWED])
    return tenant


def register(issuer: str, metadata: dict, source: str) -> requests.Response:
    """POST /register from the loopback address ``source``, retrying connections the server reset."""
    session = requests.Session()
    session.mount("http://", SourceAdapter(source))
    for _attempt in range(5):
        try:
            return session.post(f"{issuer}/register", json=metadata, timeout=60)
        except requests.ConnectionError:
            continue
    raise RuntimeError("the provider refused every connection")


def items(tenant_id: str) -> dict[str, dict]:
    """The tenant's items but the abuse limiter's counters."""
    table = boto3.resource("dynamodb").Table(settings.table_name)
    found, kwargs = {}, {"KeyConditionExpression": boto3.dynamodb.conditions.Key("pk").eq(tenant_id)}
    while True:
        page = table.query(**kwargs)
        found.update({item["sk"]: item for item in page["Items"] if not item["sk"].startswith("limit#")})
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


ATTACKS = [
    ({"grant_types": ["authorization_code", "password"]}, "invalid_client_metadata"),
    ({"grant_types": ["client_credentials"], "response_types": []}, "invalid_client_metadata"),
    ({"redirect_uris": ["https://evil.example/callback"]}, "invalid_redirect_uri"),
    ({"post_logout_redirect_uris": ["https://evil.example/bye"]}, "invalid_redirect_uri"),
    ({"frontchannel_logout_uri": "https://evil.example/fc"}, "invalid_client_metadata"),  # framed by the OP
    ({"backchannel_logout_uri": "https://evil.example/bc"}, "invalid_client_metadata"),  # called by the OP
    ({"client_name": TENANT_CLIENT}, "invalid_client_metadata"),
    ({"client_name": "DEMO-WEB-APP"}, "invalid_client_metadata"),
    ({"client_name": "D\u0435mo w\u0435b \u0430pp"}, "invalid_client_metadata"),  # Cyrillic e and a
    ({"client_name": "Demo"}, "invalid_client_metadata"),  # the tenant's name
]


def test_an_anonymous_registrant_gets_none_of_what_it_asks_for(provider, tenant):
    issuer, before = f"{provider}/{tenant.id}", items(tenant.id)
    for change, error in ATTACKS:
        answer = register(issuer, {"redirect_uris": [ALLOWED], "client_name": "Totally legit", **change}, "127.0.0.2")
        assert (answer.status_code, answer.json()["error"]) == (400, error), (change, answer.text)
    assert items(tenant.id) == before


def test_a_flood_from_one_source_is_cut_at_the_limit(provider, tenant):
    issuer, before = f"{provider}/{tenant.id}", items(tenant.id)
    gate = threading.Barrier(BURST)

    def send(n: int) -> requests.Response:
        gate.wait()
        return register(issuer, {"redirect_uris": [ALLOWED], "client_name": f"Flood {n}"}, "127.0.0.3")

    with ThreadPoolExecutor(BURST) as pool:
        answers = list(pool.map(send, range(BURST)))
    statuses = Counter(answer.status_code for answer in answers)
    assert statuses == {201: PER_SOURCE, 429: BURST - PER_SOURCE}, statuses
    for answer in (answer for answer in answers if answer.status_code == 429):
        assert answer.json()["error"] == "temporarily_unavailable"
        assert 0 < int(answer.headers["Retry-After"]) <= 3600
    created = {f"client#{answer.json()['client_id']}" for answer in answers if answer.status_code == 201}
    assert set(items(tenant.id)) - set(before) == created  # the refused ones wrote nothing
    # Another address is not held back by this one's flood.
    other = register(issuer, {"redirect_uris": [ALLOWED], "client_name": "Neighbour"}, "127.0.0.4")
    assert other.status_code == 201, other.text


def test_an_unverified_clients_error_waits_on_the_interstitial(provider, tenant):
    """The open redirector: a request that fails at once (prompt=none, no session) would
    bounce the victim from the OP's domain to the registered host with no warning."""
    issuer = f"{provider}/{tenant.id}"
    answer = register(issuer, {"redirect_uris": [ALLOWED], "client_name": "Bouncer"}, "127.0.0.5")
    client_id = answer.json()["client_id"]
    query = {"client_id": client_id, "redirect_uri": ALLOWED, "response_type": "code", "scope": "openid"}
    page = requests.get(
        f"{issuer}/authorize", params={**query, "prompt": "none", "state": "s"}, allow_redirects=False, timeout=30
    )
    assert page.status_code == 400 and "Location" not in page.headers
    assert page.headers["Content-Type"].startswith("text/html") and "<script" not in page.text
    assert "Continue to rp.example.com?" in page.text and "Bouncer could not complete sign-in" in page.text
    assert "form-action 'self';" in page.headers["Content-Security-Policy"]
    error = {"error": "login_required", "error_description": "the end user is not logged in", "state": "s"}
    links = [html.unescape(link) for link in re.findall(r'<a class="button" href="([^"]*)"', page.text)]
    assert links == [f"{ALLOWED}?{urlencode({**error, 'iss': issuer})}"]


EVIL_BYE = "https://evil.example/bye"


def assert_waits_for_the_user(page: requests.Response, heading: str) -> None:
    """The OP's signed-out page with a link that names the host; nothing sends the browser on."""
    assert page.status_code == 200 and "Location" not in page.headers, (page.status_code, page.headers)
    assert page.headers["Content-Type"].startswith("text/html") and heading in page.text
    assert "<script" not in page.text and "http-equiv" not in page.text.lower()
    assert "Unverified application" in page.text and "go to <strong>evil.example</strong>" in page.text
    links = [html.unescape(link) for link in re.findall(r'<a class="button" href="([^"]*)"', page.text)]
    assert links == [f"{EVIL_BYE}?state=s"] and "Continue to evil.example</a>" in page.text


def test_logout_is_no_open_redirector_for_an_unverified_client(provider):
    """The reviewer's reproduction: anyone registers a post-logout URI on their own host (the
    tenant lists no redirect hosts), then sends victims to the end-session endpoint."""
    tenant = tenant_admin.create_tenant(f"bye-{uuid.uuid4().hex[:10]}", "Demo")
    tenant_admin.update_settings(tenant.id, {"client_registration": "open"})
    user_admin.create_user(tenant.id, "alice", PASSWORD, {"name": "Alice"})
    issuer = f"{provider}/{tenant.id}"
    metadata = {"redirect_uris": [ALLOWED], "client_name": "Bye", "post_logout_redirect_uris": [EVIL_BYE]}
    answer = register(issuer, metadata, "127.0.0.6")
    assert answer.status_code == 201, answer.text
    query = {"client_id": answer.json()["client_id"], "post_logout_redirect_uri": EVIL_BYE, "state": "s"}
    end_session = f"{issuer}/end-session?{urlencode(query)}"

    # A browser without a session here: no confirmation to ask for.
    assert_waits_for_the_user(requests.get(end_session, allow_redirects=False, timeout=30), "You are signed out")
    # A signed-in victim who confirms, or who chooses to stay signed in.
    for decision, heading in [("stay", "You are still signed in"), ("logout", "You are signed out")]:
        victim = UserAgent(provider)
        victim.sign_in(authorization_url(issuer, query["client_id"], ALLOWED), "alice", PASSWORD)
        page = victim.visit(end_session)
        assert page.status_code == 200 and "Sign out?" in page.text
        assert "form-action 'self';" in page.headers["Content-Security-Policy"]
        assert_waits_for_the_user(victim.submit(page, decision), heading)

"""The device authorization grant (RFC 8628) over HTTP: a device asks for codes, a person
enters the user code on the tenant's device page, signs in and decides, and the device's
polls get what the spec says at each point, with what was or was not written checked."""

from __future__ import annotations

import dataclasses
import json
import re
from urllib.parse import urlencode

import jwt
import pytest

from chalicelib.admin import clients as client_admin
from chalicelib.admin import tenants as tenant_admin
from chalicelib.admin import users as user_admin
from chalicelib.settings import settings
from tests.support.browser import HOST, Browser
from tests.support.forms import only_form
from tests.unit.flows import basic, body, log_in

BASE = "https://op.example.test"
ISSUER = f"{BASE}/acme"

GRANT = "urn:ietf:params:oauth:grant-type:device_code"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(autouse=True)
def https_issuer(monkeypatch):
    """The device page's built-in client redirects to the provider's own URI, which must be
    https outside this machine (as in the account page's tests)."""
    from chalicelib.web import routes

    monkeypatch.setattr(routes, "settings", dataclasses.replace(settings, public_base_url=BASE))


@pytest.fixture
def device_client(tenant):
    client, _ = client_admin.create_client(
        tenant.id, name="Living Room TV", client_type="public", redirect_uris=[], response_types=[],
        grant_types=[GRANT, "refresh_token"], scopes=["openid", "profile", "email"],
    )  # fmt: skip
    return client


@pytest.fixture
def confidential_device_client(tenant):
    return client_admin.create_client(
        tenant.id, name="Set-top box", client_type="confidential", redirect_uris=[], response_types=[],
        grant_types=[GRANT],
    )  # fmt: skip


def shown_error(response) -> str:
    found = re.search(r'class="error"[^>]*>(.*?)</p>', response.body.decode(), re.S)
    return f"{response.status_code}: {found.group(1).strip() if found else response.body[:200]}"


def post(http, path: str, data: dict[str, str], authorization: str | None = None):
    headers = {"host": HOST, "content-type": FORM}
    if authorization:
        headers["authorization"] = authorization
    return http.post(f"/acme/{path}", headers=headers, body=urlencode(data))


def ask(http, client_id: str, scope: str = "openid profile", **extra: str) -> dict:
    response = post(http, "device_authorization", {"client_id": client_id, "scope": scope, **extra})
    assert response.status_code == 200, response.body
    assert response.headers["Cache-Control"] == "no-store"
    return body(response)


def poll(http, client_id: str, device_code: str, authorization: str | None = None):
    data = {"grant_type": GRANT, "device_code": device_code}
    if authorization is None:
        data["client_id"] = client_id
    return post(http, "token", data, authorization)


def enter(browser, user_code: str):
    page = browser.get(f"{BASE}/acme/device")
    assert page.status_code == 200
    return browser.submit(page, None, user_code=user_code)


def approve(browser, user_code: str, decision: str = "approve"):
    response = browser.follow(enter(browser, user_code))
    if b"Sign in" in response.body:
        response = log_in(browser, response)
    assert response.status_code == 200 and b"Approve" in response.body, shown_error(response)
    return browser.submit(response, decision)


def test_a_device_gets_tokens_once_the_person_approves(http, browser, device_client, user, clock, table_items):
    codes = ask(http, device_client.client_id)
    assert codes["verification_uri"] == f"{ISSUER}/device"
    assert codes["verification_uri_complete"] == f"{ISSUER}/device?user_code={codes['user_code']}"
    assert codes["interval"] == 5 and codes["expires_in"] == 600
    stored = json.dumps(table_items())
    assert codes["device_code"] not in stored and codes["user_code"].replace("-", "") not in stored
    pending = poll(http, device_client.client_id, codes["device_code"])
    assert pending.status_code == 400 and body(pending)["error"] == "authorization_pending"
    done = approve(browser, codes["user_code"])
    assert done.status_code == 200 and b"Device connected" in done.body
    clock[0] += 5
    tokens = body(poll(http, device_client.client_id, codes["device_code"]))
    assert tokens["token_type"] == "Bearer" and tokens["scope"] == "openid profile" and "refresh_token" in tokens
    claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    assert claims["aud"] == device_client.client_id and claims["sub"] == user.sub and claims["iss"] == ISSUER
    clock[0] += 5
    before = table_items()
    again = poll(http, device_client.client_id, codes["device_code"])
    assert again.status_code == 400 and body(again)["error"] == "invalid_grant"
    assert table_items() == before


def device_items(table_items) -> list[dict]:
    return [item for item in table_items() if item["sk"]["S"].startswith("device#")]


def test_a_pending_poll_records_only_its_time_and_a_second_one_too_soon_writes_nothing(
    http, device_client, clock, table_items
):
    codes = ask(http, device_client.client_id)
    (item,) = device_items(table_items)
    first = poll(http, device_client.client_id, codes["device_code"])
    assert (first.status_code, body(first)["error"]) == (400, "authorization_pending")
    (polled,) = device_items(table_items)
    assert {k: v for k, v in polled.items() if k != "next_poll"} == item
    assert polled["next_poll"] == {"N": str(clock[0] + 5)}
    before = table_items()
    clock[0] += 4
    second = poll(http, device_client.client_id, codes["device_code"])
    assert (second.status_code, body(second)["error"]) == (400, "slow_down")
    assert table_items() == before
    clock[0] += 1
    assert body(poll(http, device_client.client_id, codes["device_code"]))["error"] == "authorization_pending"


def test_a_denied_request_is_access_denied(http, browser, device_client, user, clock, table_items):
    codes = ask(http, device_client.client_id)
    done = approve(browser, codes["user_code"], "deny")
    assert done.status_code == 200 and b"Device not connected" in done.body
    before = table_items()
    denied = poll(http, device_client.client_id, codes["device_code"])
    assert (denied.status_code, body(denied)["error"]) == (400, "access_denied")
    assert [i for i in table_items() if not i["sk"]["S"].startswith("device#")] == [
        i for i in before if not i["sk"]["S"].startswith("device#")
    ]
    assert not [i for i in table_items() if i["sk"]["S"].startswith("grant#")]


def test_an_expired_device_code_is_expired_token_and_its_page_refuses_it(
    http, browser, device_client, user, clock, table_items
):
    codes = ask(http, device_client.client_id)
    clock[0] += 600
    before = table_items()
    expired = poll(http, device_client.client_id, codes["device_code"])
    assert (expired.status_code, body(expired)["error"]) == (400, "expired_token")
    entered = enter(browser, codes["user_code"])
    assert entered.status_code == 400 and "not valid" in shown_error(entered)
    assert table_items() == before


@pytest.mark.parametrize(
    "device_code",
    [
        "x",
        "a.b",
        "A" * 24 + "." + "B" * 43,  # well-formed, unknown
        "A" * 24 + "." + "é" * 43,
        "A" * 300,
        "{{code}}.x",
    ],
)
def test_an_unknown_or_malformed_device_code_is_invalid_grant(http, device_client, table_items, device_code):
    ask(http, device_client.client_id)
    before = table_items()
    refused = poll(http, device_client.client_id, device_code)
    assert (refused.status_code, body(refused)["error"]) == (400, "invalid_grant")
    assert table_items() == before


def test_another_clients_poll_gets_nothing_and_writes_nothing(http, tenant, device_client, table_items):
    other, _ = client_admin.create_client(
        tenant.id, name="Other TV", client_type="public", redirect_uris=[], response_types=[], grant_types=[GRANT]
    )
    codes = ask(http, device_client.client_id)
    before = table_items()
    refused = poll(http, other.client_id, codes["device_code"])
    assert (refused.status_code, body(refused)["error"]) == (400, "invalid_grant")
    assert table_items() == before


def test_a_device_code_from_another_tenant_is_unknown(http, device_client, table_items):

    tenant_admin.create_tenant("other", "Other")
    twin, _ = client_admin.create_client(
        "other", name="TV", client_type="public", redirect_uris=[], response_types=[], grant_types=[GRANT]
    )
    codes = ask(http, device_client.client_id)
    before = table_items()
    data = {"grant_type": GRANT, "device_code": codes["device_code"], "client_id": twin.client_id}
    refused = http.post("/other/token", headers={"host": HOST, "content-type": FORM}, body=urlencode(data))
    assert (refused.status_code, body(refused)["error"]) == (400, "invalid_grant")
    assert table_items() == before


def test_only_clients_with_the_grant_type_ask_or_poll(http, client, table_items):
    registered, secret = client  # a code-flow client: no device_code grant
    before = table_items()
    data = {"scope": "openid"}
    asked = post(http, "device_authorization", data, basic(registered.client_id, secret))
    assert (asked.status_code, body(asked)["error"]) == (400, "unauthorized_client")
    polled = post(http, "token", {"grant_type": GRANT, "device_code": "a.b"}, basic(registered.client_id, secret))
    assert (polled.status_code, body(polled)["error"]) == (400, "unauthorized_client")
    assert table_items() == before


@pytest.mark.parametrize(
    ("data", "status", "error"),
    [
        ({"scope": "openid"}, 401, "invalid_client"),  # a confidential client without its secret
        ({"scope": "nothing-known"}, 400, "invalid_scope"),
        ({"scope": "openid", "claims": "{not json"}, 400, "invalid_request"),
    ],
)
def test_refused_device_authorization_requests_write_nothing(
    http, device_client, confidential_device_client, table_items, data, status, error
):
    registered = confidential_device_client[0] if status == 401 else device_client
    before = table_items()
    refused = post(http, "device_authorization", {"client_id": registered.client_id, **data})
    assert (refused.status_code, body(refused)["error"]) == (status, error)
    assert table_items() == before


def test_a_confidential_client_authenticates_to_ask_and_to_poll(http, confidential_device_client):
    registered, secret = confidential_device_client
    asked = post(http, "device_authorization", {"scope": "openid"}, basic(registered.client_id, secret))
    assert asked.status_code == 200
    polled = poll(http, registered.client_id, body(asked)["device_code"], basic(registered.client_id, secret))
    assert body(polled)["error"] == "authorization_pending"
    bare = poll(http, registered.client_id, body(asked)["device_code"])
    assert (bare.status_code, body(bare)["error"]) == (401, "invalid_client")


def test_device_authorization_requests_are_limited_per_source(http, tenant, device_client, table_items):

    tenant_admin.update_settings(tenant.id, {"device_requests_per_source": 2})
    ask(http, device_client.client_id)
    ask(http, device_client.client_id)
    before = table_items()
    limited = post(http, "device_authorization", {"client_id": device_client.client_id, "scope": "openid"})
    assert limited.status_code == 429 and body(limited)["error"] == "temporarily_unavailable"
    assert int(limited.headers["Retry-After"]) > 0
    assert table_items() == before


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "abc",
        "BCDF-GHJ",
        "BCDF-GHJKL",
        "AEIO-UBCD",
        "BCDF-GHJ1",
        "BCDF_GHJK",
        "BCDF-GHJ\u00e9",
        "B" * 65,
        "<script>",
    ],
)
def test_what_cannot_be_a_user_code_is_refused_without_counting_or_reading(
    http, browser, device_client, clock, table_items, typed
):
    ask(http, device_client.client_id)
    before = table_items(limits=True)
    refused = enter(browser, typed)
    assert refused.status_code == 400 and "not valid" in shown_error(refused)
    assert table_items(limits=True) == before


@pytest.mark.parametrize(
    "spelling", [str.lower, lambda code: code.replace("-", ""), lambda code: f" {code[:4]} {code[5:]} "]
)
def test_a_user_code_is_read_whatever_its_case_dashes_and_spaces(http, browser, device_client, clock, spelling):
    codes = ask(http, device_client.client_id)
    entered = enter(browser, spelling(codes["user_code"]))
    assert entered.status_code == 302 and "/acme/authorize?" in entered.headers["Location"]


def test_a_wrong_code_says_the_same_as_an_expired_one_and_is_counted(http, browser, device_client, clock, table_items):
    codes = ask(http, device_client.client_id)
    wrong = "BBBB-BBBB" if codes["user_code"] != "BBBB-BBBB" else "CCCC-CCCC"
    before = table_items()
    refused = enter(browser, wrong)
    assert refused.status_code == 400 and shown_error(refused).endswith("Check it on your device and try again.")
    assert table_items() == before  # only the limits' counters changed
    assert [i for i in table_items(limits=True) if i["sk"]["S"].startswith("limit#usercode-")]


@pytest.mark.parametrize("setting", ["user_code_attempts_per_source", "user_code_attempts_per_tenant"])
def test_user_code_guessing_is_limited_even_for_the_right_code(http, browser, tenant, device_client, clock, setting):

    tenant_admin.update_settings(tenant.id, {setting: 2})
    codes = ask(http, device_client.client_id)
    for _ in range(2):
        assert enter(browser, "BBBB-BBBB" if codes["user_code"] != "BBBB-BBBB" else "CCCC-CCCC").status_code == 400
    limited = enter(browser, codes["user_code"])
    assert limited.status_code == 429 and "Try again in" in shown_error(limited)
    clock[0] += 3600  # the next window (the code itself expired meanwhile: a new one)
    assert enter(browser, ask(http, device_client.client_id)["user_code"]).status_code == 302


def test_a_flood_of_wrong_codes_locks_out_its_sources_not_a_person_with_the_right_code(
    http, tenant, device_client, clock, monkeypatch
):
    """The tenant's wrong codes spent by many sources: each of them is refused for the hour
    (a fresh one gets one guess), while a source that entered no wrong code still has its
    right code looked up."""
    from chalice import local

    tenant_admin.update_settings(tenant.id, {"user_code_attempts_per_tenant": 3})
    codes = ask(http, device_client.client_id)
    wrong = "BBBB-BBBB" if codes["user_code"] != "BBBB-BBBB" else "CCCC-CCCC"

    def from_source(address: str, code: str):
        monkeypatch.setattr(local.LambdaEventConverter, "LOCAL_SOURCE_IP", address)
        return enter(Browser(http), code)

    for n in range(3):  # the botnet spends the tenant's budget of wrong codes
        assert from_source(f"203.0.113.{n}", wrong).status_code == 400
    assert from_source("203.0.113.0", wrong).status_code == 429  # a source that guessed wrong
    assert from_source("203.0.113.0", codes["user_code"]).status_code == 429  # even with a right code
    assert from_source("203.0.113.9", wrong).status_code == 400  # a fresh one: one guess...
    assert from_source("203.0.113.9", wrong).status_code == 429  # ...then refused
    assert from_source("198.51.100.7", codes["user_code"]).status_code == 302  # the person
    clock[0] += 3600
    assert from_source("203.0.113.0", wrong).status_code == 400  # the next hour


def test_the_link_fills_in_the_code_and_approves_nothing(http, browser, device_client, user, clock):
    codes = ask(http, device_client.client_id)
    page = browser.get(codes["verification_uri_complete"])
    assert page.status_code == 200 and f'value="{codes["user_code"]}"'.encode() in page.body
    assert body(poll(http, device_client.client_id, codes["device_code"]))["error"] == "authorization_pending"


def test_the_code_form_needs_this_browsers_csrf_token(http, browser, device_client, table_items):
    codes = ask(http, device_client.client_id)
    before = table_items(limits=True)
    forged = browser.post(f"{BASE}/acme/device", {"user_code": codes["user_code"]})
    assert forged.status_code == 403
    assert table_items(limits=True) == before


def consent_page(browser, user_code: str):
    response = log_in(browser, browser.follow(enter(browser, user_code)))
    assert response.status_code == 200 and b"Approve" in response.body, shown_error(response)
    return response


def test_a_decision_needs_the_browser_that_entered_the_code(http, device_client, user, clock, table_items):
    from chalicelib.web import csrf

    first, second = Browser(http), Browser(http)
    page = consent_page(first, ask(http, device_client.client_id)["user_code"])
    consent_page(second, ask(http, device_client.client_id)["user_code"])
    before = table_items()
    # The second browser posts the first one's form (its ticket), with its own CSRF token.
    form = only_form(page.body.decode())
    values = {**form.submission("approve"), csrf.FIELD: csrf.token_for("acme", second.cookies[csrf.COOKIE])}
    stolen = second.post(form.action, values)
    assert stolen.status_code == 400 and "expired" in shown_error(stolen)
    assert table_items() == before


def test_two_polls_racing_for_an_approval_get_tokens_once(http, browser, device_client, user, clock, table_items):
    from chalicelib.oidc.device_codes import device_code_key
    from chalicelib.store import device as device_store
    from tests.unit.races import intruding

    codes = ask(http, device_client.client_id)
    approve(browser, codes["user_code"])
    key = device_code_key(codes["device_code"])
    with intruding(lambda: device_store.redeem("acme", key, clock[0], (user.sub, user.epoch), None), skip=1) as done:
        lost = poll(http, device_client.client_id, codes["device_code"])
    assert done == [True]
    assert (lost.status_code, body(lost)["error"]) == (400, "invalid_grant")
    assert not [i for i in table_items() if i["sk"]["S"].startswith("grant#")]  # the loser stored no refresh token


def test_a_user_disabled_after_approving_gets_the_device_nothing(
    http, browser, device_client, user, clock, table_items
):
    codes = ask(http, device_client.client_id)
    approve(browser, codes["user_code"])
    user_admin.update_user("acme", "alice", active=False)
    refused = poll(http, device_client.client_id, codes["device_code"])
    assert (refused.status_code, body(refused)["error"]) == (400, "invalid_grant")
    assert not [i for i in table_items() if i["sk"]["S"].startswith("grant#")]


@pytest.mark.parametrize("change", ["password", "disable and enable"])
def test_a_reset_between_sign_in_and_approve_ends_the_approval(http, browser, device_client, user, clock, change):
    """The approval page, left open by whoever signed in (a stolen session, a shared computer),
    is worth nothing once the password is reset or the account disabled and enabled again."""
    codes = ask(http, device_client.client_id)
    page = browser.follow(enter(browser, codes["user_code"]))
    page = log_in(browser, page)
    assert b"Approve" in page.body
    if change == "password":
        user_admin.set_password("acme", "alice", "another good password 1")
    else:
        user_admin.update_user("acme", "alice", active=False)
        user_admin.update_user("acme", "alice", active=True)
    refused = browser.submit(page, "approve")
    assert refused.status_code == 400
    clock[0] += 5
    pending = poll(http, device_client.client_id, codes["device_code"])
    assert body(pending)["error"] == "authorization_pending"


def test_a_self_registered_device_client_where_the_tenant_allows_the_grant(http, tenant, table_items):
    from chalicelib.admin import tenants as tenant_admin

    tenant_admin.update_settings(tenant.id, {"client_registration": "open"})
    metadata = {"client_name": "TV", "grant_types": [GRANT], "response_types": [], "token_endpoint_auth_method": "none"}
    headers = {"host": HOST, "content-type": "application/json"}
    refused = http.post("/acme/register", headers=headers, body=json.dumps(metadata))
    assert refused.status_code == 400 and body(refused)["error"] == "invalid_client_metadata"
    grants = ["authorization_code", "implicit", "refresh_token", GRANT]
    tenant_admin.update_settings(tenant.id, {"client_registration": "open", "registration_grant_types": grants})
    registered = http.post("/acme/register", headers=headers, body=json.dumps(metadata))
    assert registered.status_code == 201, registered.body
    assert body(registered)["grant_types"] == [GRANT]
    assert ask(http, body(registered)["client_id"], scope="openid")["interval"] == 5


@pytest.mark.parametrize("grant_types", [["urn:ietf:params:oauth:grant-type:device"], [GRANT.upper()]])
def test_the_admin_services_know_the_grant_type_exactly(tenant, grant_types, table_items):
    from chalicelib.admin import AdminError

    before = table_items()
    with pytest.raises(AdminError, match="grant types must be among"):
        client_admin.create_client(
            tenant.id, name="TV", client_type="public", redirect_uris=[], response_types=[], grant_types=grant_types
        )
    assert table_items() == before


def test_the_cli_creates_a_device_client_and_refuses_a_misspelt_grant(tenant):
    from click.testing import CliRunner

    from chalicelib.admin.cli import cli
    from chalicelib.store import clients

    args = ["clients", "create", "acme", "--name", "TV", "--type", "public", "--grant-type"]
    result = CliRunner().invoke(cli, [*args, GRANT], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert clients.get_client("acme", json.loads(result.output)["client_id"]).grant_types == (GRANT,)
    result = CliRunner().invoke(cli, [*args, "device_code"], catch_exceptions=False)
    assert result.exit_code == 2 and result.output.startswith("error: grant types must be among:")


@pytest.mark.parametrize("decision", ["allow", "", "APPROVE", "approve "])
def test_only_the_pages_two_buttons_decide(http, browser, device_client, user, clock, table_items, decision):
    page = consent_page(browser, ask(http, device_client.client_id)["user_code"])
    before = table_items()
    form = only_form(page.body.decode())
    answered = browser.post(form.action, {**form.submission("approve"), "decision": decision})
    assert answered.status_code == 400
    assert table_items() == before


def test_round_trips_per_poll(http, browser, device_client, user, clock, monkeypatch):
    """A pending or denied poll is one UpdateItem; a refused one (slow_down, expired,
    unknown) adds one read to say why; the approved one adds the redeeming transaction."""
    from tests.unit.test_tenant_templates import Dispatched

    codes = ask(http, device_client.client_id)
    dispatched = Dispatched(monkeypatch)

    def operations() -> list[str]:
        dispatched.operations.clear()
        poll(http, device_client.client_id, codes["device_code"])
        return list(dispatched.operations)

    assert operations() == ["UpdateItem"]  # authorization_pending
    assert operations() == ["UpdateItem", "GetItem"]  # slow_down
    approve(browser, codes["user_code"])
    clock[0] += 5
    assert operations() == ["UpdateItem", "TransactWriteItems"]  # the tokens


def test_a_poll_with_a_dpop_proof_gets_tokens_bound_to_its_key(http, browser, device_client, user, clock):
    """RFC 9449 with RFC 8628: the device proves a key as it polls; its tokens are bound to it,
    and its refresh token (a public client's) refreshes only with a proof of that key."""
    from tests.support import dpop

    codes = ask(http, device_client.client_id)
    approve(browser, codes["user_code"])
    clock[0] += 5
    data = {"grant_type": GRANT, "device_code": codes["device_code"], "client_id": device_client.client_id}
    proof = dpop.proof("POST", ISSUER + "/token", now=clock[0])
    headers = {"host": HOST, "content-type": FORM, "dpop": proof}
    tokens = body(http.post("/acme/token", headers=headers, body=urlencode(data)))
    assert tokens["token_type"] == "DPoP"
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert claims["cnf"] == {"jkt": dpop.thumbprint("ES256")}
    refresh = {
        "grant_type": "refresh_token",
        "refresh_token": tokens["refresh_token"],
        "client_id": device_client.client_id,
    }
    unproven = post(http, "token", refresh)
    assert unproven.status_code == 400 and body(unproven)["error"] == "invalid_grant"


def test_the_approval_page_shows_the_code_entered_and_the_account(http, browser, device_client, user):
    """RFC 8628 §5.4: the person compares the code with the device's before approving, and
    sees which account the device will act for."""
    codes = ask(http, device_client.client_id)
    page = log_in(browser, browser.follow(enter(browser, codes["user_code"].lower().replace("-", " "))))
    text = page.body.decode()
    assert f'<strong class="user-code">{codes["user_code"]}</strong>' in text
    assert "Signed in as <strong>alice</strong>" in text

"""Pushed authorization requests (RFC 9126) over HTTP: the client pushes its request,
authenticated as at the token endpoint, and the browser brings only client_id and the
request_uri; the pushed parameters, and only those, make the authorization. A request_uri
works once, for pushed_request_expire seconds, for its own client; a refused push or use
writes nothing; a tenant or a client may require every request to be pushed."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from chalicelib.admin import clients as client_admin
from chalicelib.admin import tenants as tenant_admin
from tests.support.browser import BASE, HOST
from tests.support.client_keys import ASSERTION_TYPE, assertion, public_jwk
from tests.unit.conftest import REDIRECT_URI
from tests.unit.flows import ISSUER, basic, body, callback_params, log_in, redeem

URN = "urn:ietf:params:oauth:request_uri:"
REQUEST = {"response_type": "code", "redirect_uri": REDIRECT_URI, "scope": "openid email", "state": "pushed-state"}


def push(http, form: dict[str, str], authorization: str | None = None):
    headers = {"host": HOST, "content-type": "application/x-www-form-urlencoded"}
    if authorization:
        headers["authorization"] = authorization
    return http.post("/acme/par", headers=headers, body=urlencode(form))


def pushed(http, client, **params: str) -> str:
    registered, secret = client
    response = push(http, {**REQUEST, **params}, basic(registered.client_id, secret))
    assert response.status_code == 201, response.body
    answer = body(response)
    assert answer["expires_in"] == 60 and answer["request_uri"].startswith(URN)
    assert response.headers["Cache-Control"] == "no-store"
    return answer["request_uri"]


def authorize(browser, client_id: str, request_uri: str, **extra: str):
    return browser.get(f"{BASE}/acme/authorize", {"client_id": client_id, "request_uri": request_uri, **extra})


def sign_in(browser, response):
    page = log_in(browser, browser.follow(response))
    return browser.submit(page, "allow") if b"Allow" in page.body else page


def test_a_pushed_request_makes_the_authorization(http, browser, client, user, table_items):
    before = table_items()
    request_uri = pushed(http, client)
    added = [item for item in table_items() if item not in before]
    assert [item["sk"]["S"][:4] for item in added] == ["par#"]  # (the limits' counts live in their own table)
    assert request_uri[len(URN) :] not in json.dumps(added)  # kept only as a digest
    # What the browser adds is ignored: the pushed state and scope are the request's.
    response = authorize(browser, client[0].client_id, request_uri, state="forged", scope="openid")
    callback = callback_params(sign_in(browser, response))
    assert callback["state"] == "pushed-state" and callback["iss"] == ISSUER
    tokens = body(redeem(http, client, callback["code"]))
    assert tokens["scope"] == "openid email"
    assert not [item for item in table_items() if item["sk"]["S"].startswith("par#")]  # consumed


def test_a_request_uri_works_once(http, browser, client, user, table_items):
    request_uri = pushed(http, client)
    assert authorize(browser, client[0].client_id, request_uri).status_code == 302
    before = table_items()
    again = authorize(browser, client[0].client_id, request_uri)
    assert again.status_code == 400 and b"invalid_request_uri" in again.body and "Location" not in again.headers
    assert table_items() == before


def test_a_request_uri_expires(http, browser, client, clock, table_items):
    request_uri = pushed(http, client)
    clock[0] += 60
    before = table_items()
    assert authorize(browser, client[0].client_id, request_uri).status_code == 400
    assert table_items() == before


def test_another_clients_request_uri_is_refused_and_left_to_its_owner(http, browser, client, tenant, user):
    other, _ = client_admin.create_client(
        tenant.id, name="Other", client_type="confidential", redirect_uris=[REDIRECT_URI]
    )
    request_uri = pushed(http, client)
    for client_id, uri in ((other.client_id, request_uri), (None, request_uri), (client[0].client_id, URN + "x" * 65)):
        refused = (
            authorize(browser, client_id, uri)
            if client_id
            else browser.get(f"{BASE}/acme/authorize", {"request_uri": uri})
        )
        assert refused.status_code == 400 and "Location" not in refused.headers
    assert authorize(browser, client[0].client_id, request_uri).status_code == 302


@pytest.mark.parametrize(
    ("params", "status", "error"),
    [
        ({"redirect_uri": "https://attacker.example/cb"}, 400, "invalid_request"),
        ({"response_type": "token device"}, 400, "unsupported_response_type"),
        ({"scope": "payments"}, 400, "invalid_scope"),
        ({"request_uri": URN + "abc"}, 400, "invalid_request"),
        ({"prompt": "none login"}, 400, "invalid_request"),
        ({"client_id": "someone-else"}, 400, "invalid_request"),
    ],
)
def test_a_bad_push_is_a_json_error_and_writes_nothing(http, client, table_items, params, status, error):
    before = table_items()
    response = push(http, {**REQUEST, **params}, basic(client[0].client_id, client[1]))
    assert response.status_code == status and body(response)["error"] == error, response.body
    assert response.headers["Content-Type"] == "application/json"
    assert table_items() == before


def test_a_push_is_authenticated_as_at_the_token_endpoint(http, client, tenant, table_items):
    before = table_items()
    assert push(http, REQUEST).status_code == 401
    assert push(http, REQUEST, basic(client[0].client_id, "wrong" * 9)).status_code == 401
    assert push(http, {**REQUEST, "client_id": client[0].client_id}).status_code == 401
    assert table_items() == before
    signer, _ = client_admin.create_client(
        tenant.id,
        name="Signer",
        client_type="confidential",
        redirect_uris=[REDIRECT_URI],
        token_endpoint_auth_method="private_key_jwt",
        jwks={"keys": [public_jwk("RSA", "rsa")]},
    )
    for audience in (ISSUER,):
        form = {
            **REQUEST,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion(signer.client_id, audience),
        }
        response = push(http, form)
        assert response.status_code == 201, response.body


def test_a_public_client_pushes_with_pkce(http, browser, public_client, user):
    form = {
        **REQUEST,
        "client_id": public_client.client_id,
        "redirect_uri": "http://127.0.0.1:5000/callback",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
    }
    response = push(http, form)
    assert response.status_code == 201, response.body
    without_pkce = push(http, {name: value for name, value in form.items() if not name.startswith("code_")})
    assert without_pkce.status_code == 400 and body(without_pkce)["error"] == "invalid_request"
    page = authorize(browser, public_client.client_id, body(response)["request_uri"])
    assert page.status_code == 302


@pytest.mark.parametrize("where", ["tenant", "client"])
def test_pushing_may_be_required(http, browser, client, tenant, user, where):
    if where == "tenant":
        tenant_admin.update_settings(tenant.id, {"require_pushed_authorization_requests": True})
    else:
        client_admin.update_client(tenant.id, client[0].client_id, require_pushed_authorization_requests=True)
    query = {"client_id": client[0].client_id, **REQUEST}
    refused = callback_params(browser.get(f"{BASE}/acme/authorize", query))
    assert refused["error"] == "invalid_request" and "push" in refused["error_description"]
    assert refused["state"] == "pushed-state"
    assert authorize(browser, client[0].client_id, pushed(http, client)).status_code == 302
    document = json.loads(http.get("/acme/.well-known/openid-configuration", headers={"host": HOST}).body)
    assert document["pushed_authorization_request_endpoint"] == f"{ISSUER}/par"
    assert document["require_pushed_authorization_requests"] is (where == "tenant")


def test_a_spent_request_uri_is_explained_in_the_browsers_language(http, client):
    from tests.support.browser import Browser

    german = Browser(http, headers={"accept-language": "de-CH, en;q=0.5"})
    page = authorize(german, client[0].client_id, URN + "never-pushed")
    assert page.status_code == 400 and "schon verwendet oder abgelaufen" in page.body.decode()


def test_pushes_are_counted_per_source_and_client_and_hold_only_request_parameters(http, tenant, client, table_items):
    """Anyone may push in a public client's name: each push is counted before it is stored,
    and it keeps only what an authorization request says (RFC 6749 §3.1: the rest ignored)."""
    tenant_admin.update_settings(tenant.id, {"pushes_per_source": 2})
    pushed(http, client, junk="x" * 4000, request_uri_note="ignored")
    stored = [item for item in table_items() if item["sk"]["S"].startswith("par#")]
    assert "junk" not in json.dumps(stored) and "ignored" not in json.dumps(stored)
    pushed(http, client)
    before = table_items()
    refused = push(http, REQUEST, basic(client[0].client_id, client[1]))
    assert refused.status_code == 429 and body(refused)["error"] == "temporarily_unavailable"
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert table_items() == before


def test_a_push_larger_than_a_request_needs_is_refused(http, client, table_items):
    before = table_items()
    big = {name: "a" * 4000 for name in ("state", "nonce", "login_hint", "acr_values", "claims_locales")}
    refused = push(http, {**REQUEST, **big}, basic(client[0].client_id, client[1]))
    assert refused.status_code == 400 and body(refused)["error"] == "invalid_request"
    assert table_items() == before


@pytest.mark.parametrize("page", ["console/", "account"])
def test_a_tenant_that_requires_pushes_still_lets_its_own_pages_sign_in(browser, tenant, user, page, monkeypatch):
    """The console and the account page sign in through the tenant's own flow with built-in
    clients, which do not push: requiring every client to push must not lock admins out."""
    import dataclasses

    from chalicelib.settings import settings
    from chalicelib.web import routes

    # Their redirect URIs are the provider's own, which must be https outside this machine.
    monkeypatch.setattr(routes, "settings", dataclasses.replace(settings, public_base_url="https://op.example.test"))
    tenant_admin.update_settings(tenant.id, {"require_pushed_authorization_requests": True})
    response = browser.follow(browser.get(f"https://op.example.test/acme/{page}"))
    assert response.status_code == 200 and b"Sign in" in response.body

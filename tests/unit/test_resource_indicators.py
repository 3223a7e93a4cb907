"""Resource indicators (RFC 8707) over HTTP: a tenant lists its APIs (``resource_servers``);
``resource`` (repeatable) at the authorization endpoint, in a pushed request and at the token
endpoint for the code, refresh and client_credentials grants makes the access token's ``aud``
the resources named; a token request narrows the grant's resources, never widens them; a
refresh token keeps the grant's; anything else is ``invalid_target`` and writes nothing."""

from __future__ import annotations

from urllib.parse import urlencode

import jwt
import pytest

from chalicelib.admin import clients as client_admin
from chalicelib.admin import tenants as tenant_admin
from chalicelib.tenancy.settings import TenantSettings
from tests.support.browser import BASE, HOST
from tests.unit.conftest import PASSWORD, REDIRECT_URI
from tests.unit.flows import FORM, ISSUER, basic, body, callback_params, log_in, post_token
from tests.unit.test_par import push
from tests.unit.test_token_errors import assert_error

BOOKS = "https://books.example.com/api"
FILMS = "urn:example:films"
OTHER = "https://other.example.com/api"


@pytest.fixture
def apis(tenant):
    tenant_admin.update_settings(tenant.id, {"resource_servers": [BOOKS, FILMS]})


@pytest.fixture
def service(tenant, apis):
    return client_admin.create_client(
        tenant.id,
        name="Service",
        client_type="confidential",
        response_types=[],
        grant_types=["client_credentials"],
        scopes=["profile"],
    )


@pytest.fixture
def introspector(tenant, client, service):
    return client_admin.create_client(
        tenant.id,
        name="API",
        client_type="confidential",
        response_types=[],
        grant_types=["client_credentials"],
        scopes=["token_introspection", client[0].client_id, service[0].client_id],
    )


def code_for(browser, client_id: str, resources: list[str], **extra: str) -> str:
    query = {"client_id": client_id, "redirect_uri": REDIRECT_URI, "response_type": "code", "scope": "openid"}
    pairs = [*query.items(), *extra.items(), *(("resource", resource) for resource in resources)]
    response = browser.follow(browser.get(f"{BASE}/acme/authorize?{urlencode(pairs)}"))
    if b"Sign in" in response.body:
        response = log_in(browser, response)
    if response.status_code == 200 and b"Allow" in response.body:
        response = browser.submit(response, "allow")
    return callback_params(response)["code"]


def token(http, credentials, grant: dict[str, str], resources: list[str] = ()):
    registered, secret = credentials
    pairs = [*grant.items(), *(("resource", resource) for resource in resources)]
    return post_token(http, pairs, basic(registered.client_id, secret))


def redeem(http, client, code: str, resources: list[str] = ()):
    grant = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    return token(http, client, grant, resources)


def aud(tokens: dict) -> str | list[str]:
    return jwt.decode(tokens["access_token"], options={"verify_signature": False})["aud"]


def introspect(http, access_token: str, credentials) -> dict:
    registered, secret = credentials
    headers = {"host": HOST, "content-type": FORM, "authorization": basic(registered.client_id, secret)}
    return body(http.post("/acme/introspect", headers=headers, body=urlencode({"token": access_token})))


def userinfo(http, access_token: str):
    return http.get("/acme/userinfo", headers={"host": HOST, "authorization": f"Bearer {access_token}"})


def test_without_a_resource_the_token_is_for_the_issuer_as_before(http, browser, client, user, apis):
    tokens = body(redeem(http, client, code_for(browser, client[0].client_id, [])))
    assert aud(tokens) == ISSUER and userinfo(http, tokens["access_token"]).status_code == 200


def test_the_authorizations_resources_are_the_tokens_audience_narrowed_at_the_token_endpoint(
    http, browser, client, user, apis, introspector, table_items
):
    code = code_for(browser, client[0].client_id, [BOOKS, FILMS])
    before = table_items()
    widened = redeem(http, client, code, [BOOKS, OTHER])
    assert_error(widened, 400, "invalid_target")
    assert table_items() == before  # the code was not consumed

    tokens = body(redeem(http, client, code, [FILMS]))
    assert aud(tokens) == FILMS
    found = introspect(http, tokens["access_token"], introspector)
    assert found["active"] and found["aud"] == FILMS
    # A token for an API is not one for the provider's UserInfo (RFC 8707: audience-restricted).
    assert userinfo(http, tokens["access_token"]).status_code == 401

    # The refresh token keeps the grant's resources, whatever the code's token was narrowed to.
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    everything = body(token(http, client, refresh))
    assert aud(everything) == [BOOKS, FILMS]
    refresh["refresh_token"] = everything["refresh_token"]
    books = body(token(http, client, refresh, [BOOKS]))
    assert aud(books) == BOOKS
    refresh["refresh_token"] = books["refresh_token"]
    before = table_items()
    for resources in ([OTHER], [BOOKS, ISSUER], ["not a uri"]):
        refused = token(http, client, refresh, resources)
        assert_error(refused, 400, "invalid_target" if resources != ["not a uri"] else "invalid_request")
    assert table_items() == before  # the refresh token was not rotated
    assert aud(body(token(http, client, refresh, [FILMS]))) == FILMS


def test_an_api_the_tenant_no_longer_lists_gets_no_new_token_from_an_earlier_grant(http, browser, client, user, apis):
    code = code_for(browser, client[0].client_id, [BOOKS, FILMS])
    tokens = body(redeem(http, client, code))
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    tenant_admin.update_settings("acme", {"resource_servers": [BOOKS]})  # films retired
    narrowed = body(token(http, client, refresh))
    assert aud(narrowed) == BOOKS
    refresh["refresh_token"] = narrowed["refresh_token"]
    tenant_admin.update_settings("acme", {"resource_servers": []})
    assert_error(token(http, client, refresh), 400, "invalid_target")
    tenant_admin.update_settings("acme", {"resource_servers": [BOOKS]})
    assert aud(body(token(http, client, refresh))) == BOOKS  # the refused refresh did not spend the token


def test_the_issuer_is_a_resource_too(http, browser, client, user, apis):
    tokens = body(redeem(http, client, code_for(browser, client[0].client_id, [BOOKS, ISSUER])))
    assert aud(tokens) == [BOOKS, ISSUER] and userinfo(http, tokens["access_token"]).status_code == 200
    # A grant that named no resource stands for the issuer: a refresh may name it, nothing else.
    plain = body(redeem(http, client, code_for(browser, client[0].client_id, [])))
    refresh = {"grant_type": "refresh_token", "refresh_token": plain["refresh_token"]}
    assert_error(token(http, client, refresh, [BOOKS]), 400, "invalid_target")
    assert aud(body(token(http, client, refresh, [ISSUER]))) == ISSUER


@pytest.mark.parametrize(
    ("resources", "error"),
    [
        ([OTHER], "invalid_target"),  # not one of the tenant's APIs
        (["/api"], "invalid_target"),  # not absolute
        ([BOOKS + "#section"], "invalid_target"),  # a fragment
        (["https://books.example.com/a b"], "invalid_request"),  # whitespace (read as two otherwise)
        ([BOOKS] * 11, "invalid_request"),  # more than ten
    ],
)
def test_an_unknown_or_malformed_resource_is_refused_and_nothing_is_written(
    http, browser, client, user, apis, service, resources, error, table_items
):
    before = table_items()
    assert_error(token(http, service, {"grant_type": "client_credentials"}, resources), 400, error)
    query = {"client_id": client[0].client_id, "redirect_uri": REDIRECT_URI, "response_type": "code", "state": "s"}
    pairs = [*query.items(), ("scope", "openid"), *(("resource", resource) for resource in resources)]
    response = browser.get(f"{BASE}/acme/authorize?{urlencode(pairs)}")
    if error == "invalid_target":  # the client is trusted by then: the error goes back to it
        assert callback_params(response) == {"error": "invalid_target", "state": "s", "iss": ISSUER} | {
            key: value for key, value in callback_params(response).items() if key == "error_description"
        }
    else:  # read before the client is known: shown at the provider
        assert response.status_code == 400 and "Location" not in response.headers
    assert table_items() == before


def test_client_credentials_gets_a_token_for_the_api_it_names(http, service, introspector):
    tokens = body(token(http, service, {"grant_type": "client_credentials"}, [BOOKS, FILMS]))
    assert aud(tokens) == [BOOKS, FILMS]
    assert introspect(http, tokens["access_token"], introspector)["aud"] == [BOOKS, FILMS]
    assert aud(body(token(http, service, {"grant_type": "client_credentials"}))) == ISSUER


def test_a_pushed_request_carries_its_resources(http, browser, client, user, apis, table_items):
    registered, secret = client
    form = [("response_type", "code"), ("redirect_uri", REDIRECT_URI), ("scope", "openid")]
    form += [("resource", BOOKS), ("resource", FILMS)]
    headers = {"host": HOST, "content-type": FORM, "authorization": basic(registered.client_id, secret)}
    pushed = http.post("/acme/par", headers=headers, body=urlencode(form))
    assert pushed.status_code == 201, pushed.body
    query = {"client_id": registered.client_id, "request_uri": body(pushed)["request_uri"]}
    page = log_in(browser, browser.follow(browser.get(f"{BASE}/acme/authorize", query)))
    response = browser.submit(page, "allow") if b"Allow" in page.body else page
    tokens = body(redeem(http, client, callback_params(response)["code"]))
    assert aud(tokens) == [BOOKS, FILMS]
    before = table_items()
    refused = push(http, {**dict(form[:3]), "resource": OTHER}, basic(registered.client_id, secret))
    assert_error(refused, 400, "invalid_target")
    assert table_items() == before


@pytest.mark.parametrize(
    "value",
    [[BOOKS + "#x"], ["books"], [""], "https://books.example.com", [1], ["https://a.example/" + "x" * 600]],
)
def test_a_tenant_lists_absolute_uris_only(tenant, value):
    with pytest.raises(ValueError):
        tenant_admin.update_settings(tenant.id, {"resource_servers": value})


def test_the_setting_is_kept_once_each(tenant):
    tenant_admin.update_settings(tenant.id, {"resource_servers": [BOOKS, FILMS, BOOKS]})
    stored = tenant_admin.get_tenant(tenant.id).settings
    assert TenantSettings.from_stored(stored).resource_servers == (BOOKS, FILMS)


def test_the_password_grant_checks_the_resource_before_the_password(http, tenant, user, apis, table_items):
    """A refused resource is answered before the attempt is counted by the abuse limits."""
    tenant_admin.update_settings(tenant.id, {"grant_type_password_enable": True})
    legacy = client_admin.create_client(
        tenant.id,
        name="Legacy",
        client_type="confidential",
        redirect_uris=[REDIRECT_URI],
        grant_types=["authorization_code", "password"],
    )
    grant = {"grant_type": "password", "username": "alice", "password": "wrong", "scope": "openid"}
    before = table_items(limits=True)
    assert_error(token(http, legacy, grant, [OTHER]), 400, "invalid_target")
    assert table_items(limits=True) == before
    grant["password"] = PASSWORD
    assert aud(body(token(http, legacy, grant, [BOOKS]))) == BOOKS

"""What a newcomer meets at the provider's addresses: ``<base>/`` and ``<base>/<tenant>`` say
what they are, and any other address is a plain 404 (JSON, or a page for a browser) that
says nothing about the request, as the deployment's gateway response says (infra/resources.json)."""

from __future__ import annotations

import json
import re
import uuid
from html import unescape
from html.parser import HTMLParser

import pytest
import requests

from infra.devserver import gateway_not_found
from tests.integration.conftest import tenant_admin

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
NOT_FOUND_JSON = {"error": "not_found", "error_description": "no such path"}


@pytest.fixture(scope="module")
def acme(provider):
    return tenant_admin.create_tenant(f"first-{uuid.uuid4().hex[:8]}", "Acme Corporation")


class Links(HTMLParser):
    """The page's links and the text of its elements that carry an id."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.links: dict[str, str] = {}
        self.text: dict[str, str] = {}
        self._open: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        self._open = attributes.get("id")
        if tag == "a" and self._open:
            self.links[self._open] = attributes["href"]

    def handle_data(self, data: str) -> None:
        if self._open:
            self.text[self._open] = self.text.get(self._open, "") + data

    def handle_endtag(self, tag: str) -> None:
        self._open = None


def visible_text(html: str) -> str:
    return unescape(" ".join(re.sub(r"<style.*?</style>|<[^>]+>", " ", html, flags=re.S).split()))


def test_the_root_says_what_the_service_is(provider):
    page = requests.get(f"{provider}/", headers={"Accept": BROWSER}, timeout=30)
    assert page.status_code == 200 and page.headers["Content-Type"] == "text/html; charset=utf-8"
    text = visible_text(page.text)
    assert "OpenID Provider" in text
    assert f"{provider}/<tenant>/.well-known/openid-configuration" in text
    assert page.headers["X-Frame-Options"] == "DENY" and "default-src 'none'" in page.headers["Content-Security-Policy"]


def test_a_tenants_page_names_it_its_issuer_discovery_and_console(provider, acme):
    page = requests.get(f"{provider}/{acme.id}", headers={"Accept": BROWSER}, timeout=30)
    assert page.status_code == 200
    issuer = f"{provider}/{acme.id}"
    found = Links(page.text)
    assert "Acme Corporation" in visible_text(page.text)
    assert found.text["issuer"] == issuer
    assert found.links["discovery"] == f"{issuer}/.well-known/openid-configuration"
    assert found.links["console"] == f"{issuer}/console"
    discovery = requests.get(found.links["discovery"], timeout=30).json()  # the link works
    assert discovery["issuer"] == issuer


def test_an_unknown_tenant_is_a_404_page(provider):
    page = requests.get(f"{provider}/no-such-tenant", headers={"Accept": BROWSER}, timeout=30)
    assert page.status_code == 404 and "no such tenant" in visible_text(page.text)


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/nowhere"),
        ("GET", "/{tenant}/nowhere"),
        ("GET", "/{tenant}/.well-known/openid-configuration/extra"),
        ("POST", "/a/b/c/d/e"),
        ("GET", "/{tenant}/token"),  # a route without this method
        ("DELETE", "/{tenant}/.well-known/openid-configuration"),
        ("OPTIONS", "/{tenant}/login"),  # no CORS there: API Gateway has no OPTIONS method
        ("GET", "/admin"),
    ],
)
@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer secret-token-value",
        "Basic c2VjcmV0OnZhbHVl",
        "Bearer caf\u00e9-non-ascii",  # Chalice's own answer dropped the connection here
    ],
)
def test_unknown_paths_are_a_json_404_that_echoes_nothing(provider, acme, method, path, authorization):
    headers = {"Accept": "application/json"}
    if authorization:
        headers["Authorization"] = authorization.encode().decode("latin-1")
    answer = requests.request(method, provider + path.format(tenant=acme.id), headers=headers, timeout=30)
    assert answer.status_code == 404, answer.text
    assert answer.headers["Content-Type"] == "application/json"
    # One segment reaches the tenant page (<base>/<tenant>), which knows no such tenant.
    one_segment = path.count("/") == 1
    assert answer.json() == (
        {"error": "not_found", "error_description": "no such tenant"} if one_segment else NOT_FOUND_JSON
    )
    assert "secret" not in answer.text and "Authorization" not in answer.text
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_a_cors_routes_preflight_is_still_answered(provider, acme):
    preflight = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}
    answer = requests.options(f"{provider}/{acme.id}/token", headers=preflight, timeout=30)
    assert answer.status_code == 200 and "POST" in answer.headers["Access-Control-Allow-Methods"]


@pytest.mark.parametrize("accept", [BROWSER, "text/html"])
def test_a_browser_gets_a_404_page(provider, accept):
    answer = requests.get(f"{provider}/nowhere/at/all", headers={"Accept": accept}, timeout=30)
    assert answer.status_code == 404 and answer.headers["Content-Type"] == "text/html"
    assert "Not found" in answer.text
    # A static page: nothing runs, nothing frames it, it leaks no referrer.
    assert answer.headers["Content-Security-Policy"] == "sandbox" and answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert "Strict-Transport-Security" not in answer.headers  # http here: RFC 6797 §7.2


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "application/xml"])
def test_other_clients_get_json(provider, accept):
    headers = {"Accept": accept} if accept else {}
    answer = requests.get(f"{provider}/nowhere/else", headers=headers, timeout=30)
    assert answer.status_code == 404 and answer.json() == NOT_FOUND_JSON


def test_the_deployments_gateway_response_is_what_the_dev_server_serves():
    """The same template: a 404 for API Gateway's MISSING_AUTHENTICATION_TOKEN (an unknown
    path or method, with or without an Authorization header), fixed bodies, HSTS."""
    from chalicelib.web.responses import HSTS

    response = gateway_not_found()
    assert response["StatusCode"] == "404"
    assert json.loads(response["ResponseTemplates"]["application/json"]) == NOT_FOUND_JSON
    assert "$" not in "".join(response["ResponseTemplates"].values())  # no variable: nothing of the request
    assert response["ResponseParameters"]["Headers"]["Strict-Transport-Security"] == f"'{HSTS}'"

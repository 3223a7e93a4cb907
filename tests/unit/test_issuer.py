"""The issuer never follows what a client sends (issue 7, item 12): it is the operator's
PUBLIC_BASE_URL, else the host name and stage API Gateway received the request on, else the
request is refused. Hostile Host and X-Forwarded-* headers change nothing, and the issuer is
the same in discovery, redirects, pages, cookies and tokens."""

from __future__ import annotations

import dataclasses
import json
from urllib.parse import urlencode

import jwt
import pytest

from chalicelib.settings import Settings, settings
from chalicelib.tenancy.issuer import NoPublicBase, base_url
from chalicelib.web import routes
from tests.support.api_gateway import EXECUTE_API, api_gateway
from tests.support.browser import HOST, Browser
from tests.unit.conftest import REDIRECT_URI
from tests.unit.flows import FORM, basic, callback_params, log_in

# What an attacker (or a misconfigured proxy in front of a shared cache) may send.
HOSTILE = {
    "host": "evil.example",
    "x-forwarded-host": "evil.example",
    "x-forwarded-proto": "http",
    "x-forwarded-port": "8080",
    "x-forwarded-prefix": "/evil",
    "forwarded": "host=evil.example;proto=http",
}
HOSTILE_HOSTS = ["evil.example", "evil.example/path", "a b", "", "op.example.test:8443", "[::1]", "\u212aelvin.example"]


@pytest.fixture
def deployed(monkeypatch):
    """The deployment without PUBLIC_BASE_URL, as on API Gateway's own host name."""
    monkeypatch.setattr(routes, "settings", dataclasses.replace(settings, public_base_url=None))


@pytest.mark.parametrize(
    ("public", "context", "expected"),
    [
        ("https://id.example.com/oidc", {"domainName": EXECUTE_API, "stage": "api"}, "https://id.example.com/oidc"),
        (None, {"domainName": EXECUTE_API, "stage": "api"}, f"https://{EXECUTE_API}/api"),
        (None, {"domainName": EXECUTE_API.upper(), "stage": "v2_beta-1"}, f"https://{EXECUTE_API}/v2_beta-1"),
        (
            None,
            {"domainName": "a1b2c3d4e5.execute-api.cn-north-1.amazonaws.com.cn", "stage": "prod"},
            "https://a1b2c3d4e5.execute-api.cn-north-1.amazonaws.com.cn/prod",
        ),
        # A custom domain's mapping hides the stage, which API Gateway still reports.
        (None, {"domainName": "id.example.com", "stage": "api"}, "https://id.example.com"),
        (None, {"domainName": "id.example.com"}, "https://id.example.com"),
        (None, {"domainName": "execute-api.example.com", "stage": "api"}, "https://execute-api.example.com"),
        (None, {"domainName": f"{EXECUTE_API}.evil.example", "stage": "api"}, f"https://{EXECUTE_API}.evil.example"),
    ],
)
def test_the_base_is_configured_or_api_gateways_domain_and_stage(public, context, expected):
    assert base_url(public, context) == expected


@pytest.mark.parametrize(
    "context",
    [
        {},  # neither chalice local nor Chalice's test client sends a domainName
        {"stage": "api"},
        {"domainName": None},
        {"domainName": 5},
        {"domainName": ["id.example.com"]},
        {"domainName": ""},
        {"domainName": "evil.example/path"},
        {"domainName": "evil.example:443"},
        {"domainName": "user@evil.example"},
        {"domainName": "evil.example?x=1"},
        {"domainName": "a b.example"},
        {"domainName": "evil.example\r\nX-Injected: 1"},
        {"domainName": "evil.example."},
        {"domainName": "-evil.example"},
        {"domainName": "evil-.example"},
        {"domainName": "ev_il.example"},
        {"domainName": "b\u00fccher.example"},
        {"domainName": "\u212aelvin.example"},  # lower-cases to an ASCII "k"
        {"domainName": "x" * 64 + ".example"},
        {"domainName": "a." * 126 + "com"},  # 255 characters
        {"domainName": "127.0.0.1"},
        {"domainName": "[::1]"},
        {"domainName": EXECUTE_API},  # API Gateway's own host name needs its stage
        {"domainName": EXECUTE_API, "stage": ""},
        {"domainName": EXECUTE_API, "stage": "api/evil"},
        {"domainName": EXECUTE_API, "stage": ".."},
        {"domainName": EXECUTE_API, "stage": "a" * 129},
        {"domainName": EXECUTE_API, "stage": 5},
    ],
)
def test_a_missing_or_malformed_request_context_is_refused_not_pasted(context):
    with pytest.raises(NoPublicBase):
        base_url(None, context)


@pytest.mark.parametrize("host", HOSTILE_HOSTS)
def test_hostile_host_headers_change_nothing(http, tenant, host):
    expected = http.get("/acme/.well-known/openid-configuration", headers={"host": HOST})
    hostile = {**HOSTILE, "host": host, "x-forwarded-proto": "https", "forwarded": "proto=https"}
    response = http.get("/acme/.well-known/openid-configuration", headers=hostile)
    assert response.status_code == 200
    assert json.loads(response.body) == json.loads(expected.body)
    assert json.loads(response.body)["issuer"] == "http://op.example.test/acme"
    assert b"evil" not in response.body and "Strict-Transport-Security" not in response.headers


def test_on_api_gateway_the_issuer_is_its_host_name_and_stage_everywhere(deployed, tenant, client, user):
    """A whole sign-in through API Gateway's own host name, every request carrying hostile
    Host and X-Forwarded-* headers: discovery, every redirect and form, the cookies, the
    authorization response, the tokens and UserInfo all name one issuer, over https."""
    gateway = api_gateway()
    issuer = f"https://{EXECUTE_API}/api/acme"
    metadata = json.loads(gateway.get("/api/acme/.well-known/openid-configuration", headers=HOSTILE).body)
    assert metadata["issuer"] == issuer
    assert all(metadata[name].startswith(issuer + "/") for name in metadata if name.endswith("_endpoint"))

    browser = Browser(gateway, host=EXECUTE_API, headers=HOSTILE)
    query = {"client_id": client[0].client_id, "redirect_uri": REDIRECT_URI, "response_type": "code", "scope": "openid"}
    started = browser.get(f"{issuer}/authorize", {**query, "state": "s1"})
    assert started.status_code == 302 and started.headers["Location"].startswith(f"{issuer}/login?ticket=")
    login_page = browser.follow(started)
    assert f'action="{issuer}/login"' in login_page.body.decode()
    cookies = _cookies(login_page)
    assert cookies and all("Path=/api/acme;" in c and "; Secure" in c for c in cookies)
    consent = log_in(browser, login_page)
    assert f'action="{issuer}/consent"' in consent.body.decode()
    params = callback_params(browser.submit(consent, "allow"))
    assert params["iss"] == issuer and params["state"] == "s1"

    grant = {"grant_type": "authorization_code", "code": params["code"], "redirect_uri": REDIRECT_URI}
    headers = {**HOSTILE, "content-type": FORM, "authorization": basic(client[0].client_id, client[1])}
    tokens = json.loads(gateway.post("/api/acme/token", headers=headers, body=urlencode(grant)).body)
    keys = json.loads(gateway.get("/api/acme/jwks.json", headers=HOSTILE).body)["keys"]
    key = jwt.PyJWK(keys[0]).key
    assert jwt.decode(tokens["id_token"], key, ["RS256"], audience=client[0].client_id)["iss"] == issuer
    assert jwt.decode(tokens["access_token"], key, ["RS256"], audience=issuer)["iss"] == issuer
    bearer = {**HOSTILE, "authorization": f"Bearer {tokens['access_token']}"}
    assert gateway.get("/api/acme/userinfo", headers=bearer).status_code == 200


def test_a_custom_domain_maps_the_stage_away(deployed, tenant):
    gateway = api_gateway("id.example.com", stage="api")
    metadata = json.loads(gateway.get("/acme/.well-known/openid-configuration", headers=HOSTILE).body)
    assert metadata["issuer"] == "https://id.example.com/acme"
    assert metadata["token_endpoint"] == "https://id.example.com/acme/token"


@pytest.mark.parametrize("domain_name", ["evil.example/x", "evil.example:8443", "", None])
def test_a_malformed_domain_name_is_refused(deployed, tenant, domain_name):
    gateway = api_gateway(domain_name, stage="api", stage_in_path=False)
    response = gateway.get("/acme/.well-known/openid-configuration", headers=HOSTILE)
    assert response.status_code == 500 and json.loads(response.body)["error"] == "server_error"
    assert b"evil" not in response.body


def test_without_a_configured_url_or_api_gateway_the_provider_says_what_to_set(deployed, http, tenant, caplog):
    """Only a local server started without PUBLIC_BASE_URL gets here: Chalice's local
    gateway, like this test client's, sends no domainName."""
    response = http.get("/acme/.well-known/openid-configuration", headers={"host": HOST})
    assert response.status_code == 500 and json.loads(response.body)["error"] == "server_error"
    assert "set PUBLIC_BASE_URL" in caplog.text
    assert http.get("/health").status_code == 200  # alive all the same


def test_the_dev_server_does_not_start_without_a_base_url(monkeypatch, capsys):
    from infra import devserver

    monkeypatch.delenv("PUBLIC_BASE_URL")
    with pytest.raises(SystemExit):
        devserver.main(["--port", "8123"])
    assert "set PUBLIC_BASE_URL" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://id.example.com", "https://id.example.com"),
        ("https://id.example.com/oidc/", "https://id.example.com/oidc"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("http://[::1]:8000", "http://[::1]:8000"),
        ("", None),
    ],
)
def test_the_configured_base_url(value, expected):
    assert Settings.from_env({"PUBLIC_BASE_URL": value}).public_base_url == expected


@pytest.mark.parametrize(
    "value",
    [
        "id.example.com",
        "ftp://id.example.com",
        "https://user@id.example.com",
        "https://id.example.com/a b",
        "https://id.example.com/?x=1",
        "https://id.example.com/#x",
        "https://id.example.com;frame-ancestors",
        "https://id.example.com:port",
        "https:///oidc",
    ],
)
def test_a_malformed_configured_base_url_stops_the_process(value):
    with pytest.raises(ValueError, match="PUBLIC_BASE_URL"):
        Settings.from_env({"PUBLIC_BASE_URL": value})


def _cookies(response) -> list[str]:
    header = response.headers.get("Set-Cookie") or []
    return header if isinstance(header, list) else [header]

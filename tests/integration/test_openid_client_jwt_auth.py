"""openid-client 6.9.0 authenticates with JWTs at the dev server (RFC 7523, OIDC Core §9):
PrivateKeyJwt with the client's keys registered as jwks (RS256, PS256, ES256, and an
Ed25519 key, which it signs as RFC 9864's "Ed25519") or published at a jwks_uri on this
machine, and ClientSecretJwt with the secret; through the code flow, refresh, introspection
and revocation. A key the provider does not know gets invalid_client. And it pushes its
authorization requests (RFC 9126), authenticated each of these ways."""

from __future__ import annotations

import http.server
import json
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from chalicelib.admin import clients as client_admin
from chalicelib.admin import tenants as tenant_admin
from tests.integration.conftest import LOCAL_HOSTS, REDIRECT_URI, node_sign_in
from tests.support.client_keys import ASSERTION_TYPE, assertion, private_jwk, public_jwk
from tests.support.node_rp import NodeError
from tests.support.user_agent import UserAgent

pytestmark = pytest.mark.parametrize("tenant", ["envelope"], indirect=True)  # the tenant's keys play no part
KINDS = {"RS256": "RSA", "PS256": "RSA", "ES256": "EC", "EdDSA": "OKP"}
SCOPES = ["openid", "profile", "email", "token_introspection"]


def jwt_client(tenant, method: str, **fields):
    return client_admin.create_client(
        tenant.id,
        name=f"Interop {method}",
        client_type="confidential",
        redirect_uris=[REDIRECT_URI],
        token_endpoint_auth_method=method,
        scopes=SCOPES,
        **fields,
    )


def sign_in_and_use_tokens(node, provider, rp, user):
    """The code flow, refresh, introspection and revocation, each authenticated by openid-client."""
    result, _ = node_sign_in(node, UserAgent(provider), rp, scope="openid profile email")
    assert result["claims"]["sub"] == user.sub and result["userinfo"]["email"] == "alice@example.com"
    refreshed = node("refresh", rp=rp, refresh_token=result["tokens"]["refresh_token"])
    assert refreshed["claims"]["sub"] == user.sub
    access_token = refreshed["tokens"]["access_token"]
    assert node("introspect", rp=rp, token=access_token)["active"] is True
    node("revoke", rp=rp, token=refreshed["tokens"]["refresh_token"])
    assert node("introspect", rp=rp, token=access_token)["active"] is False  # the grant is revoked


@pytest.mark.parametrize("alg", list(KINDS))
def test_private_key_jwt_with_registered_keys(provider, issuer, tenant, user, node, alg):
    kind = KINDS[alg]
    client, _ = jwt_client(tenant, "private_key_jwt", jwks={"keys": [public_jwk(kind, f"{kind}-1")]})
    signing = {**private_jwk(kind), "kid": f"{kind}-1", "alg": alg}
    rp = node.configure(issuer, client, None, method="private_key_jwt", private_jwk=signing)
    sign_in_and_use_tokens(node, provider, rp, user)


class KeySet(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.hits += 1
        payload = json.dumps(self.server.document).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/jwk-set+json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def key_set():
    """The client's jwks_uri, on 127.0.0.1 (the tenant lets the provider reach this machine)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), KeySet)
    server.hits, server.document = 0, {"keys": [public_jwk("EC", "ec-1")]}
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_private_key_jwt_with_a_jwks_uri(provider, issuer, tenant, user, node, key_set):
    tenant_admin.update_settings(tenant.id, {"outbound_allowed_hosts": LOCAL_HOSTS})
    uri = f"http://127.0.0.1:{key_set.server_port}/jwks"
    client, _ = jwt_client(tenant, "private_key_jwt", jwks_uri=uri, token_endpoint_auth_signing_alg="ES256")
    signing = {**private_jwk("EC"), "kid": "ec-1", "alg": "ES256"}
    rp = node.configure(issuer, client, None, method="private_key_jwt", private_jwk=signing)
    sign_in_and_use_tokens(node, provider, rp, user)
    assert key_set.hits == 1  # the dev server's one container kept what it fetched


def test_client_secret_jwt(provider, issuer, tenant, user, node):
    client, secret = jwt_client(tenant, "client_secret_jwt")
    rp = node.configure(issuer, client, secret, method="client_secret_jwt")
    sign_in_and_use_tokens(node, provider, rp, user)


def test_an_unknown_key_or_the_secret_instead_is_invalid_client(provider, issuer, tenant, user, node):
    client, secret = jwt_client(tenant, "private_key_jwt", jwks={"keys": [public_jwk("EC", "ec-1")]})
    signing = {**private_jwk("RSA"), "kid": "ec-1", "alg": "RS256"}  # not the registered key
    for method, key in (("private_key_jwt", signing), ("client_secret_basic", None)):
        rp = node.configure(issuer, client, secret, method=method, private_jwk=key)
        with pytest.raises(NodeError) as refused:
            node_sign_in(node, UserAgent(provider), rp)
        assert refused.value.details.get("error") == "invalid_client", refused.value.details
        assert refused.value.details["status"] == 401


def test_a_replayed_assertion_is_invalid_client(issuer, tenant):
    """What openid-client never does (each assertion has a fresh jti), sent by hand."""
    client, _ = client_admin.create_client(
        tenant.id,
        name="Machine",
        client_type="confidential",
        grant_types=["client_credentials"],
        token_endpoint_auth_method="private_key_jwt",
        jwks={"keys": [public_jwk("RSA", "rsa")]},
    )
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion(client.client_id, issuer),
    }
    assert requests.post(f"{issuer}/token", data=form, timeout=10).status_code == 200
    replayed = requests.post(f"{issuer}/token", data=form, timeout=10)
    assert replayed.status_code == 401 and replayed.json()["error"] == "invalid_client"


@pytest.mark.parametrize("method", ["private_key_jwt", "client_secret_jwt", "client_secret_basic"])
def test_pushed_authorization_requests(provider, issuer, tenant, user, node, method):
    """openid-client pushes the request (authenticated as at the token endpoint) and sends the
    browser with client_id and the request_uri; the client must push, and the request_uri
    works once."""
    keys = {"jwks": {"keys": [public_jwk("EC", "ec-1")]}} if method == "private_key_jwt" else {}
    client, secret = jwt_client(tenant, method, require_pushed_authorization_requests=True, **keys)
    signing = {**private_jwk("EC"), "kid": "ec-1", "alg": "ES256"}
    rp = node.configure(issuer, client, secret, method=method, private_jwk=signing)
    browser = UserAgent(provider)
    result, _ = node_sign_in(node, browser, rp, par=True, scope="openid email")
    assert result["claims"]["sub"] == user.sub and result["userinfo"]["email"] == "alice@example.com"

    started = node("authorize", rp=rp, redirect_uri=REDIRECT_URI, par=True)
    assert set(parse_qs(urlsplit(started["url"]).query)) == {"client_id", "request_uri"}
    assert browser.visit(started["url"]).status_code == 302  # signed in already: back to the client
    reused = browser.visit(started["url"])
    assert reused.status_code == 400 and "invalid_request_uri" in reused.text
    not_pushed = node("authorize", rp=rp, redirect_uri=REDIRECT_URI)
    refused = browser.visit(not_pushed["url"])
    assert refused.status_code == 302 and "error=invalid_request" in refused.headers["Location"]

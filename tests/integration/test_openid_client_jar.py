"""openid-client 6.9.0 sends its authorization requests as request objects (RFC 9101) to the
dev server: ``buildAuthorizationUrlWithJAR`` signs them with the client's key (RS256, PS256,
ES256, and Ed25519, which it names as RFC 9864 does), in the URL or pushed
(``buildAuthorizationUrlWithPAR`` with the JAR'd parameters), or the same object served at a
request_uri the client registered (on this machine; the tenant lists it). It validates the
responses; the provider used only the object's parameters. A client that must sign is refused
a plain request, an unsigned or replayed object is refused."""

from __future__ import annotations

import base64
import http.server
import json
import threading
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from chalicelib.admin import clients as client_admin
from chalicelib.admin import tenants as tenant_admin
from tests.integration.conftest import LOCAL_HOSTS, PASSWORD, REDIRECT_URI, node_sign_in
from tests.support.client_keys import private_jwk, public_jwk
from tests.support.user_agent import UserAgent

pytestmark = pytest.mark.parametrize("tenant", ["envelope"], indirect=True)  # the tenant's keys play no part
KINDS = {"RS256": "RSA", "PS256": "RSA", "ES256": "EC", "EdDSA": "OKP"}


def signing_client(tenant, **fields):
    jwks = {"keys": [public_jwk(kind, f"{kind}-1") for kind in ("RSA", "EC", "OKP")]}
    return client_admin.create_client(
        tenant.id, name="Interop JAR", client_type="confidential", redirect_uris=[REDIRECT_URI], jwks=jwks, **fields
    )


def signing_key(alg: str) -> dict:
    kind = KINDS[alg]
    return {**private_jwk(kind), "kid": f"{kind}-1", "alg": alg}


def query_of(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


@pytest.mark.parametrize("alg", list(KINDS))
def test_openid_client_signs_its_requests(provider, issuer, tenant, user, node, alg):
    client, secret = signing_client(tenant, require_signed_request_object=True)
    rp = node.configure(issuer, client, secret)
    result, callback = node_sign_in(node, UserAgent(provider), rp, jar=signing_key(alg), scope="openid email")
    assert result["claims"]["sub"] == user.sub and result["userinfo"]["email"] == "alice@example.com"
    assert "iss" in query_of(callback)
    started = node("authorize", rp=rp, redirect_uri=REDIRECT_URI, jar=signing_key(alg))
    assert set(query_of(started["url"])) == {"client_id", "request"}  # the rest only inside


def test_openid_client_pushes_a_signed_request(provider, issuer, tenant, user, node):
    """RFC 9126 §3: the pushed request is a request object, the client required to sign."""
    client, secret = signing_client(tenant, require_signed_request_object=True, request_object_signing_alg="ES256")
    rp = node.configure(issuer, client, secret)
    browser = UserAgent(provider)
    result, _ = node_sign_in(node, browser, rp, par=True, jar=signing_key("ES256"), scope="openid email")
    assert result["claims"]["sub"] == user.sub and result["userinfo"]["email"] == "alice@example.com"
    started = node("authorize", rp=rp, redirect_uri=REDIRECT_URI, par=True, jar=signing_key("ES256"))
    assert set(query_of(started["url"])) == {"client_id", "request_uri"}
    plain = node("authorize", rp=rp, redirect_uri=REDIRECT_URI)  # neither signed nor pushed
    refused = browser.visit(plain["url"])
    assert refused.status_code == 302 and query_of(refused.headers["Location"])["error"] == "invalid_request"


class Objects(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.paths.append(self.path)
        payload = self.server.document.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/oauth-authz-req+jwt")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def objects():
    """The client's request_uri, on 127.0.0.1 (the tenant lets the provider reach this machine)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Objects)
    server.paths, server.document = [], ""
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_openid_clients_request_object_by_reference(provider, issuer, tenant, user, node, objects):
    """The object openid-client signed, served at the client's registered request_uri: the
    browser brings only client_id and request_uri, and openid-client validates the answer."""
    tenant_admin.update_settings(tenant.id, {"outbound_allowed_hosts": LOCAL_HOSTS, "request_uri_enable": True})
    base = f"http://127.0.0.1:{objects.server_port}/requests/"
    client, secret = signing_client(tenant, request_uris=[base])
    rp = node.configure(issuer, client, secret)
    started = node("authorize", rp=rp, redirect_uri=REDIRECT_URI, jar=signing_key("PS256"), scope="openid email")
    objects.document = query_of(started["url"])["request"]
    by_reference = f"{issuer}/authorize?" + urlencode({"client_id": client.client_id, "request_uri": base + "1.jwt"})
    callback = UserAgent(provider).sign_in(by_reference, "alice", PASSWORD)
    result = node("callback", state=started["state"], url=callback)
    assert result["claims"]["sub"] == user.sub and result["userinfo"]["email"] == "alice@example.com"
    assert objects.paths == ["/requests/1.jwt"]


def test_unsigned_and_replayed_objects_are_refused(provider, issuer, tenant, user, node):
    client, secret = signing_client(tenant)
    rp = node.configure(issuer, client, secret)
    started = node("authorize", rp=rp, redirect_uri=REDIRECT_URI, jar=signing_key("RS256"))
    browser = UserAgent(provider)
    assert browser.sign_in(started["url"], "alice", PASSWORD).startswith(REDIRECT_URI)
    replayed = browser.visit(started["url"])
    assert query_of(replayed.headers["Location"])["error"] == "invalid_request_object"

    claims = {"iss": client.client_id, "aud": issuer, "response_type": "code", "client_id": client.client_id,
              "redirect_uri": REDIRECT_URI, "scope": "openid"}  # fmt: skip
    unsigned = ".".join(
        base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode() for part in ({"alg": "none"}, claims)
    )
    url = f"{issuer}/authorize?" + urlencode({"client_id": client.client_id, "request": unsigned + "."})
    refused = browser.visit(url)
    assert refused.status_code == 302 and query_of(refused.headers["Location"])["error"] == "invalid_request_object"

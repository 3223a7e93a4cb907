"""Request objects (RFC 9101, OIDC Core §6) over HTTP: ``request`` at the authorization and
PAR endpoints and ``request_uri`` fetched from the client, signed with the client's keys.
Only the object's parameters make the request; every refusal says invalid_request_object (or
the request_uri's error), is redirected only to a redirect_uri the request itself names and
the client registered, else shown on the OP's page, and writes nothing.

Network rule: the only server here (the client's request_uri) listens on 127.0.0.1, reached
in local development (DEV_MODE) because the tenant lists it."""

from __future__ import annotations

import http.server
import json
import threading
from urllib.parse import urlencode

import pytest

from chalicelib.admin import AdminError
from chalicelib.admin import clients as client_admin
from chalicelib.admin import tenants as tenant_admin
from chalicelib.oidc import client_keys
from tests.support.browser import BASE, HOST
from tests.support.client_keys import private_key
from tests.support.request_objects import client_jwks, request_object
from tests.unit.conftest import REDIRECT_URI
from tests.unit.flows import ISSUER, basic, body, callback_params, log_in, redeem

PARAMS = {"response_type": "code", "redirect_uri": REDIRECT_URI, "scope": "openid email", "state": "inner-state"}
OTHER_REDIRECT = "https://rp.example.com/other"
URN = "urn:ietf:params:oauth:request_uri:"


@pytest.fixture(autouse=True)
def fresh_keys():
    client_keys.forget()
    yield
    client_keys.forget()


@pytest.fixture
def signer(tenant):
    """A confidential client with a secret, keys registered to sign its request objects."""
    return client_admin.create_client(
        tenant.id,
        name="Signer",
        client_type="confidential",
        redirect_uris=[REDIRECT_URI, OTHER_REDIRECT],
        jwks=client_jwks(),
    )


def authorize(browser, client_id: str | None, **params: str):
    query = {"client_id": client_id, **params} if client_id else params
    return browser.get(f"{BASE}/acme/authorize", query)


def sign_in(browser, response):
    page = log_in(browser, browser.follow(response))
    return browser.submit(page, "allow") if b"Allow" in page.body else page


def replays(table_items) -> list[dict]:
    return [item for item in table_items() if item["sk"]["S"].startswith("replay#")]


@pytest.mark.parametrize("alg", ["RS256", "PS256", "ES256", "EdDSA", "Ed25519"])
def test_a_signed_request_object_makes_the_authorization(http, browser, signer, user, table_items, alg):
    client, _ = signer
    signed = request_object(client.client_id, ISSUER, {**PARAMS, "max_age": 600, "claims": {"id_token": {}}}, alg=alg)
    # The outer copies OIDC Core §6.1 has clients send are ignored: only the object counts.
    response = authorize(browser, client.client_id, request=signed, state="outer", scope="openid", response_type="code")
    callback = callback_params(sign_in(browser, response))
    assert callback["state"] == "inner-state" and callback["iss"] == ISSUER
    tokens = body(redeem(http, signer, callback["code"]))
    assert tokens["scope"] == "openid email"
    assert len(replays(table_items)) == 1  # its jti, remembered


def test_a_request_objects_resources_are_one_uri_or_an_array(http, browser, tenant, signer, user):
    """RFC 8707 with RFC 9101: resource in a request object, one or several; the token's aud."""
    import jwt

    apis = ["https://books.example.com/api", "urn:example:films"]
    tenant_admin.update_settings(tenant.id, {"resource_servers": apis})
    client, _ = signer
    for resource, audience in [(apis, apis), (apis[1], apis[1])]:
        signed = request_object(client.client_id, ISSUER, {**PARAMS, "resource": resource})
        page = browser.follow(authorize(browser, client.client_id, request=signed))
        page = log_in(browser, page) if b"Sign in" in page.body else page
        callback = callback_params(browser.submit(page, "allow") if b"Allow" in page.body else page)
        token = body(redeem(http, signer, callback["code"]))["access_token"]
        assert jwt.decode(token, options={"verify_signature": False})["aud"] == audience


def unsigned(client_id: str, **claims) -> str:
    return request_object(client_id, ISSUER, PARAMS, alg="none", **claims)


# Each: what the request object is (given the client's id), and what the error says.
BAD_OBJECTS = [
    ("signed with another key", lambda c: request_object(c, ISSUER, PARAMS, key=private_key("RSA", 3072)), "signature"),
    ("for another audience", lambda c: request_object(c, "https://other.example.com", PARAMS), "aud"),
    ("without aud", lambda c: request_object(c, ISSUER, PARAMS, aud=None), "aud"),
    ("from another issuer", lambda c: request_object(c, ISSUER, PARAMS, iss="someone-else"), "iss"),
    ("for another client", lambda c: request_object(c, ISSUER, PARAMS, client_id="someone-else"), "client_id"),
    ("expired", lambda c: request_object(c, ISSUER, PARAMS, exp=1), "expired"),
    ("without exp", lambda c: request_object(c, ISSUER, PARAMS, exp=None), "exp"),
    ("valid too long", lambda c: request_object(c, ISSUER, PARAMS, exp=2**40), "at most an hour"),
    ("not valid yet", lambda c: request_object(c, ISSUER, PARAMS, nbf=2**40), "nbf"),
    ("issued in the future", lambda c: request_object(c, ISSUER, PARAMS, iat=2**40), "iat"),
    ("exp a string", lambda c: request_object(c, ISSUER, PARAMS, exp="tomorrow"), "NumericDate"),
    ("unsigned", unsigned, "signed"),
    ("with a nested request", lambda c: request_object(c, ISSUER, {**PARAMS, "request": "x.y.z"}), "must not hold"),
    ("with a request_uri", lambda c: request_object(c, ISSUER, {**PARAMS, "request_uri": URN + "x"}), "must not hold"),
    ("a list for a parameter", lambda c: request_object(c, ISSUER, {**PARAMS, "scope": ["openid"]}), "parameters"),
    ("of another typ", lambda c: request_object(c, ISSUER, PARAMS, typ="dpop+jwt"), "typ"),
    ("signed HS256", lambda c: request_object(c, ISSUER, PARAMS, alg="HS256", kid=None, key=b"k" * 32), "signed"),
    ("encrypted", lambda c: "eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d", "JWE"),
    ("garbage", lambda c: "not a jwt", "not a JWT"),
    ("a JSON array", lambda c: "WzFd.WzFd.", "not a JWT"),
    ("oversized", lambda c: request_object(c, ISSUER, PARAMS, filler="x" * 17000), "at most 16 KiB"),
    ("exp past a float's range", lambda c: request_object(c, ISSUER, PARAMS, exp=10**400), "at most an hour"),
    ("a resource with a space", lambda c: request_object(c, ISSUER, {**PARAMS, "resource": "urn:a urn:b"}), "resource"),
    ("a resource of numbers", lambda c: request_object(c, ISSUER, {**PARAMS, "resource": [1, 2]}), "resource"),
]


@pytest.mark.parametrize(("make", "says"), [case[1:] for case in BAD_OBJECTS], ids=[case[0] for case in BAD_OBJECTS])
def test_a_bad_request_object_is_refused_where_the_request_is_trusted_and_writes_nothing(
    browser, signer, table_items, make, says
):
    client, _ = signer
    token = make(client.client_id)
    before = table_items()
    # The request names a registered redirect_uri: the error goes there, with its state.
    redirected = callback_params(authorize(browser, client.client_id, request=token, redirect_uri=REDIRECT_URI,
                                           state="outer", response_type="code"))  # fmt: skip
    assert redirected["error"] == "invalid_request_object" and says in redirected["error_description"]
    assert redirected["state"] == "outer" and redirected["iss"] == ISSUER
    # It names none (the client has two): nothing says where to send it, so the OP shows it.
    shown = authorize(browser, client.client_id, request=token)
    assert shown.status_code == 400 and "Location" not in shown.headers
    assert b"invalid_request_object" in shown.body
    # A redirect_uri the client did not register: shown too.
    elsewhere = authorize(browser, client.client_id, request=token, redirect_uri="https://attacker.example/cb")
    assert elsewhere.status_code == 400 and "Location" not in elsewhere.headers
    assert table_items() == before


def test_a_request_object_without_its_client_is_shown_at_the_op(browser, signer, table_items):
    client, _ = signer
    token = request_object(client.client_id, ISSUER, PARAMS)
    before = table_items()
    for client_id in (None, "unknown-client"):
        response = authorize(browser, client_id, request=token)
        assert response.status_code == 400 and b"invalid_client" in response.body and "Location" not in response.headers
    both = authorize(browser, client.client_id, request=token, request_uri="https://rp.example.com/r")
    assert both.status_code == 400 and "Location" not in both.headers
    assert table_items() == before


def test_a_replayed_request_object_is_refused_and_writes_nothing(browser, signer, user, table_items):
    client, _ = signer
    token = request_object(client.client_id, ISSUER, PARAMS)
    assert authorize(browser, client.client_id, request=token).status_code == 302
    before = table_items()
    again = callback_params(authorize(browser, client.client_id, request=token))
    assert again["error"] == "invalid_request_object" and "used before" in again["error_description"]
    assert again["state"] == "inner-state"  # the object is the client's own: its redirect_uri and state are
    assert table_items() == before


def test_a_refused_request_inside_a_good_object_leaves_its_jti_unspent(browser, signer, table_items):
    client, _ = signer
    token = request_object(client.client_id, ISSUER, {**PARAMS, "prompt": "none login"})
    before = table_items()
    refused = callback_params(authorize(browser, client.client_id, request=token))
    assert refused["error"] == "invalid_request" and refused["state"] == "inner-state"
    assert table_items() == before


def test_unsigned_request_objects_only_where_the_tenant_allows_and_the_client_does_not_sign(
    browser, tenant, signer, user, table_items
):
    client, _ = signer
    tenant_admin.update_settings(tenant.id, {"allow_unsigned_request_objects": True})
    assert authorize(browser, client.client_id, request=unsigned(client.client_id)).status_code == 302
    bare = request_object(client.client_id, ISSUER, PARAMS, alg="none", iss=None, aud=None, exp=None, jti=None)
    assert authorize(browser, client.client_id, request=bare).status_code == 302  # nothing to check: fine
    forged = request_object(client.client_id, ISSUER, PARAMS, alg="none", aud="https://other.example.com")
    refused = callback_params(authorize(browser, client.client_id, request=forged, redirect_uri=REDIRECT_URI))
    assert refused["error"] == "invalid_request_object"
    for change in ({"request_object_signing_alg": "ES256"}, {"require_signed_request_object": True}):
        client_admin.update_client(tenant.id, client.client_id, **change)
        before = table_items()
        refused = callback_params(
            authorize(browser, client.client_id, request=unsigned(client.client_id), redirect_uri=REDIRECT_URI)
        )
        assert refused["error"] == "invalid_request_object" and "signed" in refused["error_description"]
        assert table_items() == before
        client_admin.update_client(tenant.id, client.client_id, request_object_signing_alg=None,
                                   require_signed_request_object=False)  # fmt: skip


def test_a_client_that_registered_an_algorithm_signs_with_it(browser, tenant, signer, table_items):
    client, _ = signer
    client_admin.update_client(tenant.id, client.client_id, request_object_signing_alg="ES256")
    before = table_items()
    signed = request_object(client.client_id, ISSUER, PARAMS)
    refused = callback_params(authorize(browser, client.client_id, request=signed, redirect_uri=REDIRECT_URI))
    assert refused["error"] == "invalid_request_object" and "request_object_signing_alg" in refused["error_description"]
    assert table_items() == before
    signed = request_object(client.client_id, ISSUER, PARAMS, alg="ES256")
    assert authorize(browser, client.client_id, request=signed).status_code == 302


@pytest.mark.parametrize("where", ["tenant", "client"])
def test_signed_request_objects_may_be_required(http, browser, tenant, signer, user, where):
    client, secret = signer
    if where == "tenant":
        tenant_admin.update_settings(tenant.id, {"require_signed_request_object": True})
    else:
        client_admin.update_client(tenant.id, client.client_id, require_signed_request_object=True)
    plain = callback_params(authorize(browser, client.client_id, **PARAMS))
    assert plain["error"] == "invalid_request" and "signed request objects" in plain["error_description"]
    pushed_plainly = push(http, {"client_id": client.client_id, **PARAMS}, basic(client.client_id, secret))
    assert pushed_plainly.status_code == 400 and body(pushed_plainly)["error"] == "invalid_request"
    signed = request_object(client.client_id, ISSUER, PARAMS)
    assert authorize(browser, client.client_id, request=signed).status_code == 302
    document = json.loads(http.get("/acme/.well-known/openid-configuration", headers={"host": HOST}).body)
    assert document["require_signed_request_object"] is (where == "tenant")


def push(http, form: dict[str, str], authorization: str):
    headers = {"host": HOST, "content-type": "application/x-www-form-urlencoded", "authorization": authorization}
    return http.post("/acme/par", headers=headers, body=urlencode(form))


def test_a_pushed_request_may_be_a_request_object(http, browser, signer, user, table_items):
    """RFC 9126 §3: the object's parameters are what is pushed, its jti spent at the push."""
    client, secret = signer
    token = request_object(client.client_id, ISSUER, PARAMS)
    response = push(
        http, {"client_id": client.client_id, "request": token, "state": "ignored"}, basic(client.client_id, secret)
    )
    assert response.status_code == 201, response.body
    assert len(replays(table_items)) == 1
    before = table_items()
    again = push(http, {"client_id": client.client_id, "request": token}, basic(client.client_id, secret))
    assert again.status_code == 400 and body(again)["error"] == "invalid_request_object"
    assert table_items() == before
    callback = callback_params(
        sign_in(browser, authorize(browser, client.client_id, request_uri=body(response)["request_uri"]))
    )
    assert callback["state"] == "inner-state"
    assert body(redeem(http, signer, callback["code"]))["scope"] == "openid email"


@pytest.mark.parametrize(
    ("make", "says"), [case[1:] for case in BAD_OBJECTS[:12]], ids=[case[0] for case in BAD_OBJECTS[:12]]
)
def test_a_bad_pushed_request_object_is_a_json_error_and_writes_nothing(http, signer, table_items, make, says):
    client, secret = signer
    before = table_items()
    response = push(
        http, {"client_id": client.client_id, "request": make(client.client_id)}, basic(client.client_id, secret)
    )
    assert response.status_code == 400 and body(response)["error"] == "invalid_request_object", response.body
    assert says in body(response)["error_description"]
    assert table_items() == before


class Objects(http.server.BaseHTTPRequestHandler):
    """A client's request_uri on 127.0.0.1: serves ``server.document`` with ``server.status``."""

    def do_GET(self) -> None:
        self.server.paths.append(self.path)
        payload = self.server.document.encode()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/oauth-authz-req+jwt")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def objects_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Objects)
    server.paths, server.status, server.document = [], 200, ""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def by_reference(tenant, dev_mode, signer, objects_server):
    base = f"http://127.0.0.1:{objects_server.server_port}"
    tenant_admin.update_settings(tenant.id, {"outbound_allowed_hosts": ["127.0.0.1"], "request_uri_enable": True})
    client_admin.update_client(tenant.id, signer[0].client_id, request_uris=[f"{base}/req.jwt", f"{base}/objects/"])
    objects_server.document = request_object(signer[0].client_id, ISSUER, PARAMS)
    return base


def test_a_registered_request_uri_is_fetched(http, browser, signer, user, by_reference, objects_server):
    client, _ = signer
    for uri in (f"{by_reference}/req.jwt#sha256-of-it", f"{by_reference}/objects/one.jwt?v=2"):
        objects_server.document = request_object(client.client_id, ISSUER, PARAMS)
        response = authorize(browser, client.client_id, request_uri=uri)
        # The second time, the browser's session and the remembered consent make it at once.
        callback = callback_params(sign_in(browser, response) if uri.endswith("it") else browser.follow(response))
        assert callback["state"] == "inner-state"
        assert body(redeem(http, signer, callback["code"]))["scope"] == "openid email"
    assert objects_server.paths == ["/req.jwt", "/objects/one.jwt?v=2"]  # the fragment is not sent
    document = json.loads(http.get("/acme/.well-known/openid-configuration", headers={"host": HOST}).body)
    assert document["request_uri_parameter_supported"] is True and document["require_request_uri_registration"]


@pytest.mark.parametrize(
    ("uri", "status", "document", "error", "says"),
    [
        ("{base}/other.jwt", 200, None, "invalid_request_uri", "not registered"),
        ("{base}/req.jwt/more", 200, None, "invalid_request_uri", "not registered"),
        ("{base}/objects/../admin", 200, None, "invalid_request_uri", "not registered"),
        ("{base}/objects/%2e%2e/admin", 200, None, "invalid_request_uri", "not registered"),
        ("{base}/objects/..%2Fadmin", 200, None, "invalid_request_uri", "not registered"),
        ("{base}/objects/%2E%2E%2fadmin", 200, None, "invalid_request_uri", "not registered"),
        ("{base}/objects/x%5c..%5cadmin", 200, None, "invalid_request_uri", "not registered"),
        ("https://127.0.0.1:1/req.jwt", 200, None, "invalid_request_uri", "not registered"),
        ("{base}/req.jwt", 404, None, "invalid_request_uri", "did not answer"),
        ("{base}/req.jwt", 200, "x" * 20000, "invalid_request_object", "at most 16 KiB"),
        ("{base}/req.jwt", 200, "garbage", "invalid_request_object", "not a JWT"),
        ("{base}/req.jwt", 200, "caf\u00e9", "invalid_request_object", "not a JWT"),
    ],
)
def test_a_request_uri_that_cannot_be_used_is_refused_and_writes_nothing(
    browser, signer, by_reference, objects_server, table_items, uri, status, document, error, says
):
    client, _ = signer
    objects_server.status = status
    if document is not None:
        objects_server.document = document
    before = table_items()
    refused = callback_params(authorize(browser, client.client_id, request_uri=uri.format(base=by_reference),
                                        redirect_uri=REDIRECT_URI, state="outer"))  # fmt: skip
    assert refused["error"] == error and says in refused["error_description"] and refused["state"] == "outer"
    shown = authorize(browser, client.client_id, request_uri=uri.format(base=by_reference))
    assert shown.status_code == 400 and error.encode() in shown.body and "Location" not in shown.headers
    assert table_items() == before


def test_request_uri_is_off_unless_the_tenant_enables_it(http, browser, tenant, signer, by_reference, objects_server):
    client, _ = signer
    tenant_admin.update_settings(tenant.id, {"request_uri_enable": False})
    refused = callback_params(authorize(browser, client.client_id, request_uri=f"{by_reference}/req.jwt",
                                        redirect_uri=REDIRECT_URI))  # fmt: skip
    assert refused["error"] == "request_uri_not_supported" and objects_server.paths == []
    document = json.loads(http.get("/acme/.well-known/openid-configuration", headers={"host": HOST}).body)
    assert document["request_uri_parameter_supported"] is False and document["request_parameter_supported"] is True
    assert document["request_object_signing_alg_values_supported"] == ["RS256", "PS256", "ES256", "EdDSA", "Ed25519"]
    tenant_admin.update_settings(tenant.id, {"allow_unsigned_request_objects": True})
    document = json.loads(http.get("/acme/.well-known/openid-configuration", headers={"host": HOST}).body)
    assert document["request_object_signing_alg_values_supported"][-1] == "none"


def test_the_guard_checks_a_request_uri_at_each_fetch(browser, tenant, signer, by_reference, objects_server):
    """A request_uri registered while its host was listed is refused once it is not: loopback."""
    tenant_admin.update_settings(tenant.id, {"outbound_allowed_hosts": []})
    refused = callback_params(authorize(browser, signer[0].client_id, request_uri=f"{by_reference}/req.jwt",
                                        redirect_uri=REDIRECT_URI))  # fmt: skip
    assert (
        refused["error"] == "invalid_request_uri"
        and refused["error_description"] == "the request_uri could not be fetched"
    )
    assert objects_server.paths == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"request_object_signing_alg": "none"}, "request_object_signing_alg is one of"),
        ({"request_object_signing_alg": "HS256"}, "request_object_signing_alg is one of"),
        ({"request_object_signing_alg": 5}, "request_object_signing_alg is a string"),
        ({"request_object_signing_alg": "RS256", "jwks": None}, "jwks or jwks_uri"),
        ({"require_signed_request_object": True, "jwks": None}, "jwks or jwks_uri"),
        ({"require_signed_request_object": "yes"}, "true or false"),
        ({"request_uris": ["http://rp.example.com/r"]}, "https"),
        ({"request_uris": ["https://10.0.0.7/r"]}, "private"),
        ({"request_uris": ["https://user@rp.example.com/r"]}, "request_uris"),
        ({"request_uris": ["/relative"]}, "scheme"),
        ({"request_uris": ["https://rp.example.com/a b"]}, "request_uris"),
        ({"request_uris": "https://rp.example.com/r"}, "list of strings"),
    ],
)
def test_the_admin_services_refuse_bad_request_object_fields_and_write_nothing(tenant, table_items, fields, message):
    before = table_items()
    values = {"redirect_uris": [REDIRECT_URI], "jwks": client_jwks(), **fields}
    with pytest.raises(AdminError, match=message):
        client_admin.create_client(tenant.id, name="Signer", client_type="confidential", **values)
    assert table_items() == before


def test_registration_takes_and_describes_the_request_object_fields(http, tenant):
    tenant_admin.update_settings(tenant.id, {"client_registration": "open"})
    metadata = {
        "redirect_uris": [REDIRECT_URI],
        "jwks": client_jwks(),
        "request_object_signing_alg": "PS256",
        "request_uris": ["https://rp.example.com/requests/1#abc"],
        "require_signed_request_object": True,
    }
    headers = {"host": HOST, "content-type": "application/json"}
    registered = http.post("/acme/register", headers=headers, body=json.dumps(metadata))
    assert registered.status_code == 201, registered.body
    answer = body(registered)
    assert {name: answer[name] for name in metadata if name != "jwks"} == {
        name: value for name, value in metadata.items() if name != "jwks"
    }
    for bad in (
        {"request_object_signing_alg": "none"},
        {"request_uris": ["ftp://x"]},
        {"request_object_encryption_alg": "RSA-OAEP"},
    ):
        refused = http.post("/acme/register", headers=headers, body=json.dumps({**metadata, **bad}))
        assert refused.status_code == 400 and body(refused)["error"] == "invalid_client_metadata", refused.body


def test_request_uri_fetches_are_counted_per_source_and_client(browser, tenant, signer, by_reference, objects_server):
    """Anyone who sends a browser makes the provider fetch: past the limit, 429 and no fetch."""
    tenant_admin.update_settings(tenant.id, {"request_uri_fetches_per_source": 2})
    client, _ = signer
    for _ in range(2):
        objects_server.document = request_object(client.client_id, ISSUER, PARAMS)
        assert authorize(browser, client.client_id, request_uri=f"{by_reference}/req.jwt").status_code == 302
    refused = authorize(browser, client.client_id, request_uri=f"{by_reference}/req.jwt", redirect_uri=REDIRECT_URI)
    assert (
        refused.status_code == 429 and b"temporarily_unavailable" in refused.body and "Location" not in refused.headers
    )
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert len(objects_server.paths) == 2


def test_a_refused_request_object_is_explained_in_the_browsers_language(http, signer):
    from tests.support.browser import Browser

    french = Browser(http, headers={"accept-language": "fr-CH, en;q=0.5"})
    page = authorize(french, signer[0].client_id, request="not a jwt")
    assert page.status_code == 400 and "pas un JWT (un JWS compact)" in page.body.decode()

"""Pairwise subject identifiers (OIDC Core §8.1) through the routes: one user, seen by a
public client and by pairwise clients of two sectors, in ID tokens, access tokens, UserInfo,
introspection, id_token_hint and back-/front-channel logout; and the sector document
(OIDC Registration §5) checked at registration, the admin API and the CLI, where a bad one
writes nothing. Sector documents are served on this machine's loopback (the tenant lists
127.0.0.1, in local development: the outbound guard's only exemption)."""

from __future__ import annotations

import http.server
import json
import threading

import jwt
import pytest
from click.testing import CliRunner

from chalicelib.admin import clients as client_admin
from chalicelib.admin import tenants as tenant_admin
from chalicelib.admin.cli import cli
from tests.unit.conftest import REDIRECT_URI
from tests.unit.flows import authorize, basic, body, callback_params, obtain_code, redeem

HOST = "op.example.test"
OTHER_SECTOR_URI = "https://other.example.org/callback"


class Documents:
    """Sector identifier documents on a real loopback socket: path → (status, body)."""

    def __init__(self) -> None:
        served = self.served = {}
        self.fetched = []
        fetched = self.fetched

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fetched.append(self.path)
                status, payload = served.get(self.path, (404, b"not found"))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def serve(self, path: str, document, status: int = 200) -> str:
        payload = document if isinstance(document, bytes) else json.dumps(document).encode()
        self.served[path] = (status, payload)
        return self.base + path


@pytest.fixture
def documents(tenant, dev_mode):
    tenant_admin.update_settings(tenant.id, {"outbound_allowed_hosts": ["127.0.0.1"]})
    server = Documents()
    yield server
    server.server.shutdown()


def pairwise_client(name: str = "Pairwise", redirect_uris=(REDIRECT_URI,), **fields):
    return client_admin.create_client(
        "acme",
        name=name,
        client_type="confidential",
        redirect_uris=list(redirect_uris),
        subject_type="pairwise",
        scopes=["openid", "profile", "email", "token_introspection"],
        **fields,
    )


def tokens_for(http, browser, client, **params) -> dict:
    code = obtain_code(browser, client[0].client_id, redirect_uri=client[0].redirect_uris[0], nonce="n", **params)
    response = redeem(http, client, code, redirect_uri=client[0].redirect_uris[0])
    assert response.status_code == 200, response.body
    return body(response)


def unverified(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def test_discovery_offers_both_subject_types(http, tenant):
    response = http.get("/acme/.well-known/openid-configuration", headers={"host": HOST})
    assert json.loads(response.body)["subject_types_supported"] == ["public", "pairwise"]


def test_a_pairwise_client_sees_its_own_sub_everywhere(http, browser, client, user):
    pairwise = pairwise_client()
    public_sub = unverified(tokens_for(http, browser, client)["id_token"])["sub"]
    tokens = tokens_for(http, browser, pairwise, scope="openid email")
    sub = unverified(tokens["id_token"])["sub"]
    assert public_sub == user.sub and sub != user.sub and len(sub) == 43
    # The access token names the same sub, and keeps the user's own only sealed.
    access = unverified(tokens["access_token"])
    assert access["sub"] == sub and user.sub not in json.dumps(access)
    # UserInfo, introspection of both tokens: the same sub, and no username to match on.
    info = http.get("/acme/userinfo", headers={"host": HOST, "authorization": f"Bearer {tokens['access_token']}"})
    assert json.loads(info.body) == {"sub": sub, "email": "alice@example.com", "email_verified": True}
    for token in (tokens["access_token"], tokens["refresh_token"]):
        seen = introspect(http, pairwise, token)
        assert seen["active"] is True and seen["sub"] == sub
        assert "username" not in seen and "usx" not in seen
    # Stable: the next sign-in (no login, no consent) gives the same sub, and a refresh too.
    assert unverified(tokens_for(http, browser, pairwise)["id_token"])["sub"] == sub
    refreshed = http.post(
        "/acme/token",
        headers={"host": HOST, "content-type": "application/x-www-form-urlencoded",
                 "authorization": basic(pairwise[0].client_id, pairwise[1])},
        body=f"grant_type=refresh_token&refresh_token={tokens['refresh_token']}",
    )  # fmt: skip
    assert unverified(body(refreshed)["id_token"])["sub"] == sub


def introspect(http, client, token: str) -> dict:
    response = http.post(
        "/acme/introspect",
        headers={"host": HOST, "content-type": "application/x-www-form-urlencoded",
                 "authorization": basic(client[0].client_id, client[1])},
        body=f"token={token}",
    )  # fmt: skip
    return json.loads(response.body)


def test_a_public_client_s_introspection_still_names_the_user(http, browser, tenant, user):
    public = client_admin.create_client(
        "acme", name="RS", client_type="confidential", redirect_uris=[REDIRECT_URI], scopes=["token_introspection"]
    )
    tokens = tokens_for(http, browser, public)
    seen = introspect(http, public, tokens["access_token"])
    assert seen["sub"] == user.sub and seen["username"] == "alice"


def test_clients_of_one_sector_share_a_sub_and_other_sectors_do_not(http, browser, user, documents):
    first, second = pairwise_client("First"), pairwise_client("Second")
    uri = documents.serve("/sector.json", [OTHER_SECTOR_URI])
    elsewhere = pairwise_client("Elsewhere", [OTHER_SECTOR_URI], sector_identifier_uri=uri)
    subs = [unverified(tokens_for(http, browser, one)["id_token"])["sub"] for one in (first, second, elsewhere)]
    assert subs[0] == subs[1] != subs[2] and user.sub not in subs


def test_an_id_token_hint_carries_the_pairwise_sub(http, browser, user):
    pairwise = pairwise_client()
    hint = tokens_for(http, browser, pairwise)["id_token"]
    silent = browser.follow(authorize(browser, pairwise[0].client_id, prompt="none", id_token_hint=hint))
    assert "code" in callback_params(silent)
    by_value = json.dumps({"id_token": {"sub": {"value": user.sub}}})  # the public sub is not this client's
    refused = browser.follow(authorize(browser, pairwise[0].client_id, prompt="none", claims=by_value))
    assert callback_params(refused)["error"] == "login_required"


def test_logout_tokens_and_front_channel_sids_are_the_client_s(http, browser, user, documents, consumer):
    from tests.unit.test_logout import Receiver

    receiver = Receiver()
    try:
        pairwise = pairwise_client(
            backchannel_logout_uri=receiver.url, frontchannel_logout_uri="https://rp.example.com/frontchannel"
        )
        plain = client_admin.create_client(
            "acme", name="Plain", client_type="confidential", redirect_uris=[REDIRECT_URI]
        )
        claims = unverified(tokens_for(http, browser, pairwise)["id_token"])
        public_sid = unverified(tokens_for(http, browser, plain)["id_token"])["sid"]
        assert claims["sid"] != public_sid and len(claims["sid"]) == 32
        page = browser.get(f"http://{HOST}/acme/end-session", {"client_id": pairwise[0].client_id})
        done = browser.submit(page, "logout")
        assert f"sid={claims['sid']}".encode() in done.body and public_sid.encode() not in done.body
        assert consumer.drain() == 1
        (posted,) = receiver.received
        logout = unverified(posted["logout_token"][0])
        assert logout["sub"] == claims["sub"] and logout["sid"] == claims["sid"]
    finally:
        receiver.server.shutdown()


def register(http, metadata: dict):
    headers = {"host": HOST, "content-type": "application/json"}
    response = http.post("/acme/register", headers=headers, body=json.dumps(metadata))
    return response.status_code, json.loads(response.body)


def test_registration_accepts_a_sector_document_listing_its_redirect_uris(http, tenant, documents):
    tenant_admin.update_settings(tenant.id, {"client_registration": "open"})
    uri = documents.serve("/sector.json", [REDIRECT_URI, OTHER_SECTOR_URI, "https://third.example/cb"])
    metadata = {
        "redirect_uris": [REDIRECT_URI, OTHER_SECTOR_URI],
        "client_name": "Two hosts",
        "subject_type": "pairwise",
    }
    status, registered = register(http, {**metadata, "sector_identifier_uri": uri})
    assert status == 201 and registered["subject_type"] == "pairwise"
    assert registered["sector_identifier_uri"] == uri and documents.fetched == ["/sector.json"]
    stored = client_admin.get_client("acme", registered["client_id"])
    assert stored.subject_type == "pairwise" and stored.sector_identifier_uri == uri
    status, public = register(http, {"redirect_uris": [REDIRECT_URI], "client_name": "Plain"})
    assert status == 201 and public["subject_type"] == "public" and "sector_identifier_uri" not in public


BAD_DOCUMENTS = [
    ({"redirect_uris": [REDIRECT_URI]}, 200, "is not a JSON array of URIs"),
    ([OTHER_SECTOR_URI], 200, f"does not list the redirect URI {REDIRECT_URI}"),
    ([REDIRECT_URI, 7], 200, "is not a JSON array of URIs"),
    (b"[not json", 200, "is not a JSON array of URIs"),
    (b"\xff\xfe", 200, "is not a JSON array of URIs"),
    ([REDIRECT_URI], 404, "could not be fetched (HTTP 404)"),
    ([REDIRECT_URI], 302, "could not be fetched (HTTP 302)"),
    (json.dumps([REDIRECT_URI] + ["https://x.example/" + "a" * 2000] * 40).encode(), 200, "not a JSON array"),
]


@pytest.mark.parametrize("document, status, message", BAD_DOCUMENTS)
def test_a_bad_sector_document_is_invalid_client_metadata(
    http, tenant, documents, table_items, document, status, message
):
    tenant_admin.update_settings(tenant.id, {"client_registration": "open"})
    uri = documents.serve("/sector.json", document, status)
    before = table_items()
    metadata = {"redirect_uris": [REDIRECT_URI], "subject_type": "pairwise", "sector_identifier_uri": uri}
    code, error = register(http, metadata)
    assert code == 400 and error["error"] == "invalid_client_metadata"
    assert error["error_description"].startswith("sector_identifier_uri: ") and message in error["error_description"]
    assert table_items() == before


@pytest.mark.parametrize(
    "metadata, message",
    [
        ({"subject_type": "secret"}, "subject_type is public or pairwise"),
        ({"subject_type": ["pairwise"]}, "subject_type must be a string"),
        ({"subject_type": "pairwise", "redirect_uris": [REDIRECT_URI, OTHER_SECTOR_URI]}, "share one host"),
        ({"sector_identifier_uri": "https://127.0.0.1/sector.json"}, "sector_identifier_uri: the URL's host is a"),
        ({"sector_identifier_uri": "https://169.254.169.254/latest"}, "sector_identifier_uri: the URL's host is a"),
        (
            {"sector_identifier_uri": "http://rp.example.com/sector.json"},
            "sector_identifier_uri: the URL must be https",
        ),
        ({"sector_identifier_uri": "https://rp.example.com/s#x"}, "sector_identifier_uri: it must be an absolute"),
        ({"sector_identifier_uri": "/sector.json"}, "sector_identifier_uri: "),
        ({"sector_identifier_uri": 5}, "sector_identifier_uri must be a string"),
    ],
)
def test_malformed_subject_metadata_is_refused_before_any_request(http, tenant, table_items, metadata, message):
    tenant_admin.update_settings(tenant.id, {"client_registration": "open"})
    before = table_items()
    code, error = register(http, {"redirect_uris": [REDIRECT_URI], **metadata})
    assert code == 400 and error["error"] == "invalid_client_metadata", error
    assert message in error["error_description"]
    assert table_items() == before


def test_an_unreachable_sector_host_is_refused(http, tenant, documents, table_items):
    tenant_admin.update_settings(tenant.id, {"client_registration": "open"})
    closed = http_port_that_is_closed()
    before = table_items()
    uri = f"http://127.0.0.1:{closed}/sector.json"
    code, error = register(
        http, {"redirect_uris": [REDIRECT_URI], "subject_type": "pairwise", "sector_identifier_uri": uri}
    )
    assert (
        code == 400
        and error["error_description"] == "sector_identifier_uri: the document could not be fetched (no answer)"
    )
    assert table_items() == before


def http_port_that_is_closed() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_admin_api_checks_the_sector_document_and_refetches_only_on_change(http, tenant, documents, table_items):
    key = tenant_admin.issue_admin_key(tenant.id, "tests")[0]
    headers = {"host": HOST, "content-type": "application/json", "authorization": f"Bearer {key}"}
    bad = documents.serve("/bad.json", [OTHER_SECTOR_URI])
    fields = {
        "name": "Portal",
        "client_type": "confidential",
        "redirect_uris": [REDIRECT_URI],
        "subject_type": "pairwise",
    }
    before = table_items()
    refused = http.post(
        "/admin/tenants/acme/clients", headers=headers, body=json.dumps({**fields, "sector_identifier_uri": bad})
    )
    assert refused.status_code == 400 and json.loads(refused.body)["error"] == "invalid_request"
    assert table_items() == before
    good = documents.serve("/good.json", [REDIRECT_URI])
    created = http.post(
        "/admin/tenants/acme/clients", headers=headers, body=json.dumps({**fields, "sector_identifier_uri": good})
    )
    assert created.status_code == 201, created.body
    client_id = json.loads(created.body)["client_id"]
    assert documents.fetched == ["/bad.json", "/good.json"]
    rename = http.request(
        "PATCH", f"/admin/tenants/acme/clients/{client_id}", headers=headers, body=json.dumps({"name": "Renamed"})
    )
    assert rename.status_code == 200 and documents.fetched == ["/bad.json", "/good.json"]
    # A redirect URI the document does not list: refused, nothing changed.
    widened = {"redirect_uris": [REDIRECT_URI, "https://rp.example.com/other"]}
    patched = http.request(
        "PATCH", f"/admin/tenants/acme/clients/{client_id}", headers=headers, body=json.dumps(widened)
    )
    assert (
        patched.status_code == 400 and "does not list the redirect URI" in json.loads(patched.body)["error_description"]
    )
    assert client_admin.get_client("acme", client_id).redirect_uris == (REDIRECT_URI,)


def test_the_cli_sets_the_subject_type(tenant, documents):
    uri = documents.serve("/sector.json", [REDIRECT_URI])
    args = ["clients", "create", "acme", "--name", "CLI", "--type", "confidential", "--redirect-uri", REDIRECT_URI]
    result = CliRunner().invoke(cli, [*args, "--subject-type", "pairwise", "--sector-identifier-uri", uri])
    assert result.exit_code == 0, result.output
    stored = client_admin.get_client("acme", json.loads(result.output)["client_id"])
    assert stored.subject_type == "pairwise" and stored.sector_identifier_uri == uri
    refused = CliRunner().invoke(
        cli, [*args, "--subject-type", "pairwise", "--sector-identifier-uri", documents.base + "/none"]
    )
    assert refused.exit_code != 0 and "could not be fetched (HTTP 404)" in refused.output


@pytest.mark.parametrize(
    "redirect_uri",
    ["http://127.0.0.1:51000/cb", "http://[::1]:51000/cb", "http://localhost:51000/cb", "com.example.app:/cb"],
)
def test_loopback_and_custom_scheme_clients_are_sectors_of_their_own(tenant, redirect_uri):
    """Anyone may register a native app's loopback (RFC 8252 §7.3) or custom-scheme redirect:
    sharing a sector through it would hand every such client the same subjects."""
    from chalicelib.oidc.subjects import sector_of, sid_for, subject_for

    native = [
        client_admin.create_client(
            "acme", name=name, client_type="public", redirect_uris=[redirect_uri], subject_type="pairwise"
        )[0]
        for name in ("One", "Two")
    ]
    assert sector_of(native[0]) != sector_of(native[1])
    assert subject_for(native[0], "user") != subject_for(native[1], "user")
    assert sid_for(native[0], "sid") != sid_for(native[1], "sid")

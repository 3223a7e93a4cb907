"""``@protected`` (chalicelib/resource_server) on a Chalice app of the test's own: an issuer on
127.0.0.1 serves its discovery document and JWKS (fetched through the outbound guard, as a
local-development policy lets it), the test signs access tokens with the issuer's keys, and
every token that must be refused is answered as RFC 6750 §3 says, the route never called."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import json
import threading
import time

import jwt
import pytest
from chalice import Chalice
from chalice.test import Client
from cryptography.hazmat.primitives import serialization

from chalicelib.outbound import Policy
from chalicelib.resource_server import AccessTokenVerifier, DiscoveredKeys, ProofRefused, protected
from chalicelib.resource_server import keys as rs_keys
from tests.support.client_keys import private_key, public_jwk

API = "https://api.example.com/books"
NOW = 1_800_000_000


class Issuer(http.server.BaseHTTPRequestHandler):
    """Serves ``server.documents[path]`` (status 200) or ``server.status``; counts hits."""

    def do_GET(self) -> None:
        self.server.hits.append(self.path)
        document = self.server.documents.get(self.path)
        payload = json.dumps(document).encode() if document is not None else b"{}"
        self.send_response(self.server.status if document is not None else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def issuer():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Issuer)
    server.url = f"http://127.0.0.1:{server.server_port}/acme"
    server.hits, server.status = [], 200
    server.documents = {
        "/acme/.well-known/openid-configuration": {"issuer": server.url, "jwks_uri": f"{server.url}/jwks.json"},
        "/acme/jwks.json": {"keys": [public_jwk("RSA", "rsa", alg="RS256"), public_jwk("EC", "ec")]},
    }
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    rs_keys.forget()
    yield server
    server.shutdown()
    server.server_close()
    rs_keys.forget()


POLICY = Policy(allowed_hosts=frozenset({"127.0.0.1"}), dev_mode=True)


@pytest.fixture
def clock():
    return [NOW]


@pytest.fixture
def api(issuer, clock):
    """A Chalice API whose /books needs the read scope; ``api.calls`` are the route's calls."""
    app = Chalice("books")
    keys = DiscoveredKeys(issuer.url, POLICY, clock=lambda: clock[0])
    verifier = AccessTokenVerifier(issuer.url, API, keys, clock=lambda: clock[0])

    @app.route("/books")
    @protected(app, verifier=lambda request: verifier, scopes=["read"])
    def books(access_token):
        app.calls.append(access_token)
        return {"sub": access_token.sub, "client_id": access_token.client_id}

    app.calls = []
    with Client(app) as client:
        client.app = app
        yield client


def claims(issuer_url: str, **changes) -> dict:
    base = {
        "iss": issuer_url,
        "sub": "user-1",
        "aud": API,
        "client_id": "web",
        "scope": "openid read",
        "iat": NOW - 10,
        "exp": NOW + 600,
        "jti": "j1",
    }
    base.update(changes)
    return {name: value for name, value in base.items() if value is not None}


def sign(payload: dict, kind: str = "RSA", kid: str = "rsa", typ: str = "at+jwt", alg: str | None = None) -> str:
    alg = alg or {"RSA": "RS256", "EC": "ES256"}[kind]
    return jwt.encode(payload, private_key(kind, 2048), algorithm=alg, headers={"kid": kid, "typ": typ})


def unsigned(header: dict, payload: dict, key: bytes | None = None) -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    signing_input = f"{part(header)}.{part(payload)}"
    if key is None:
        return signing_input + "."
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()


def call(api, authorization: str | None, **headers: str):
    if authorization is not None:
        headers["authorization"] = authorization
    return api.http.get("/books", headers=headers)


def assert_refused(response, status: int, challenge: str, error: str | None, api) -> None:
    assert response.status_code == status, response.body
    assert response.headers["WWW-Authenticate"] == challenge
    assert json.loads(response.body) == ({"error": error} if error else {})  # the code, never why
    assert response.headers["Cache-Control"] == "no-store"
    assert api.app.calls == []


def test_a_valid_token_reaches_the_route_with_its_claims(api, issuer):
    response = call(api, "Bearer " + sign(claims(issuer.url)))
    assert response.status_code == 200 and json.loads(response.body) == {"sub": "user-1", "client_id": "web"}
    (token,) = api.app.calls
    assert token.scheme == "Bearer" and token.scopes == {"openid", "read"} and token.claims["aud"] == API
    assert token.for_user is ("auth_time" in claims(issuer.url))


def test_a_token_a_client_got_for_itself_is_not_for_a_user(api, issuer):
    response = call(api, "Bearer " + sign(claims(issuer.url, auth_time=None, sub="web")))
    assert response.status_code == 200
    (token,) = api.app.calls
    assert token.for_user is False and token.sub == token.client_id == "web"


def public_pem() -> bytes:
    return (
        private_key("RSA", 2048)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def hmac_with_public_key(payload: dict) -> str:
    """The classic confusion: HS256 "signed" with the issuer's public key as the secret."""
    return unsigned({"alg": "HS256", "typ": "at+jwt", "kid": "rsa"}, payload, public_pem())


@pytest.mark.parametrize(
    ("token", "status", "error"),
    [
        (lambda url: sign(claims(url, exp=NOW - 31)), 401, "invalid_token"),  # expired, past the leeway
        (lambda url: sign(claims(url, exp=NOW - 5)), 200, None),  # within the 30 s leeway
        (lambda url: sign(claims(url, nbf=NOW + 120)), 401, "invalid_token"),  # not yet valid
        (lambda url: sign(claims(url, iat=NOW + 120)), 401, "invalid_token"),  # issued in the future
        (lambda url: sign(claims(url, aud="https://other.example.com")), 401, "invalid_token"),
        (lambda url: sign(claims(url, aud=[url, API])), 200, None),  # one of several audiences
        (lambda url: sign(claims(url, aud=url)), 401, "invalid_token"),  # a UserInfo token
        (lambda url: sign(claims("https://evil.example.com/acme")), 401, "invalid_token"),
        (lambda url: sign(claims(url), typ="JWT"), 401, "invalid_token"),  # an ID token's type
        (lambda url: sign(claims(url), typ="application/at+jwt"), 200, None),
        (lambda url: sign(claims(url), kind="EC", kid="ec"), 200, None),
        (lambda url: sign(claims(url), kind="EC", kid="rsa"), 401, "invalid_token"),  # the key of another alg
        (lambda url: sign(claims(url, client_id=None)), 401, "invalid_token"),
        (lambda url: sign(claims(url, jti=None)), 401, "invalid_token"),
        (lambda url: sign(claims(url, exp="soon")), 401, "invalid_token"),
        (lambda url: unsigned({"alg": "none", "typ": "at+jwt", "kid": "rsa"}, claims(url)), 401, "invalid_token"),
        (lambda url: hmac_with_public_key(claims(url)), 401, "invalid_token"),
        (lambda url: sign(claims(url))[:-4] + "AAAA", 401, "invalid_token"),  # signature altered
        (lambda url: sign(claims(url, scope="openid")), 403, "insufficient_scope"),
        (lambda url: sign(claims(url, cnf={"jkt": "abc"})), 401, "invalid_token"),  # bound, sent as bearer
        (lambda url: "e30.e30.e30", 401, "invalid_token"),
    ],
)
def test_tokens(api, issuer, token, status, error):
    response = call(api, "Bearer " + token(issuer.url))
    assert response.status_code == status, response.body
    if status == 200:
        assert len(api.app.calls) == 1
    elif status == 403:
        assert_refused(response, 403, 'Bearer error="insufficient_scope", scope="read"', error, api)
    else:
        assert_refused(response, status, f'Bearer error="{error}"', error, api)


@pytest.mark.parametrize(
    "authorization",
    ["Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer a b", "Bearer " + "x" * 9000, "Bearer tok\u00e9n", "Token x"],
)
def test_a_malformed_authorization_header_is_invalid_request(api, authorization):
    assert_refused(call(api, authorization), 400, 'Bearer error="invalid_request"', "invalid_request", api)


def test_no_token_gets_a_bare_challenge(api):
    assert_refused(call(api, None), 401, "Bearer", None, api)


def test_a_dpop_token_is_refused_when_no_proof_verification_is_wired(api, issuer):
    bound = sign(claims(issuer.url, cnf={"jkt": "thumbprint"}))
    assert_refused(call(api, "DPoP " + bound, dpop="a.b.c"), 401, 'Bearer error="invalid_token"', "invalid_token", api)


def test_unknown_kids_refetch_the_keys_at_most_once_per_floor(api, issuer, clock):
    def hits() -> int:
        count, issuer.hits[:] = len(issuer.hits), []
        return count

    assert call(api, "Bearer " + sign(claims(issuer.url))).status_code == 200
    assert hits() == 2  # discovery, then the JWKS
    assert call(api, "Bearer " + sign(claims(issuer.url))).status_code == 200 and hits() == 0  # kept
    issuer.documents["/acme/jwks.json"]["keys"].append(public_jwk("RSA", "new", alg="RS256"))
    rotated = "Bearer " + sign(claims(issuer.url), kid="new")
    assert call(api, rotated).status_code == 401 and hits() == 0  # fetched just now: not again yet
    clock[0] += rs_keys.REFETCH_AFTER
    assert call(api, rotated).status_code == 200 and hits() == 2  # once, for the unknown kid
    made_up = "Bearer " + sign(claims(issuer.url), kid="made-up")
    assert call(api, made_up).status_code == 401 and call(api, made_up).status_code == 401 and hits() == 0
    clock[0] += rs_keys.TTL
    assert call(api, rotated).status_code == 200 and hits() == 2  # the copy expired


@pytest.mark.parametrize(
    "change",
    [
        lambda issuer: setattr(issuer, "status", 500),
        lambda issuer: issuer.documents["/acme/.well-known/openid-configuration"].update(issuer="https://evil.test"),
        lambda issuer: issuer.documents["/acme/jwks.json"].update(keys="none"),
    ],
)
def test_an_issuer_whose_keys_cannot_be_read_makes_the_api_unavailable_not_open(api, issuer, clock, change):
    change(issuer)
    response = call(api, "Bearer " + sign(claims(issuer.url)))
    assert response.status_code == 503 and json.loads(response.body) == {"error": "temporarily_unavailable"}
    tried = len(issuer.hits)
    assert call(api, "Bearer " + sign(claims(issuer.url))).status_code == 503 and len(issuer.hits) == tried


def test_the_guard_refuses_an_issuer_on_loopback_unless_local_development_names_it(issuer):
    rs_keys.forget()
    with pytest.raises(rs_keys.Unavailable):
        DiscoveredKeys(issuer.url, Policy())("rsa")  # the deployment's policy: https, public addresses
    assert issuer.hits == []


def proof_app(issuer, clock, proofs):
    app = Chalice("dpop")
    verifier = AccessTokenVerifier(issuer.url, API, DiscoveredKeys(issuer.url, POLICY), clock=lambda: clock[0])

    @app.route("/books")
    @protected(app, verifier=lambda request: verifier, proofs=proofs, url=lambda request: API)
    def books(access_token):
        return {"scheme": access_token.scheme}

    return app


def checker(proof: str, method: str, url: str, token: str) -> str:
    """The seam's contract (chalicelib/oidc/dpop.py is wired to it): the proof's key thumbprint."""
    if proof == "stale":
        raise ProofRefused(nonce="fresh-nonce")
    if (method, url) != ("GET", API) or not token:
        raise ProofRefused()
    return proof


@pytest.mark.parametrize(
    ("scheme", "cnf", "proof", "status", "challenge"),
    [
        ("DPoP", {"jkt": "key-1"}, "key-1", 200, None),
        ("DPoP", {"jkt": "key-1"}, "key-2", 401, 'Bearer, DPoP error="invalid_dpop_proof", algs='),
        ("DPoP", {"jkt": "key-1"}, None, 401, 'Bearer, DPoP error="invalid_dpop_proof", algs='),
        ("DPoP", {"jkt": "key-1"}, "stale", 401, 'Bearer, DPoP error="use_dpop_nonce", algs='),
        ("DPoP", None, "key-1", 401, 'Bearer error="invalid_token", DPoP error="invalid_token", algs='),
        ("Bearer", {"jkt": "key-1"}, "key-1", 401, 'Bearer error="invalid_token", DPoP error="invalid_token", algs='),
        ("Bearer", None, None, 200, None),
    ],
)
def test_dpop_bound_tokens_need_a_proof_of_their_key(issuer, clock, scheme, cnf, proof, status, challenge):
    with Client(proof_app(issuer, clock, checker)) as client:
        headers = {"authorization": f"{scheme} " + sign(claims(issuer.url, cnf=cnf))}
        if proof is not None:
            headers["dpop"] = proof
        response = client.http.get("/books", headers=headers)
    assert response.status_code == status, response.body
    if challenge is not None:
        assert response.headers["WWW-Authenticate"].startswith(challenge)
    else:
        assert json.loads(response.body) == {"scheme": scheme}
    assert response.headers.get("DPoP-Nonce") == ("fresh-nonce" if proof == "stale" else None)


def test_the_short_form_discovers_the_issuers_keys(issuer, monkeypatch):
    """``protected(app, issuer=..., audience=...)`` finds the keys through discovery with the
    deployment's outbound policy (here the local-development one that lets 127.0.0.1 in)."""
    monkeypatch.setattr("chalicelib.outbound.policy_for", lambda hosts: POLICY)
    app = Chalice("short")

    @app.route("/books")
    @protected(app, issuer=issuer.url, audience=API)
    def books(access_token):
        return {"sub": access_token.sub}

    token = sign(claims(issuer.url, iat=int(time.time()) - 5, exp=int(time.time()) + 60))
    with Client(app) as client:
        assert client.http.get("/books", headers={"authorization": "Bearer " + token}).status_code == 200
    with pytest.raises(TypeError):
        protected(app, issuer=issuer.url)

"""Back-channel logout off the user's path and through the outbound guard, over HTTP against
the dev server, with moto's SQS and the queue consumer between them.

- A client registered (anonymously, over RFC 7591) with a back-channel URI whose name
  resolves to this machine, or one stored while the operator allowed it and no longer allowed:
  a logout happens, and a listener at that address sees no connection at all.
- Twenty clients with slow back-channel endpoints: the logout answers at once, and the
  twenty logout tokens still arrive through the queue and validate.

Network rule: the only addresses anything connects to are on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import jwt
import pytest
import requests

from chalicelib.admin import clients as client_admin
from chalicelib.admin import tenants as tenant_admin
from chalicelib.admin import users as user_admin
from tests.integration.conftest import (
    BACKCHANNEL_EVENT,
    EMULATOR,
    PASSWORD,
    REDIRECT_URI,
    authorization_url,
    wait_until,
)
from tests.support.user_agent import UserAgent

SLOW_ENDPOINTS = 20
SLOW_SECONDS = 2.5  # each RP takes this long to answer (within the guard's 3 s read timeout)


class Listener:
    """A TCP listener on 127.0.0.1 that records every connection made to it, HTTP or not."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.socket.settimeout(0.05)
        self.port = self.socket.getsockname()[1]
        self.connections: list[tuple[str, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, address = self.socket.accept()
            except TimeoutError:
                continue
            self.connections.append(address)
            connection.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.socket.close()


class SlowRelyingParties:
    """Back-channel logout endpoints on 127.0.0.1 that keep each token, then take
    ``SLOW_SECONDS`` to answer 200."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str]] = []  # (path, logout token)
        parties = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                parties.received.append((self.path, parse_qs(body)["logout_token"][0]))
                time.sleep(SLOW_SECONDS)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


def new_tenant(**settings):
    """A tenant (with alice) whose settings are the operator's ``settings``."""
    tenant = tenant_admin.create_tenant(f"bc-{uuid.uuid4().hex[:10]}", "Back channel", settings=settings)
    return tenant, user_admin.create_user(tenant.id, "alice", PASSWORD, {"name": "Alice"})


def sign_in_and_out(provider: str, issuer: str, *client_ids: str) -> tuple[float, requests.Response]:
    """alice signs in to each client in one browser, then logs out at the OP; returns how long
    the confirmed logout took and its answer."""
    browser = UserAgent(provider)
    for client_id in client_ids:
        browser.sign_in(authorization_url(issuer, client_id), "alice", PASSWORD)
    page = browser.visit(f"{issuer}/end-session")
    assert page.status_code == 200 and "Sign out?" in page.text
    started = time.perf_counter()
    done = browser.submit(page, "logout")
    elapsed = time.perf_counter() - started
    assert done.status_code == 200 and "You are signed out" in done.text
    return elapsed, done


def test_anonymous_registration_of_a_name_for_loopback_reaches_nothing(provider, listener, backchannel_events):
    """The name passes registration (names are resolved at delivery); at delivery it resolves
    to 127.0.0.1 and ::1, which the guard refuses before connecting."""
    tenant, _ = new_tenant(client_registration="open")
    issuer = f"{provider}/{tenant.id}"
    metadata = {
        "redirect_uris": [REDIRECT_URI],
        "client_name": "Attacker",
        "backchannel_logout_uri": f"https://localhost:{listener.port}/backchannel",
    }
    registered = requests.post(f"{issuer}/register", json=metadata, timeout=30)
    assert registered.status_code == 201, registered.text
    client_id = registered.json()["client_id"]

    sign_in_and_out(provider, issuer, client_id)
    (event,) = wait_until(lambda: backchannel_events({client_id}))
    assert event["outcome"] == "refused" and event["reason"] == "the URL's host is a loopback address"
    assert listener.connections == []


def test_a_target_the_operator_no_longer_allows_is_never_contacted(provider, listener, backchannel_events):
    """Stored while the operator listed the host (local development), refused once it is not."""
    tenant, _ = new_tenant(outbound_allowed_hosts=["127.0.0.1"])
    issuer = f"{provider}/{tenant.id}"
    client, _ = client_admin.create_client(
        tenant.id, name="Internal", client_type="confidential", redirect_uris=[REDIRECT_URI],
        backchannel_logout_uri=f"https://127.0.0.1:{listener.port}/backchannel",
    )  # fmt: skip
    tenant_admin.update_settings(tenant.id, {"outbound_allowed_hosts": []})

    sign_in_and_out(provider, issuer, client.client_id)
    (event,) = wait_until(lambda: backchannel_events({client.client_id}))
    assert event["outcome"] == "refused" and event["reason"] == "the URL's host is a loopback address"
    assert listener.connections == []


def test_slow_back_channel_endpoints_do_not_hold_the_logout(provider, consumer):
    """Twenty RPs that each take 2.5 s to answer: the logout queues twenty notices (two
    SendMessageBatch calls) and answers at once; the consumer delivers the twenty logout
    tokens, which validate against the tenant's JWKS."""
    tenant, alice = new_tenant(outbound_allowed_hosts=["127.0.0.1"])
    issuer = f"{provider}/{tenant.id}"
    slow = SlowRelyingParties()
    try:
        clients = [
            client_admin.create_client(
                tenant.id, name=f"RP {n}", client_type="confidential", redirect_uris=[REDIRECT_URI],
                require_consent=False, backchannel_logout_uri=f"{slow.origin}/rp-{n}",
            )[0]
            for n in range(SLOW_ENDPOINTS)
        ]  # fmt: skip
        EMULATOR.reset()
        elapsed, _ = sign_in_and_out(provider, issuer, *(client.client_id for client in clients))
        print(f"\nlogout with {SLOW_ENDPOINTS} slow back-channel endpoints: {elapsed * 1000:.0f} ms")
        assert elapsed < 1.0
        assert EMULATOR.snapshot()["sqs:SendMessageBatch"] == 2  # ten notices per call

        received = wait_until(lambda: len(slow.received) == SLOW_ENDPOINTS and slow.received, timeout=60)
    finally:
        slow.stop()
    jwks = requests.get(f"{issuer}/jwks.json", timeout=10).json()
    keys = {key["kid"]: jwt.PyJWK(key).key for key in jwks["keys"]}
    audiences, sessions = set(), set()
    for path, token in received:
        header = jwt.get_unverified_header(token)
        assert header["typ"] == "logout+jwt"
        client = clients[int(path.removeprefix("/rp-"))]  # each RP got its own token
        claims = jwt.decode(token, keys[header["kid"]], algorithms=["RS256"], audience=client.client_id, issuer=issuer)
        assert claims["events"] == {BACKCHANNEL_EVENT: {}} and "nonce" not in claims
        assert claims["exp"] - claims["iat"] == 120 and claims["jti"]
        audiences.add(claims["aud"])
        sessions.add((claims["sub"], claims["sid"]))
    assert audiences == {client.client_id for client in clients}
    ((sub, sid),) = sessions  # one session, told to every client
    assert sub == alice.sub and len(sid) == 32

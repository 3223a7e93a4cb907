"""Abuse suite: back-channel logout delivery held back by relying parties that answer slowly
on purpose, over HTTP against the dev server, with moto's SQS and the queue consumer (ten
deliveries at once, as the delivery function's maximum concurrency) between them.

The attacker registers ten clients anonymously, each with a back-channel URI that answers
200 and then drips its body one byte a second, within every read timeout; signs in to all
ten and logs out: ten notices take all ten delivery slots. Another tenant's user logs out a
moment later: their RP's logout token must not wait for the drips, only for the deadline
each exchange has as a whole (``Policy.exchange_timeout``).

Network rule: the only addresses anything connects to are on 127.0.0.1 (the attacker's
tenant lists it, as only local development allows)."""

from __future__ import annotations

import socket
import threading
import time
import uuid

import pytest

from chalicelib.admin import clients as client_admin
from chalicelib.admin import tenants as tenant_admin
from chalicelib.admin import users as user_admin
from chalicelib.outbound import Policy
from tests.integration.conftest import PASSWORD, REDIRECT_URI, wait_until
from tests.integration.test_abuse_registration import register
from tests.integration.test_backchannel import sign_in_and_out

SLOTS = 10  # the consumer's workers: the delivery function's maximum concurrency
DRIP_SECONDS = 1.0  # a byte a second: well within the guard's 3 s read timeout
DRIP_FOR = 60.0  # how long each dripping answer would go on if let


class DrippingRelyingParty:
    """Back-channel endpoints on 127.0.0.1 that read the request, answer ``200`` with a long
    Content-Length, then send the body one byte every ``DRIP_SECONDS``; it records how long
    each connection was held open by the provider."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.socket.settimeout(0.05)
        self.origin = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        self.open = 0
        self.held: list[float] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.socket.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._drip, args=(connection,), daemon=True).start()

    def _drip(self, connection: socket.socket) -> None:
        started = time.monotonic()
        with self._lock:
            self.open += 1
        try:
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
            connection.settimeout(DRIP_SECONDS)
            while time.monotonic() - started < DRIP_FOR and not self._stop.is_set():
                try:
                    if not connection.recv(1):  # the provider hung up
                        break
                except TimeoutError:  # a second passed: the next byte
                    connection.sendall(b"x")
        except OSError:  # the provider hung up
            pass
        finally:
            connection.close()
            with self._lock:
                self.open -= 1
                self.held.append(time.monotonic() - started)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.socket.close()


@pytest.fixture
def dripping():
    server = DrippingRelyingParty()
    yield server
    server.stop()


def test_dripping_back_channel_endpoints_hold_no_other_tenants_logout(
    provider, consumer, dripping, rp, backchannel_events
):
    """``rp`` is the other tenant's relying party, which answers at once."""
    attacker = tenant_admin.create_tenant(f"drip-{uuid.uuid4().hex[:10]}", "Open")
    tenant_admin.update_settings(attacker.id, {"client_registration": "open", "outbound_allowed_hosts": ["127.0.0.1"]})
    user_admin.create_user(attacker.id, "alice", PASSWORD, {"name": "Alice"})
    issuer = f"{provider}/{attacker.id}"
    drippers = set()
    for n in range(SLOTS):
        metadata = {
            "redirect_uris": [REDIRECT_URI],
            "client_name": f"Drip {n}",
            "backchannel_logout_uri": f"{dripping.origin}/bc-{n}",
        }
        answer = register(issuer, metadata, f"127.0.0.{20 + n}")
        assert answer.status_code == 201, answer.text
        drippers.add(answer.json()["client_id"])

    victim = tenant_admin.create_tenant(f"vict-{uuid.uuid4().hex[:10]}", "Victim")
    tenant_admin.update_settings(victim.id, {"outbound_allowed_hosts": ["127.0.0.1"]})
    user_admin.create_user(victim.id, "alice", PASSWORD, {"name": "Alice"})
    honest, _ = client_admin.create_client(
        victim.id, name="Victim RP", client_type="confidential", redirect_uris=[REDIRECT_URI],
        require_consent=False, backchannel_logout_uri=f"{rp.origin}/backchannel-logout",
    )  # fmt: skip

    sign_in_and_out(provider, issuer, *sorted(drippers))
    wait_until(lambda: dripping.open == SLOTS)  # every delivery slot is held by a drip
    logged_out = time.monotonic()
    sign_in_and_out(provider, f"{provider}/{victim.id}", honest.client_id)
    wait_until(lambda: rp.received, timeout=DRIP_FOR / 2)
    waited = time.monotonic() - logged_out
    print(f"\nthe victim's logout token waited {waited:.1f} s behind {SLOTS} dripping RPs")

    deadline = Policy().exchange_timeout
    # The first slot frees when its drip reaches the deadline (it started before this logout).
    assert waited < deadline + 1.0
    (token,) = rp.received
    assert set(token) == {"logout_token"}
    outcomes = wait_until(lambda: len(backchannel_events(drippers)) == SLOTS and backchannel_events(drippers))
    assert {(event["outcome"], event["reason"]) for event in outcomes} == {
        ("retry", "127.0.0.1: the exchange took too long")
    }
    held = wait_until(lambda: len(dripping.held) == SLOTS and dripping.held)  # each RP saw the hang-up
    assert max(held) < deadline + 1.0

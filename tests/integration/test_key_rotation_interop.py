"""A scheduled key rotation met by openid-client (Node, OpenID Certified) over HTTP.

openid-client keeps the JWKS it fetched for 5 minutes and refetches it for an unknown kid
only once its copy is a minute old: an RP that fetched the JWKS just before a key started to
sign fails on that key's first token (the control below shows it). Pre-published, the key
is in every copy fetched after its publication, so the switch goes unnoticed. The schedule
runs in this process with a chosen clock; the provider (its own dev server, trusting its
cached tenant for 0 s instead of 30, so each step is served at once) signs with whatever the
tenant record says. tests/unit/test_key_rotation.py drives whole rotations, with an RP
whose cache runs on the same clock."""

from __future__ import annotations

import uuid

import jwt
import pytest
import requests

from chalicelib.admin import clients as client_admin
from chalicelib.admin import keys as key_admin
from chalicelib.admin import rotation
from chalicelib.admin import tenants as tenant_admin
from chalicelib.admin import users as user_admin
from tests.integration.conftest import PASSWORD, REDIRECT_URI, dev_server, node_sign_in
from tests.support.node_rp import NodeError
from tests.support.user_agent import UserAgent

DAY = 86400
SETTINGS = {"key_rotation_days": 1, "key_prepublish_seconds": 1800, "token_expire": 600, "idtoken_expire": 600}


@pytest.fixture(scope="module")
def uncached_provider(consumer):
    """A dev server that caches no tenant record: a rotation shows in its JWKS at once."""
    with dev_server("chalice-local-uncached", CACHE_TTL_SECONDS="0") as base:
        yield base


@pytest.fixture
def world(uncached_provider):
    """A tenant rotating daily (published 30 minutes ahead), alice, and a web client."""
    tenant = tenant_admin.create_tenant(f"rot-{uuid.uuid4().hex[:10]}", "Rotating", settings=SETTINGS)
    user_admin.create_user(tenant.id, "alice", PASSWORD, {"email": "alice@example.com"})
    client = client_admin.create_client(tenant.id, name="Web", client_type="confidential", redirect_uris=[REDIRECT_URI])
    return tenant, client, f"{uncached_provider}/{tenant.id}"


def kid_of(token: str) -> str:
    return jwt.get_unverified_header(token)["kid"]


def served_kids(issuer: str) -> list[str]:
    response = requests.get(f"{issuer}/jwks.json", timeout=10)
    assert response.headers["Cache-Control"] == "public, max-age=300"
    return [key["kid"] for key in response.json()["keys"]]


def test_openid_client_verifies_every_id_token_across_a_scheduled_rotation(uncached_provider, world, node):
    tenant, (client, secret), issuer = world
    old = tenant.keys[0]["kid"]
    start = tenant.keys[0]["created_at"]
    timeline = []

    def run(at: int) -> None:
        steps = rotation.run(now=at).steps  # other tests' tenants share the table: only this one's
        timeline.extend((at - start, event, kid[:12]) for event, rotated, kid in steps if rotated == tenant.id)

    run(start + DAY - 1800)  # the next key is published half an hour before it signs
    (new,) = [kid for kid in served_kids(issuer) if kid != old]
    rp = node.configure(issuer, client, secret)
    signed_in, _ = node_sign_in(node, UserAgent(uncached_provider), rp)  # openid-client fetches the JWKS
    assert kid_of(signed_in["tokens"]["id_token"]) == old
    run(start + DAY)  # the new key signs
    refreshed = node("refresh", rp=rp, refresh_token=signed_in["tokens"]["refresh_token"])
    assert kid_of(refreshed["tokens"]["id_token"]) == new  # verified from the copy it had
    run(start + DAY + 600 + 120)  # every token of the old key has expired: it is retired
    assert served_kids(issuer) == [new]
    again = node("refresh", rp=rp, refresh_token=refreshed["tokens"]["refresh_token"])
    assert kid_of(again["tokens"]["id_token"]) == new and again["claims"]["iss"] == issuer
    print("\nopenid-client across a scheduled rotation (t: seconds since the first key was made)")
    for at, event, kid in timeline:
        print(f"  t+{at:>6}  {event:<14} {kid}")
    assert [event for _, event, _ in timeline] == ["key_published", "key_activated", "key_retired"]


def test_control_a_key_that_signs_unpublished_fails_openid_client(uncached_provider, world, node):
    """What pre-publication prevents: the same RP, a key that signs at once (``--now``)."""
    tenant, (client, secret), issuer = world
    rp = node.configure(issuer, client, secret)
    signed_in, _ = node_sign_in(node, UserAgent(uncached_provider), rp)
    key_admin.rotate_key(tenant.id, immediately=True)
    with pytest.raises(NodeError, match="no applicable keys found"):
        node("refresh", rp=rp, refresh_token=signed_in["tokens"]["refresh_token"])

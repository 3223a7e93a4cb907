"""The device authorization grant (RFC 8628) end to end with openid-client (Node, OpenID
Certified): its ``initiateDeviceAuthorization`` asks for the codes, its
``pollDeviceAuthorizationGrant`` polls the token endpoint in the background while a person
(this test, over HTTP with real forms) opens ``verification_uri_complete``, confirms the
code, signs in and approves; the library then validates the ID token (signature against the
JWKS, issuer, audience, expiry) and reads UserInfo. A denial reaches it as access_denied.

Authlib, the second library, implements the device grant on the server side only
(``authlib.oauth2.rfc8628``); as a client it has no device flow, so it is not used here.
"""

from __future__ import annotations

import pytest

from chalicelib.admin import clients as client_admin
from chalicelib.admin import tenants as tenant_admin
from tests.integration.conftest import PASSWORD
from tests.support.node_rp import NodeError
from tests.support.user_agent import UserAgent

GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@pytest.fixture
def device_client(tenant):
    # Polls every second, so the test does not wait the default five.
    tenant_admin.update_settings(tenant.id, {"device_poll_interval": 1})
    client, _ = client_admin.create_client(
        tenant.id, name="Living Room TV", client_type="public", redirect_uris=[], response_types=[],
        grant_types=[GRANT, "refresh_token"],
    )  # fmt: skip
    return client


def decide(provider: str, verification_uri_complete: str, decision: str) -> str:
    """The person: opens the link (the code is filled in, nothing is approved yet), presses
    Continue, signs in, and answers the consent page; returns the done page's text."""
    person = UserAgent(provider)
    page = person.visit(verification_uri_complete)
    assert page.status_code == 200 and "Connect a device" in page.text, page.text[:300]
    page = person.submit(page)
    assert 'name="password"' in page.text, f"{page.status_code}: {page.text[:300]}"
    page = person.submit(page, "login", username="alice", password=PASSWORD)
    assert page.status_code == 200 and "Approve" in page.text, f"{page.status_code}: {page.text[:300]}"
    done = person.submit(page, decision)
    assert done.status_code == 200
    return done.text


@pytest.mark.parametrize("tenant", ["envelope", "kms"], indirect=True)
def test_openid_client_gets_tokens_for_a_device_the_person_approves(provider, issuer, device_client, user, node):
    rp = node.configure(issuer, device_client, None, method="none")
    started = node("device_start", rp=rp, scope="openid profile email offline_access")
    assert started["verification_uri"] == f"{issuer}/device" and started["interval"] == 1
    assert "Device connected" in decide(provider, started["verification_uri_complete"], "approve")
    result = node("device_result", user_code=started["user_code"])
    assert result["claims"]["sub"] == user.sub and result["claims"]["iss"] == issuer
    assert result["claims"]["aud"] == device_client.client_id and result["claims"]["amr"] == ["pwd"]
    assert result["userinfo"]["email"] == "alice@example.com"
    refreshed = node("refresh", rp=rp, refresh_token=result["tokens"]["refresh_token"])
    assert refreshed["claims"]["sub"] == user.sub


@pytest.mark.parametrize("tenant", ["envelope"], indirect=True)
def test_openid_client_hears_a_denial_as_access_denied(provider, issuer, device_client, user, node):
    rp = node.configure(issuer, device_client, None, method="none")
    started = node("device_start", rp=rp, scope="openid")
    assert "Device not connected" in decide(provider, started["verification_uri_complete"], "deny")
    with pytest.raises(NodeError) as refused:
        node("device_result", user_code=started["user_code"])
    assert refused.value.details["error"] == "access_denied"

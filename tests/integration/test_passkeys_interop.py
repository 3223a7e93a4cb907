"""Relying-party libraries we did not write, reading a passkey sign-in: openid-client (Node,
OpenID Certified) and Authlib validate the ID token of a usernameless passkey sign-in asked
for with ``acr_values`` multi-factor, against the provider over real HTTP. The person at the
browser is tests/support/user_agent.py with the software authenticator of
tests/support/authenticator.py answering the pages' WebAuthn options (Chromium's virtual
authenticator drives the same pages in test_passkeys_browser.py)."""

from __future__ import annotations

import html
import json
import re
from urllib.parse import urljoin

import pytest
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import jwt
from authlib.oidc.core import CodeIDToken

from chalicelib.admin import tenants as tenant_admin
from chalicelib.oidc import acr
from tests.integration.authlib_client import discover, jwks
from tests.integration.conftest import PASSWORD, REDIRECT_URI
from tests.support.authenticator import SoftAuthenticator
from tests.support.forms import parse_forms
from tests.support.user_agent import UserAgent

OPTIONS = re.compile(r'data-options="([^"]*)"')
envelope_only = pytest.mark.parametrize("tenant", ["envelope"], indirect=True)


def options_of(page) -> dict:
    return json.loads(html.unescape(OPTIONS.search(page.text).group(1)))


def with_a_passkey(provider: str, issuer: str, url: str) -> SoftAuthenticator:
    """Alice signs in with her password at ``url`` and adds a passkey on her page."""
    agent, key = UserAgent(provider), SoftAuthenticator(origin=provider)
    agent.sign_in(url, "alice", PASSWORD)
    page = agent.visit(f"{issuer}/passkeys")
    form = next(form for form in parse_forms(page.text) if "credential" in form.fields)
    data = form.submission("passkey", credential=key.create(options_of(page)))
    added = agent.session.post(urljoin(page.url, form.action), data=data, allow_redirects=False)
    assert added.status_code == 200 and "Your passkey was added" in added.text, added.text[:500]
    return key


def passkey_sign_in(agent: UserAgent, key: SoftAuthenticator, url: str) -> str:
    """A new browser: the passkey alone on the login page, consent; the URL back to the RP."""
    page = agent.visit(url)
    page = agent.submit(page, "passkey", credential=key.get(options_of(page)))
    if page.status_code == 200 and "Allow" in page.text:
        page = agent.submit(page, "allow")
    assert page.status_code == 302, page.text[:500]
    return page.headers["Location"]


@envelope_only
def test_openid_client_validates_a_passkey_sign_in(provider, issuer, tenant, confidential_client, user, node):
    tenant_admin.update_settings(tenant.id, {"mfa_policy": "optional"})
    client, secret = confidential_client
    rp = node.configure(issuer, client, secret)
    key = with_a_passkey(provider, issuer, node("authorize", rp=rp, redirect_uri=REDIRECT_URI)["url"])
    started = node("authorize", rp=rp, redirect_uri=REDIRECT_URI, acr_values=acr.MULTI_FACTOR, max_age="600")
    callback = passkey_sign_in(UserAgent(provider), key, started["url"])
    claims = node("callback", state=started["state"], url=callback)["claims"]
    assert claims["sub"] == user.sub and claims["acr"] == acr.MULTI_FACTOR
    assert claims["amr"] == ["hwk", "user", "mfa"] and isinstance(claims["auth_time"], int)


@envelope_only
def test_authlib_accepts_a_passkey_sign_in_as_multi_factor(provider, issuer, tenant, confidential_client, user):
    tenant_admin.update_settings(tenant.id, {"mfa_policy": "optional"})
    metadata = discover(issuer)
    assert metadata["acr_values_supported"] == [acr.SINGLE_FACTOR, acr.MULTI_FACTOR]
    client, secret = confidential_client
    rp = OAuth2Session(
        client.client_id, secret, scope="openid", redirect_uri=REDIRECT_URI, code_challenge_method="S256"
    )
    verifier, nonce = generate_token(48), generate_token(20)
    url, _ = rp.create_authorization_url(
        metadata["authorization_endpoint"], nonce=nonce, code_verifier=verifier, acr_values=acr.MULTI_FACTOR
    )
    plain, _ = rp.create_authorization_url(metadata["authorization_endpoint"], nonce=generate_token(20))
    key = with_a_passkey(provider, issuer, plain)  # a password sign-in first (no acr_values: no second step)
    callback = passkey_sign_in(UserAgent(provider), key, url)
    token = rp.fetch_token(metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier)
    claims = jwt.decode(
        token["id_token"],
        jwks(metadata),
        claims_cls=CodeIDToken,
        claims_options={
            "iss": {"essential": True, "values": [metadata["issuer"]]},
            "acr": {"essential": True, "values": [acr.MULTI_FACTOR]},
        },
        claims_params={"nonce": nonce, "client_id": client.client_id},
    )
    claims.validate()
    assert claims["sub"] == user.sub and claims["amr"] == ["hwk", "user", "mfa"]

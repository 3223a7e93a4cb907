"""Relying-party libraries we did not write, reading how the user signed in: openid-client
(Node, OpenID Certified) and Authlib validate ID tokens carrying ``acr`` and ``amr`` after a
sign-in with a second factor, asked for with ``acr_values`` (and ``max_age``).

openid-client validates the ID token (signature, iss, aud, exp, iat, nonce, state) and passes
its claims on; Authlib is told the ``acr`` is essential with the multi-factor value, so it
refuses the single-factor token and accepts the stepped-up one, and with ``max_age`` checks
that ``auth_time`` is present."""

from __future__ import annotations

import re

import pyotp
import pytest
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import jwt
from authlib.jose.errors import InvalidClaimError
from authlib.oidc.core import CodeIDToken
from joserfc.errors import InvalidClaimError as JoseInvalidClaimError

from chalicelib.admin import tenants as tenant_admin
from chalicelib.oidc import acr
from tests.integration.authlib_client import discover, jwks
from tests.integration.conftest import PASSWORD, REDIRECT_URI
from tests.support.user_agent import UserAgent

SECRET = re.compile(r'<code class="secret" id="totp-secret">([A-Z2-7 ]+)</code>')
envelope_only = pytest.mark.parametrize("tenant", ["envelope"], indirect=True)


def through_second_factor(agent: UserAgent, url: str) -> str:
    """Alice at the browser: the password if asked, the enrolment (the code computed from the
    key the page shows), the recovery codes, consent if asked; the URL back to the RP."""
    page = agent.visit(url)
    if 'name="password"' in page.text:
        page = agent.submit(page, "login", username="alice", password=PASSWORD)
    assert "Set up two-step verification" in page.text, page.text[:500]
    secret = SECRET.search(page.text).group(1).replace(" ", "")
    page = agent.submit(page, "enrol", code=pyotp.TOTP(secret).now())
    assert "Your recovery codes" in page.text
    page = agent.submit(page, "continue")
    if page.status_code == 200 and "Allow" in page.text:
        page = agent.submit(page, "allow")
    assert page.status_code == 302, page.text[:500]
    return page.headers["Location"]


@envelope_only
def test_openid_client_validates_acr_and_amr_of_a_multi_factor_sign_in(
    provider, issuer, tenant, confidential_client, user, node
):
    tenant_admin.update_settings(tenant.id, {"mfa_policy": "optional"})
    client, secret = confidential_client
    rp = node.configure(issuer, client, secret)
    started = node("authorize", rp=rp, redirect_uri=REDIRECT_URI, acr_values=acr.MULTI_FACTOR, max_age="600")
    callback = through_second_factor(UserAgent(provider), started["url"])
    result = node("callback", state=started["state"], url=callback)
    claims = result["claims"]
    assert claims["sub"] == user.sub and claims["acr"] == acr.MULTI_FACTOR
    assert claims["amr"] == ["pwd", "otp", "mfa"] and isinstance(claims["auth_time"], int)
    # The refresh token's ID token says how the grant's sign-in was made, too.
    refreshed = node("refresh", rp=rp, refresh_token=result["tokens"]["refresh_token"])
    assert refreshed["claims"]["acr"] == acr.MULTI_FACTOR and refreshed["claims"]["amr"] == ["pwd", "otp", "mfa"]


def authlib_sign_in(metadata: dict, client, secret: str, agent: UserAgent, second_factor: bool, **params: str):
    """Authlib's code flow with PKCE; its ID token validated by Authlib with acr essential
    (multi-factor) and max_age. Returns the claims, or raises Authlib's claim error."""
    rp = OAuth2Session(
        client.client_id, secret, scope="openid", redirect_uri=REDIRECT_URI, code_challenge_method="S256"
    )
    verifier, nonce = generate_token(48), generate_token(20)
    url, _ = rp.create_authorization_url(
        metadata["authorization_endpoint"], nonce=nonce, code_verifier=verifier, max_age="600", **params
    )
    callback = through_second_factor(agent, url) if second_factor else agent.sign_in(url, "alice", PASSWORD)
    token = rp.fetch_token(metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier)
    claims = jwt.decode(
        token["id_token"],
        jwks(metadata),
        claims_cls=CodeIDToken,
        claims_options={
            "iss": {"essential": True, "values": [metadata["issuer"]]},
            "acr": {"essential": True, "values": [acr.MULTI_FACTOR]},
        },
        claims_params={"nonce": nonce, "client_id": client.client_id, "max_age": 600},
    )
    claims.validate()
    return claims


@envelope_only
def test_authlib_refuses_a_single_factor_token_and_accepts_the_stepped_up_one(
    provider, issuer, tenant, confidential_client, user
):
    tenant_admin.update_settings(tenant.id, {"mfa_policy": "optional"})
    metadata = discover(issuer)
    assert metadata["acr_values_supported"] == [acr.SINGLE_FACTOR, acr.MULTI_FACTOR]
    client, secret = confidential_client
    agent = UserAgent(provider)
    # Authlib's jose API reports claim errors through joserfc's class (or, in older Authlib, its own).
    with pytest.raises((InvalidClaimError, JoseInvalidClaimError), match="acr"):
        authlib_sign_in(metadata, client, secret, agent, second_factor=False)
    # The same browser session, asked for multi-factor strength: the second factor only.
    claims = authlib_sign_in(metadata, client, secret, agent, second_factor=True, acr_values=acr.MULTI_FACTOR)
    assert claims["acr"] == acr.MULTI_FACTOR and claims["amr"] == ["pwd", "otp", "mfa"]

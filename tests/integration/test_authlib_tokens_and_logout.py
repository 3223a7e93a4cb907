"""Authlib after sign-in: a resource server introspects the client's tokens (RFC 7662), the
client revokes them (RFC 7009) and they stop working, and RP-initiated logout ends the
session at the OP and reaches the client's back channel, where Authlib validates the logout
token (RP-Initiated Logout 1.0, Back-Channel Logout 1.0)."""

from __future__ import annotations

import time

import pytest
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session, OAuthError
from authlib.jose import jwt

from tests.integration.authlib_client import AuthlibClient, discover, jwks, sign_in, validated_id_token
from tests.integration.conftest import BACKCHANNEL_EVENT, LOGGED_OUT, REDIRECT_URI, wait_until
from tests.support.user_agent import UserAgent


def introspect(api: OAuth2Session, metadata: dict, token: str, hint: str | None = None) -> dict:
    response = api.introspect_token(metadata["introspection_endpoint"], token=token, token_type_hint=hint)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    return response.json()


def assert_dead(rp: OAuth2Session, api: OAuth2Session, metadata: dict, token: dict) -> None:
    """Every token of the grant is refused: UserInfo 401, refresh invalid_grant, and
    introspection says inactive."""
    userinfo = rp.get(metadata["userinfo_endpoint"])
    assert userinfo.status_code == 401 and 'error="invalid_token"' in userinfo.headers["WWW-Authenticate"]
    with pytest.raises(OAuthError) as refused:
        rp.refresh_token(metadata["token_endpoint"], refresh_token=token["refresh_token"])
    assert refused.value.error == "invalid_grant"
    for value in (token["access_token"], token["refresh_token"]):
        assert introspect(api, metadata, value) == {"active": False}


def test_introspection_then_revocation_of_the_refresh_token(
    provider, issuer, confidential_client, resource_server, user
):
    client, secret = confidential_client
    metadata = discover(issuer)
    rp, token, _ = sign_in(provider, metadata, client, secret, scope="openid email")
    api = OAuth2Session(resource_server[0].client_id, resource_server[1])

    access = introspect(api, metadata, token["access_token"], "access_token")
    assert access["active"] is True and access["token_type"] == "Bearer"
    assert access["client_id"] == client.client_id and access["sub"] == user.sub and access["username"] == "alice"
    assert access["scope"] == "openid email" and access["iss"] == issuer and access["exp"] > time.time()
    refresh = introspect(api, metadata, token["refresh_token"], "refresh_token")
    assert refresh["active"] is True and refresh["token_type"] == "refresh_token"
    assert refresh["client_id"] == client.client_id and refresh["sub"] == user.sub
    assert refresh["scope"] == "openid email" and refresh["iss"] == issuer

    revoked = rp.revoke_token(
        metadata["revocation_endpoint"], token=token["refresh_token"], token_type_hint="refresh_token"
    )
    assert revoked.status_code == 200
    assert_dead(rp, api, metadata, token)


def test_revoking_the_access_token_ends_its_grant(provider, issuer, confidential_client, resource_server, user):
    client, secret = confidential_client
    metadata = discover(issuer)
    rp, token, _ = sign_in(provider, metadata, client, secret)
    api = OAuth2Session(resource_server[0].client_id, resource_server[1])
    assert rp.get(metadata["userinfo_endpoint"]).json()["sub"] == user.sub

    # No hint: the OP finds out what the token is (RFC 7009 §2.1).
    assert rp.revoke_token(metadata["revocation_endpoint"], token=token["access_token"]).status_code == 200
    assert_dead(rp, api, metadata, token)


def test_rp_initiated_and_back_channel_logout(provider, issuer, logout_client, user, rp):
    client, secret = logout_client
    metadata = discover(issuer)
    assert metadata["backchannel_logout_supported"] and metadata["backchannel_logout_session_supported"]
    browser = UserAgent(provider)
    _, token, nonce = sign_in(provider, metadata, client, secret, browser)
    sid = validated_id_token(metadata, token, client.client_id, nonce)["sid"]

    state = generate_token(20)
    logout = AuthlibClient(issuer, client.client_id, secret).create_logout_url(
        post_logout_redirect_uri=LOGGED_OUT, id_token_hint=token["id_token"], state=state
    )
    assert logout["url"].startswith(f"{metadata['end_session_endpoint']}?")
    assert browser.sign_out(logout["url"]) == f"{LOGGED_OUT}?state={state}"

    # Back-Channel Logout §2.6: signature, iss, aud, iat, jti, the event, no nonce.
    (posted,) = wait_until(lambda: rp.received)  # delivered from the queue, in its own time
    claims = jwt.decode(
        posted["logout_token"],
        jwks(metadata),
        claims_options={
            "iss": {"essential": True, "values": [issuer]},
            "aud": {"essential": True, "values": [client.client_id]},
            "iat": {"essential": True},
            "jti": {"essential": True},
            "events": {"essential": True},
        },
    )
    claims.validate()
    assert claims.header["typ"] == "logout+jwt"
    assert claims["events"] == {BACKCHANNEL_EVENT: {}} and "nonce" not in claims
    assert claims["sub"] == user.sub and claims["sid"] == sid

    again = OAuth2Session(client.client_id, secret, scope="openid", redirect_uri=REDIRECT_URI)
    url, _ = again.create_authorization_url(metadata["authorization_endpoint"], nonce=generate_token(20))
    assert browser.asked_to_sign_in(url)  # the OP session is gone

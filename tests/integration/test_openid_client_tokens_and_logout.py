"""openid-client (Node, OpenID Certified) after sign-in: a resource server introspects the
client's tokens (RFC 7662), the client revokes them (RFC 7009) and they stop working, and
RP-initiated logout ends the session at the OP and reaches the client's back channel
(RP-Initiated Logout 1.0, Back-Channel Logout 1.0)."""

from __future__ import annotations

import time

import pytest

from tests.integration.conftest import BACKCHANNEL_EVENT, LOGGED_OUT, REDIRECT_URI, node_sign_in, wait_until
from tests.support.node_rp import NodeError
from tests.support.user_agent import UserAgent


def assert_dead(node, rp: str, api: str, tokens: dict, sub: str) -> None:
    """Every token of the grant is refused: UserInfo 401, refresh invalid_grant, and
    introspection says inactive."""
    with pytest.raises(NodeError) as userinfo:
        node("userinfo", rp=rp, access_token=tokens["access_token"], sub=sub)
    assert userinfo.value.details["status"] == 401 and userinfo.value.details["error"] == "invalid_token"
    with pytest.raises(NodeError) as refresh:
        node("refresh", rp=rp, refresh_token=tokens["refresh_token"])
    assert refresh.value.details["status"] == 400 and refresh.value.details["error"] == "invalid_grant"
    for token in (tokens["access_token"], tokens["refresh_token"]):
        assert node("introspect", rp=api, token=token) == {"active": False}


def test_introspection_then_revocation_of_the_refresh_token(
    provider, issuer, confidential_client, resource_server, user, node
):
    client, secret = confidential_client
    rp = node.configure(issuer, client, secret)
    api = node.configure(issuer, resource_server[0], resource_server[1])
    result, _ = node_sign_in(node, UserAgent(provider), rp, scope="openid email")
    tokens = result["tokens"]

    access = node("introspect", rp=api, token=tokens["access_token"], token_type_hint="access_token")
    assert access["active"] is True and access["token_type"] == "Bearer"
    assert access["client_id"] == client.client_id and access["sub"] == user.sub and access["username"] == "alice"
    assert access["scope"] == "openid email" and access["iss"] == issuer and access["exp"] > time.time()
    refresh = node("introspect", rp=api, token=tokens["refresh_token"], token_type_hint="refresh_token")
    assert refresh["active"] is True and refresh["token_type"] == "refresh_token"
    assert refresh["client_id"] == client.client_id and refresh["sub"] == user.sub
    assert refresh["scope"] == "openid email" and refresh["iss"] == issuer

    assert node("revoke", rp=rp, token=tokens["refresh_token"], token_type_hint="refresh_token") == {}
    assert_dead(node, rp, api, tokens, user.sub)


def test_revoking_the_access_token_ends_its_grant(provider, issuer, confidential_client, resource_server, user, node):
    client, secret = confidential_client
    rp = node.configure(issuer, client, secret)
    api = node.configure(issuer, resource_server[0], resource_server[1])
    result, _ = node_sign_in(node, UserAgent(provider), rp)
    tokens = result["tokens"]
    assert node("userinfo", rp=rp, access_token=tokens["access_token"], sub=user.sub)["sub"] == user.sub

    assert node("revoke", rp=rp, token=tokens["access_token"]) == {}  # no hint: the OP finds out
    assert_dead(node, rp, api, tokens, user.sub)


def test_rp_initiated_and_back_channel_logout(provider, issuer, logout_client, user, rp, node):
    """``rp`` is the RP's web server (its back-channel endpoint); ``node_rp`` its
    openid-client half."""
    client, secret = logout_client
    node_rp = node.configure(issuer, client, secret)
    browser = UserAgent(provider)
    result, _ = node_sign_in(node, browser, node_rp)

    url = node(
        "end_session_url",
        rp=node_rp,
        id_token_hint=result["tokens"]["id_token"],
        post_logout_redirect_uri=LOGGED_OUT,
        state="rp-state-1",
    )["url"]
    assert url.startswith(f"{issuer}/end-session?")
    assert browser.sign_out(url) == f"{LOGGED_OUT}?state=rp-state-1"

    (posted,) = wait_until(lambda: rp.received)  # delivered from the queue, in its own time
    logout_token = node("verify_logout_token", rp=node_rp, token=posted["logout_token"])
    assert logout_token["header"]["typ"] == "logout+jwt"
    claims = logout_token["claims"]
    assert claims["sub"] == user.sub and claims["sid"] == result["claims"]["sid"]
    assert claims["events"] == {BACKCHANNEL_EVENT: {}}

    again = node("authorize", rp=node_rp, redirect_uri=REDIRECT_URI)
    assert browser.asked_to_sign_in(again["url"])  # the OP session is gone

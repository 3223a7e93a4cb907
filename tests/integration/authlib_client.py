"""Authlib as the relying party: discovery, sign-in, and ID token validation by Authlib's
own claim classes (authlib.oidc.core) against the JWKS, or the client secret for HS256."""

from __future__ import annotations

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client import BaseApp, FrameworkIntegration, OAuth2Mixin, OpenIDMixin
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.oidc.core import CodeIDToken

from tests.integration.conftest import PASSWORD, REDIRECT_URI
from tests.support.user_agent import UserAgent


def discover(issuer: str) -> dict:
    metadata = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=5).json()
    assert metadata["issuer"] == issuer
    return metadata


def jwks(metadata: dict):
    return JsonWebKey.import_key_set(requests.get(metadata["jwks_uri"], timeout=5).json())


def validated_id_token(
    metadata: dict, response: dict, client_id: str, nonce: str | None, claims_cls=CodeIDToken, key=None
):
    """The ``id_token`` of a token response or an authorization response, validated by
    Authlib: signature (against the JWKS unless ``key`` is given), iss, aud, exp, iat, nonce,
    and at_hash and c_hash against the access token and code it came with."""
    claims = jwt.decode(
        response["id_token"],
        key if key is not None else jwks(metadata),
        claims_cls=claims_cls,
        claims_options={"iss": {"essential": True, "values": [metadata["issuer"]]}},
        claims_params={
            "nonce": nonce,
            "client_id": client_id,
            "access_token": response.get("access_token"),
            "code": response.get("code"),
        },
    )
    claims.validate()
    return claims


def sign_in(provider: str, metadata: dict, client, secret: str, browser: UserAgent | None = None, scope="openid"):
    """The code flow with PKCE: returns the session (holding the tokens), the token response
    and the nonce."""
    rp = OAuth2Session(client.client_id, secret, scope=scope, redirect_uri=REDIRECT_URI, code_challenge_method="S256")
    verifier, nonce = generate_token(48), generate_token(20)
    url, _ = rp.create_authorization_url(metadata["authorization_endpoint"], nonce=nonce, code_verifier=verifier)
    callback = (browser or UserAgent(provider)).sign_in(url, "alice", PASSWORD)
    token = rp.fetch_token(metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier)
    return rp, token, nonce


class AuthlibClient(OAuth2Mixin, OpenIDMixin, BaseApp):
    """Authlib's framework-neutral client app, the one its Flask, Django and Starlette clients
    build on: it reads discovery itself and builds RP-Initiated Logout URLs
    (``create_logout_url``) from the end_session_endpoint."""

    client_cls = OAuth2Session

    def __init__(self, issuer: str, client_id: str, client_secret: str) -> None:
        super().__init__(
            FrameworkIntegration("interop"),
            client_id=client_id,
            client_secret=client_secret,
            server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        )

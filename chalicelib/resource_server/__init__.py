"""Protecting an API with this provider's access tokens: ``@protected`` for Chalice routes.

A package of its own, so that another Chalice app can vendor it: it needs PyJWT and
cryptography, and ``chalicelib.outbound`` to fetch the issuer's keys (no storage, nothing
else of the provider's). ``verify`` holds the checks (plain values), ``keys`` the issuer's
keys found through discovery, ``decorator`` the Chalice adapter.

    @app.route("/books")
    @protected(app, issuer="https://id.example.com/acme", audience="https://api.example.com", scopes=["books:read"])
    def books(access_token):
        return {"sub": access_token.sub}
"""

from chalicelib.resource_server.decorator import protected
from chalicelib.resource_server.keys import DiscoveredKeys, Unavailable
from chalicelib.resource_server.verify import AccessTokenVerifier, ProofRefused, Refusal, VerifiedToken

__all__ = [
    "AccessTokenVerifier",
    "DiscoveredKeys",
    "ProofRefused",
    "Refusal",
    "Unavailable",
    "VerifiedToken",
    "protected",
]

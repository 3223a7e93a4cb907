"""Request objects (RFC 9101) as a client signs them, for the unit and integration tests: the
private keys are tests.support.client_keys' (one per kind), their public JWKs registered."""

from __future__ import annotations

import base64
import json
import secrets
import time
from typing import Any

import jwt
from jwt.algorithms import OKPAlgorithm

from tests.support.client_keys import KIND_OF, private_key, public_jwk

KIDS = {"RSA": "rsa", "EC": "ec", "OKP": "okp"}


def client_jwks() -> dict[str, Any]:
    """The JWK Set a signing client registers: one RSA, one EC P-256 and one Ed25519 key."""
    return {"keys": [public_jwk(kind, kid) for kind, kid in KIDS.items()]}


def request_object(
    client: str,
    audience: Any,
    params: dict[str, Any],
    *,
    alg: str = "RS256",
    kid: str | None = "default",
    key: Any = None,
    now: int | None = None,
    typ: str | None = "oauth-authz-req+jwt",
    **claims: Any,
) -> str:
    """``params`` as a request object of ``client`` (its id) for ``audience``, signed with the test
    key of ``alg`` (``alg="none"``: unsigned); ``claims`` override the JWT claims (None removes)."""
    now = int(time.time()) if now is None else now
    payload = {"iss": client, "aud": audience, "client_id": client, "iat": now, "nbf": now, "exp": now + 60}
    payload.update(jti=secrets.token_urlsafe(16), **params)
    payload.update(claims)
    payload = {name: value for name, value in payload.items() if value is not None}
    header = {"typ": typ} if typ else {}
    if alg == "none":
        encoded = [base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()
                   for part in ({"alg": "none", **header}, payload)]  # fmt: skip
        return ".".join(encoded) + "."
    kind = KIND_OF.get(alg)
    if kid == "default":
        kid = KIDS[kind] if kind else None
    if kid is not None:
        header["kid"] = kid
    signer = jwt.PyJWS()
    if alg == "Ed25519":  # RFC 9864's name for EdDSA with Ed25519, which PyJWT does not know
        signer.register_algorithm("Ed25519", OKPAlgorithm())
    signing_key = key if key is not None else private_key(kind, 2048)
    return signer.encode(json.dumps(payload).encode(), signing_key, algorithm=alg, headers=header)


def _unsigned(header: Any, payload: Any) -> str:
    parts = (json.dumps(part).encode() if not isinstance(part, bytes) else part for part in (header, payload))
    return ".".join(base64.urlsafe_b64encode(part).rstrip(b"=").decode() for part in parts) + "."


def hostile_objects(client_id: str) -> list[str]:
    """Request objects a fuzzer sends in ``client_id``'s name: unsigned (some a tenant that
    allows them takes), with claims of every wrong type, odd headers, JWE- and garbage-shaped."""
    good = {"client_id": client_id, "response_type": "code", "redirect_uri": "https://rp.example.com/callback",
            "scope": "openid", "nonce": "n", "state": "s"}  # fmt: skip
    none = {"alg": "none"}
    return [
        _unsigned(none, good),
        _unsigned(none, {**good, "max_age": 1.5}),
        _unsigned(none, {**good, "max_age": -1}),
        _unsigned(none, {**good, "claims": {"id_token": {"acr": {"essential": True, "values": [1, None]}}}}),
        _unsigned(none, {**good, "claims": "not an object"}),
        _unsigned(none, {**good, "exp": 1e308, "iat": True, "nbf": "x"}),
        _unsigned(none, {**good, "aud": [None, {}], "iss": 5, "jti": ["x"]}),
        _unsigned(none, {**good, "request": "a.b.", "request_uri": 3}),
        _unsigned(none, {**good, "prompt": {"none": 1}, "scope": None, "state": "é" * 3000}),
        _unsigned({"alg": "none", "crit": ["exp"]}, good),
        _unsigned({"alg": ["RS256"], "kid": {}}, good),
        _unsigned({"alg": "RS256", "kid": 7}, good),
        _unsigned({"alg": "RS256", "kid": "rsa", "typ": 5}, good)[:-1] + ".c2ln",
        _unsigned({"alg": "none", "enc": "A256GCM"}, good),
        _unsigned(none, b"[" * 5000),
        _unsigned(none, b"\xff\xfe"),
        _unsigned(b"{", good),
        "a.b.c.d.e",
        "..",
        "x" * 17000,
    ]

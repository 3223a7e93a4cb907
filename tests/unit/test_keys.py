"""Signing keys on every backend, every algorithm: JWTs verify against the published JWK;
rotation keeps old keys published; private keys never reach DynamoDB in the clear."""

from __future__ import annotations

import json

import jwt
import pytest

from chalicelib.admin import AdminError
from chalicelib.admin import keys as key_admin
from chalicelib.admin import tenants as tenant_admin
from chalicelib.keys import jws
from chalicelib.keys.keyring import KeyRing
from chalicelib.keys.signer import signer_for

NOW = 1_800_000_000


@pytest.mark.parametrize(
    ("backend", "alg"),
    [
        ("envelope", "RS256"),
        ("envelope", "PS256"),
        ("envelope", "ES256"),
        ("secretsmanager", "RS256"),
        ("secretsmanager", "PS256"),
        ("secretsmanager", "ES256"),
        ("kms", "RS256"),
        ("kms", "ES256"),
        # Not ("kms", "PS256"): KMS salts PSS with the digest length, as JOSE requires, but
        # moto salts with the maximum length, so its signatures fail a correct verifier.
    ],
)
def test_signed_tokens_verify_with_the_published_key(backend, alg):
    key = key_admin.new_key("acme", alg, backend)
    claims = {"iss": "https://op.example/acme", "sub": "s", "iat": NOW, "exp": NOW + 60}
    token = jws.encode(claims, signer_for("acme", key), typ="at+jwt")
    header = jwt.get_unverified_header(token)
    assert header == {"alg": alg, "kid": key["kid"], "typ": "at+jwt"}
    assert (
        jwt.decode(
            token, jwt.PyJWK(key["jwk"]).key, algorithms=[alg], options={"verify_exp": False, "verify_iat": False}
        )
        == claims
    )
    ring = {key["kid"]: key["jwk"]}
    assert jws.decode(token, ring, issuer="https://op.example/acme", typ="at+jwt", now=NOW) == claims
    assert jws.decode(token, ring, issuer="https://op.example/acme", typ="JWT", now=NOW) is None
    assert jws.decode(token, ring, issuer="https://op.example/other", typ="at+jwt", now=NOW) is None
    assert jws.decode(token, ring, issuer="https://op.example/acme", typ="at+jwt", now=NOW + 60) is None
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert jws.decode(tampered, ring, issuer="https://op.example/acme", typ="at+jwt", now=NOW) is None


def test_alg_none_and_unknown_kids_are_refused():
    key = key_admin.new_key("acme", "RS256", "secretsmanager")
    ring = {key["kid"]: key["jwk"]}
    unsigned = jwt.encode(
        {"iss": "i", "sub": "s", "iat": NOW, "exp": NOW + 60},
        None,
        algorithm="none",
        headers={"kid": key["kid"], "typ": "at+jwt"},
    )
    assert jws.decode(unsigned, ring, issuer="i", typ="at+jwt", now=NOW) is None
    hs = jwt.encode(
        {"iss": "i", "sub": "s", "iat": NOW, "exp": NOW + 60},
        "k" * 32,
        algorithm="HS256",
        headers={"kid": key["kid"], "typ": "at+jwt"},
    )
    assert jws.decode(hs, ring, issuer="i", typ="at+jwt", now=NOW) is None


def test_an_immediate_rotation_publishes_old_keys_until_retired():
    tenant = tenant_admin.create_tenant("acme", "Acme")
    first = tenant.keys[0]["kid"]
    second = key_admin.rotate_key("acme", immediately=True)["kid"]
    stored = tenant_admin.get_tenant("acme")
    ring = KeyRing("acme", stored.keys)
    assert [k["kid"] for k in ring.jwks()["keys"]] == [first, second]
    assert ring.signer("RS256").kid == second
    with pytest.raises(AdminError):
        key_admin.retire_key("acme", second)
    key_admin.retire_key("acme", first)
    keys = tenant_admin.get_tenant("acme").keys
    assert [k["kid"] for k in KeyRing("acme", keys).jwks()["keys"]] == [second]
    # The retired key keeps no key material in the record, only what says what it was.
    assert set(keys[0]) == {"kid", "alg", "backend", "ref", "status", "created_at", "retired_at"}


def test_private_keys_are_never_stored_in_dynamodb_in_the_clear(table_items):
    from cryptography.hazmat.primitives import serialization

    from chalicelib.keys import envelope

    tenant_admin.create_tenant("acme", "Acme")
    tenant_admin.create_tenant("smco", "SM Co", key_backend="secretsmanager")
    tenant_admin.create_tenant("kmsco", "KMS Co", key_backend="kms")
    key_admin.rotate_key("acme", "ES256")
    dump = json.dumps(table_items())
    assert "PRIVATE KEY" not in dump
    sealed = 0
    for item in table_items():
        for key in json.loads(item.get("keys", {}).get("S", "[]")):
            assert set(key["jwk"]) <= {"kty", "n", "e", "crv", "x", "y", "kid", "alg", "use"}
            if key["backend"] == "envelope":
                private = envelope.open_key("acme", key, "unit")
                der = private.private_bytes(
                    serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
                assert der.hex() not in dump and der[-64:].hex() not in dump
                sealed += 1
    assert sealed == 2


def test_kms_signer_sends_raw_messages_up_to_the_limit_then_digests(monkeypatch):
    from chalicelib.keys import kms

    key = key_admin.new_key("acme", "RS256", "kms")
    sent = []
    real = kms.aws.client("kms")

    class Recorder:
        def sign(self, **kwargs):
            sent.append((kwargs["MessageType"], len(kwargs["Message"])))
            return real.sign(**kwargs)

    monkeypatch.setattr(kms.aws, "client", lambda service: Recorder())
    signer = kms.KmsSigner(key["ref"], key["kid"], "RS256")
    signer.sign(b"x" * 4096)
    signer.sign(b"x" * 4097)
    assert sent == [("RAW", 4096), ("DIGEST", 32)]

"""A software WebAuthn authenticator for tests without a browser: it answers the provider's
creation and request options the way a platform authenticator and the browser together do
(WebAuthn Level 2 §6.1, §6.5, §7), with an ES256 key per credential, "none" attestation,
user presence and verification, and a signature counter it can be told to misreport.

Only the bytes on the wire are built here; every check is left to the provider (and the
``webauthn`` library it uses), which is what the tests examine."""

from __future__ import annotations

import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib.opaque import b64url, b64url_decode

UP, UV, BE, AT = 0x01, 0x04, 0x08, 0x40


@dataclass
class Credential:
    id: bytes
    key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    count: int = 0


@dataclass
class SoftAuthenticator:
    origin: str
    credentials: list[Credential] = field(default_factory=list)
    user_verified: bool = True
    backup_eligible: bool = False
    counting: bool = True  # False: the counter stays 0, as many platform passkeys do

    def create(self, options: dict, origin: str | None = None) -> str:
        """``navigator.credentials.create()`` for ``options`` (the JSON the page carries)."""
        credential = Credential(
            secrets.token_bytes(32),
            ec.generate_private_key(ec.SECP256R1()),
            options["rp"]["id"],
            b64url_decode(options["user"]["id"]),
        )
        self.credentials.append(credential)
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        numbers = credential.key.public_key().public_numbers()
        cose = {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
        attested = bytes(16) + struct.pack(">H", len(credential.id)) + credential.id + cbor2.dumps(cose)
        auth_data = self._auth_data(credential, AT) + attested
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        response = {"clientDataJSON": b64url(client_data), "attestationObject": b64url(attestation),
                    "transports": ["internal"]}  # fmt: skip
        return self._json(credential, response)

    def get(self, options: dict, credential: Credential | None = None, origin: str | None = None) -> str:
        """``navigator.credentials.get()``: the given credential (else the newest one for
        the RP, as a discoverable credential picker would offer it)."""
        credential = credential or next(c for c in reversed(self.credentials) if c.rp_id == options["rpId"])
        if self.counting:
            credential.count += 1
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        auth_data = self._auth_data(credential, 0)
        signature = credential.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        response = {
            "clientDataJSON": b64url(client_data),
            "authenticatorData": b64url(auth_data),
            "signature": b64url(signature),
            "userHandle": b64url(credential.user_handle),
        }
        return self._json(credential, response)

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        values = {"type": kind, "challenge": challenge, "origin": origin or self.origin, "crossOrigin": False}
        return json.dumps(values).encode()

    def _auth_data(self, credential: Credential, extra: int) -> bytes:
        flags = UP | (UV if self.user_verified else 0) | (BE if self.backup_eligible else 0) | extra
        rp_hash = hashlib.sha256(credential.rp_id.encode()).digest()
        return rp_hash + bytes([flags]) + struct.pack(">I", credential.count)

    @staticmethod
    def _json(credential: Credential, response: dict) -> str:
        identifier = b64url(credential.id)
        values = {"id": identifier, "rawId": identifier, "type": "public-key", "response": response}
        return json.dumps({**values, "clientExtensionResults": {}, "authenticatorAttachment": "platform"})

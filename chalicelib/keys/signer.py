"""The signer interface and the factory that picks an implementation from key metadata.

A tenant's key metadata (in its tenant record) names the backend: ``secretsmanager`` (the
PEM is read once per container, signing is local: no AWS call per token) or ``kms`` (the
private key never leaves KMS: one ``Sign`` call per signature).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any, Protocol


class Signer(Protocol):
    kid: str | None  # None for a client's own HS256 secret
    alg: str

    def sign(self, signing_input: bytes) -> bytes:
        """The JWS signature (RFC 7515 §5.1) of ``signing_input``."""
        ...


_lock = threading.Lock()
_signers: dict[str, Signer] = {}


def signer_for(key: Mapping[str, Any]) -> Signer:
    """The signer for a key's metadata, built once per container."""
    ref = key["ref"]
    existing = _signers.get(ref)
    if existing is not None:
        return existing
    with _lock:
        if ref not in _signers:
            _signers[ref] = _build(key)
        return _signers[ref]


def _build(key: Mapping[str, Any]) -> Signer:
    backend = key["backend"]
    if backend == "secretsmanager":
        from chalicelib.keys.secretsmanager import SecretsManagerSigner

        return SecretsManagerSigner(key["ref"], key["kid"], key["alg"])
    if backend == "kms":
        from chalicelib.keys.kms import KmsSigner

        return KmsSigner(key["ref"], key["kid"], key["alg"])
    raise ValueError(f"unknown key backend: {backend}")


def forget() -> None:
    with _lock:
        _signers.clear()

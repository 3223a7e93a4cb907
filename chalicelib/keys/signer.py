"""The signer interface and the factory that picks an implementation from key metadata.

A tenant's key metadata (in its tenant record) names the backend: ``envelope`` (the default:
the private key is sealed in the record under a data key that the deployment's KMS key
wraps; decrypted once per container, signing is local), ``secretsmanager`` (the PEM is read
once per container, signing is local) or ``kms`` (the private key never leaves KMS: one
``Sign`` call per signature).

Signers are kept per container in a least-recently-used cache of bounded size: a container
that serves 100,000 tenants in turn keeps the most recent ones' keys, not all of them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Protocol

from chalicelib.settings import settings


class Signer(Protocol):
    kid: str | None  # None for a client's own HS256 secret
    alg: str

    def sign(self, signing_input: bytes) -> bytes:
        """The JWS signature (RFC 7515 §5.1) of ``signing_input``."""
        ...


_lock = threading.Lock()
_signers: OrderedDict[tuple[str, str, str], Signer] = OrderedDict()


def signer_for(tenant_id: str, key: Mapping[str, Any]) -> Signer:
    """The signer for one of ``tenant_id``'s keys, built once per container (while cached)."""
    # The tenant is part of the identity: an envelope key is bound to its tenant by KMS's
    # encryption context, so the same metadata under another tenant is another (failing) key.
    name = (tenant_id, key["kid"], key["backend"])
    with _lock:
        existing = _signers.get(name)
        if existing is not None:
            _signers.move_to_end(name)
            return existing
        built = _build(tenant_id, key)
        _signers[name] = built
        while len(_signers) > settings.signer_cache_size:
            _signers.popitem(last=False)
        return built


def cached() -> int:
    """How many signers this container holds (tests: the cache stays bounded)."""
    return len(_signers)


def _build(tenant_id: str, key: Mapping[str, Any]) -> Signer:
    backend = key["backend"]
    if backend == "envelope":
        from chalicelib.keys.envelope import EnvelopeSigner

        return EnvelopeSigner(tenant_id, dict(key), settings.stage or "")
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

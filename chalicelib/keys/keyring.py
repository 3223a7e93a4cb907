"""A tenant's keys: the active signer per algorithm and the public JWKS.

A key's life: ``next`` (published in the JWKS, signing nothing yet, so that RPs' cached
copies hold it before its first token), ``active`` (signs), ``inactive`` (published until
every token it signed has expired), ``retired`` (gone from the JWKS; its sealed private key
is dropped from the record). See chalicelib/keys/rotation.py for when each step happens.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib.keys.signer import Signer, signer_for

NEXT = "next"
ACTIVE = "active"
INACTIVE = "inactive"
RETIRED = "retired"
PUBLISHED = (NEXT, ACTIVE, INACTIVE)


class KeyRing:
    """Built from the key metadata in a tenant record. Active keys sign; next and inactive
    keys are published so that tokens verify across a rotation."""

    def __init__(self, tenant_id: str, keys: Sequence[Mapping[str, Any]]) -> None:
        self.tenant_id = tenant_id
        self._keys = [key for key in keys if key.get("status") in PUBLISHED]
        self.by_kid: dict[str, Mapping[str, Any]] = {key["kid"]: key["jwk"] for key in self._keys}

    def jwks(self) -> dict[str, list[Mapping[str, Any]]]:
        return {"keys": [key["jwk"] for key in self._keys]}

    @property
    def signing_algorithms(self) -> list[str]:
        algs = {key["alg"] for key in self._keys if key["status"] == ACTIVE}
        return sorted(algs, key=lambda alg: (alg != "RS256", alg))

    def signer(self, alg: str) -> Signer | None:
        """The newest active key for ``alg``, or None if the tenant has none."""
        candidates = [key for key in self._keys if key["status"] == ACTIVE and key["alg"] == alg]
        if not candidates:
            return None
        newest = max(candidates, key=lambda key: (key.get("activated_at", key.get("created_at", 0)), key["kid"]))
        return signer_for(self.tenant_id, newest)

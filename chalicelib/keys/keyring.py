"""A tenant's keys: the active signer per algorithm and the public JWKS."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib.keys.signer import Signer, signer_for

ACTIVE = "active"
INACTIVE = "inactive"


class KeyRing:
    """Built from the key metadata in a tenant record. Active keys sign; inactive keys are
    still published so tokens signed before a rotation keep verifying (seed: rotation)."""

    def __init__(self, keys: Sequence[Mapping[str, Any]]) -> None:
        self._keys = [key for key in keys if key.get("status") in (ACTIVE, INACTIVE)]
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
        return signer_for(max(candidates, key=lambda key: key.get("created_at", 0)))

"""Request parameters as single values (RFC 6749 §3.1)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from chalicelib.oidc.errors import InvalidRequest

MAX_LENGTH = 4096


def single_values(raw: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """One value per parameter: a repeated parameter is an error, an empty one is absent,
    and an absurdly long one is refused before anything reads it."""
    values: dict[str, str] = {}
    for name, given in raw.items():
        present = [value for value in given if value != ""]
        if len(present) > 1:
            raise InvalidRequest(f"parameter {name} is repeated")
        if present:
            if len(present[0]) > MAX_LENGTH or len(name) > 256:
                raise InvalidRequest(f"parameter {name[:64]} is too long")
            values[name] = present[0]
    return values

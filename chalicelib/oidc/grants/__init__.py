"""Grant types: each module declares its grant type, its required parameters and its handler;
the token endpoint looks the grant up here instead of branching on grant_type."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.context import Context
from chalicelib.store.clients import Client

Handler = Callable[[Context, Client, Mapping[str, str]], dict[str, Any]]


@dataclass(frozen=True)
class GrantType:
    name: str
    required: tuple[str, ...]
    handle: Handler


def registry() -> dict[str, GrantType]:
    from chalicelib.oidc.grants import authorization_code, refresh_token

    return {grant.name: grant for grant in (authorization_code.GRANT, refresh_token.GRANT)}

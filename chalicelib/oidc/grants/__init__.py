"""Grant types: each module declares its grant type, its required parameters and its handler;
the token endpoint looks the grant up here instead of branching on grant_type."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from chalicelib.context import Context
from chalicelib.store.clients import Client

Handler = Callable[[Context, Client, Mapping[str, str]], dict[str, Any]]
log = logging.getLogger("oidc.grants")


@dataclass(frozen=True)
class GrantType:
    name: str
    required: tuple[str, ...]
    handle: Handler


def registry() -> dict[str, GrantType]:
    from chalicelib.oidc.grants import authorization_code, refresh_token

    return {grant.name: grant for grant in (authorization_code.GRANT, refresh_token.GRANT)}


@contextmanager
def undone_on_failure(undo: Callable[[], None]) -> Iterator[None]:
    """Finish a redemption, or undo it: if signing or storing fails after the code or refresh
    token was consumed (KMS or DynamoDB throttled, say), the consumption is released so the
    client can retry with the same one. Nothing is left half-written."""
    try:
        yield
    except Exception:
        try:
            undo()
        except Exception:  # the original error is the one to report
            log.warning("could not release a redemption after a failure", exc_info=True)
        raise

"""Grant types: each module declares its grant type, its required parameters and its handler;
the token endpoint looks the grant up here instead of branching on grant_type."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from chalicelib import events
from chalicelib.context import Context
from chalicelib.store.clients import Client
from chalicelib.store.grants import revoke_grant

# (ctx, client, params, jkt): jkt is the thumbprint of the request's DPoP key, None without a
# proof (RFC 9449 §5): the access tokens it yields are bound to that key.
Handler = Callable[[Context, Client, Mapping[str, str], "str | None"], dict[str, Any]]
log = logging.getLogger("oidc.grants")


def _always(ctx: Context) -> bool:
    return True


@dataclass(frozen=True)
class GrantType:
    name: str
    required: tuple[str, ...]
    handle: Handler
    # Whether the tenant offers this grant at all (some are off unless a setting says so).
    enabled: Callable[[Context], bool] = _always


def registry() -> dict[str, GrantType]:
    from chalicelib.oidc.grants import authorization_code, client_credentials, device_code, password, refresh_token

    grants = (
        authorization_code.GRANT,
        refresh_token.GRANT,
        client_credentials.GRANT,
        password.GRANT,
        device_code.GRANT,
    )
    return {grant.name: grant for grant in grants}


def offered(ctx: Context) -> list[str]:
    """The grant types this tenant's token endpoint accepts (discovery's list)."""
    return [name for name, grant in registry().items() if grant.enabled(ctx)] + ["implicit"]


def revoke_replayed(ctx: Context, client: Client, gid: str, artifact: str) -> None:
    """A code used twice (RFC 6749 §4.1.2) or a rotated-out refresh token presented again
    (RFC 9700 §4.14.2): whoever holds it, the grant it belongs to is revoked. Its access
    tokens were all issued by now, so they are dead by now + token_expire."""
    revoke_grant(ctx.tenant.id, gid, ctx.now, ctx.now + ctx.settings.token_expire)
    events.emit("grant_revoked_on_replay", ctx.tenant.id, client_id=client.client_id, artifact=artifact)


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

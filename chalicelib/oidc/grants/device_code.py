"""The device_code grant (RFC 8628 §3.4-3.5): the device polls with its device code until
the person has decided on the device page.

Each poll is one conditional write (``store.device.poll``) that records it and returns the
authorization as it stands: pending (``authorization_pending``), denied (``access_denied``)
or approved. A poll sooner than the interval allows, an expired code and an unknown one are
told apart by one read, on that path only. An approval is redeemed like an authorization
code: the tokens are minted, then one transaction marks the authorization used, stores the
grant's refresh token and checks that the user may still act; of two polls racing for it,
exactly one gets tokens.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.context import Context
from chalicelib.oidc import claims_request, device_codes
from chalicelib.oidc.claims import id_token_claims
from chalicelib.oidc.errors import AccessDenied, AuthorizationPending, ExpiredToken, InvalidGrant, SlowDown
from chalicelib.oidc.grants import GrantType
from chalicelib.oidc.grants.refresh_token import new_refresh_token
from chalicelib.oidc.tokens import Grant, token_response
from chalicelib.opaque import digest
from chalicelib.store import device
from chalicelib.store.clients import Client

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
REFUSED = "the device code is invalid, already used, or not for this client"
MAX_DEVICE_CODE = 128


def poll(ctx: Context, client: Client, params: Mapping[str, str], jkt: str | None = None) -> dict[str, Any]:
    presented = params["device_code"]
    key = device_codes.device_code_key(presented) if len(presented) <= MAX_DEVICE_CODE else None
    if key is None:
        raise InvalidGrant(REFUSED)
    outcome, found = device.poll(ctx.tenant.id, key, digest(presented), client.client_id, ctx.now)
    if outcome is device.Poll.SLOW_DOWN:
        raise SlowDown(f"poll at most every {ctx.settings.device_poll_interval} seconds")
    if outcome is device.Poll.EXPIRED:
        raise ExpiredToken("the device code has expired: start again")
    if found is None:
        raise InvalidGrant(REFUSED)
    if found.status == device.DENIED:
        raise AccessDenied("the end user denied the request")
    if found.status != device.APPROVED or found.sub is None or found.gid is None:
        raise AuthorizationPending("the end user has not decided yet")
    return _issue(ctx, client, found, jkt)


def _issue(ctx: Context, client: Client, found: device.DeviceAuthorization, jkt: str | None) -> dict[str, Any]:
    """Tokens as the authorization_code grant issues them (an ID token for openid, a refresh
    token if the client has the grant type), committed only if the redemption is written."""
    grant = Grant(
        client=client,
        sub=found.sub or "",
        scopes=tuple(found.scope.split()),
        auth_time=found.auth_time,
        gid=found.gid or "",
        sid=found.sid,
        epoch=found.epoch,
        amr=found.amr,
        claims=claims_request.loads(found.claims),
        jkt=jkt,  # RFC 9449: a poll with a DPoP proof gets tokens bound to its key
    )
    refresh = new_refresh_token(ctx, grant, found.sid)
    body = token_response(ctx, grant, refresh.token if refresh else None, id_token_claims(ctx, grant))
    pending = (refresh.grant, refresh.secret) if refresh else None
    if not device.redeem(ctx.tenant.id, found.key, ctx.now, (grant.sub, grant.epoch), pending):
        raise InvalidGrant(REFUSED)
    return body


GRANT = GrantType(GRANT_TYPE, ("device_code",), poll)

"""The device authorization endpoint (RFC 8628 §3.1-3.2): a device that cannot show a
browser asks for a device code (to poll the token endpoint with) and a user code (for the
person to enter on the tenant's device page, ``chalicelib.device``).

The client authenticates as at the token endpoint (public clients with their client_id),
must have the device_code grant type, and is counted (``chalicelib.limits.device``) before
anything is stored. The scope is checked as at the authorization endpoint; a claims
parameter is kept for the ID token like a code's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import urlencode

from chalicelib.context import Context
from chalicelib.limits import device as device_limits
from chalicelib.oidc import device_codes
from chalicelib.oidc.claims_request import checked_claims
from chalicelib.oidc.client_auth import authenticated_request
from chalicelib.oidc.errors import DeviceRequestsLimited, InvalidRequest, UnauthorizedClient
from chalicelib.oidc.results import Json
from chalicelib.oidc.scopes import grantable, parse_scope, tenant_scopes
from chalicelib.opaque import digest
from chalicelib.store import device

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
MAX_SCOPE = 2048
ATTEMPTS = 4  # user codes drawn before giving up (a collision among live codes is rare)


def device_authorization(ctx: Context, headers: Mapping[str, str], form: Mapping[str, Sequence[str]] | None) -> Json:
    """RFC 8628 §3.2: the codes, the page's URIs, their lifetime and the polling interval."""
    client, params = authenticated_request(ctx, headers, form)
    if GRANT_TYPE not in client.grant_types:
        raise UnauthorizedClient("this client may not use the device authorization grant")
    if len(params.get("scope", "")) > MAX_SCOPE:
        raise InvalidRequest("scope is too long")
    scopes = grantable(parse_scope(params.get("scope")), client.scopes, tenant_scopes(ctx.settings))
    claims = checked_claims(ctx, params.get("claims")) if "claims" in params else None
    wait = device_limits.admit_request(ctx.tenant.id, ctx.source, client.client_id, ctx.settings, ctx.now)
    if wait is not None:
        raise DeviceRequestsLimited(wait)
    lifetime, interval = ctx.settings.device_code_expire, ctx.settings.device_poll_interval
    for _ in range(ATTEMPTS):
        user_code = device_codes.new_user_code()
        key = device_codes.user_code_key(ctx.tenant.id, user_code)
        device_code = device_codes.new_device_code(key)
        stored_claims = claims.dumps() if claims is not None else None
        if device.create(ctx.tenant.id, key, digest(device_code), client.client_id, " ".join(scopes), stored_claims,
                         interval, ctx.now, ctx.now + lifetime):  # fmt: skip
            break
    else:
        raise RuntimeError("no free user code")  # 20^8 codes: never, short of a broken generator
    shown = device_codes.display(user_code)
    page = ctx.url("device_verification")
    body = {
        "device_code": device_code,
        "user_code": shown,
        "verification_uri": page,
        # RFC 8628 §3.3.1: the page opens with the code filled in, and still asks the person
        # to confirm it (§5.4): a link alone never approves anything.
        "verification_uri_complete": f"{page}?{urlencode({'user_code': shown})}",
        "expires_in": lifetime,
        "interval": interval,
    }
    return Json(body, no_store=True)

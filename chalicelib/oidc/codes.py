"""Authorization codes (RFC 6749 §4.1.2): sealed values that carry what they stand for.

A code is the authorization's record itself (client, redirect URI, user, scope, session,
nonce, PKCE challenge, expiry), sealed with AES-256-GCM under a key of the tenant's
(``chalicelib.keys.sealed``): the browser and the client can neither read nor alter it. The
token endpoint opens it, checks the request against it here (RFC 6749 §4.1.3, RFC 7636 §4.6)
before writing anything, and its one write makes the code single-use and stores the grant's
refresh token together (``chalicelib.store.codes``). The table keeps only the code's digest.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import astuple, dataclass, fields, replace

from chalicelib.keys import sealed
from chalicelib.oidc import pkce

PURPOSE = "authorization-code"


@dataclass(frozen=True)
class AuthorizationCode:
    gid: str  # the grant its tokens belong to
    client_id: str
    redirect_uri: str  # as the authorization request sent it ("" when it relied on the one registered)
    sub: str
    scope: str
    sid: str  # the OP session's public id (the ID token's sid): one-way, never its credential
    auth_time: int
    created_at: int
    expires_at: int
    nonce: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    epoch: int = 0  # the user's at the login (chalicelib.store.users.may_act)
    amr: tuple[str, ...] = ()  # how the user authenticated (RFC 8176; chalicelib.oidc.acr)
    claims: str = ""  # what the claims parameter asked (chalicelib.oidc.claims_request.dumps)
    resources: tuple[str, ...] = ()  # the RFC 8707 resources asked for (chalicelib.oidc.resources)
    dpop_jkt: str | None = None  # RFC 9449 §10: only a proof of this key may redeem it


_TYPES = {f.name: f.type for f in fields(AuthorizationCode)}


def mint_code(tenant_id: str, record: AuthorizationCode) -> str:
    """The code for ``record``: its fields in order, as compact JSON, sealed."""
    return sealed.seal(tenant_id, PURPOSE, json.dumps(astuple(record), separators=(",", ":")).encode())


def open_code(tenant_id: str, code: str) -> AuthorizationCode | None:
    """What ``code`` stands for, if this tenant minted it; None for anything else."""
    plaintext = sealed.unseal(tenant_id, PURPOSE, code)
    if plaintext is None:
        return None
    try:
        values = json.loads(plaintext)
        code = AuthorizationCode(*values)
        return replace(code, amr=tuple(code.amr), resources=tuple(code.resources))  # JSON gives back lists
    except (ValueError, TypeError):  # sealed by another version of this module
        return None


def redeemable(code: AuthorizationCode, client_id: str, redirect_uri: str, verifier: str | None, now: int) -> bool:
    """Whether a token request may redeem ``code``: unexpired, issued to this client for this
    redirect_uri (RFC 6749 §4.1.3), and with the PKCE verifier its challenge asks for."""
    if code.expires_at <= now or code.client_id != client_id or code.redirect_uri != redirect_uri:
        return False
    return pkce_holds(code, verifier)


def pkce_holds(code: AuthorizationCode, verifier: str | None) -> bool:
    """RFC 7636 §4.6, and RFC 9700 §2.1.1: a code issued with a challenge needs its verifier,
    and a verifier for a code issued without one is a downgrade attempt."""
    challenges = pkce.challenges_for(verifier)
    if code.code_challenge is None or challenges is None:
        return code.code_challenge is None and challenges is None
    expected = challenges.get(code.code_challenge_method or "plain", "")
    return hmac.compare_digest(expected.encode(), code.code_challenge.encode())

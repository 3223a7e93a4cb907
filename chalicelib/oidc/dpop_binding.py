"""DPoP at this provider's own endpoints (RFC 9449): the token endpoint binds tokens to the
key of the proof it is sent (§5, §6), UserInfo takes bound tokens only with a proof from
that key (§7). ``chalicelib.oidc.dpop`` checks the proof; this module gives it what it needs
here: the endpoint's URL from the issuer, the replay store, the tenant's nonces; and turns
its refusals into the answers each kind of endpoint gives.

A proof costs one DynamoDB round trip, the conditional write of its ``jti``
(``chalicelib.store.replay``), made only once everything else about it checked out; nonces
cost none (``chalicelib.oidc.dpop_nonces``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from chalicelib.context import Context
from chalicelib.oidc import dpop, dpop_nonces
from chalicelib.oidc.errors import (
    DpopChallenge,
    InvalidDpopProof,
    InvalidRequest,
    InvalidToken,
    MissingToken,
    UseDpopNonce,
)
from chalicelib.store import replay
from chalicelib.store.clients import Client

HEADER = "dpop"  # request headers arrive with lower-case names (chalicelib.web.http)
NONCE_HEADER = "DPoP-Nonce"
ALGS = " ".join(dpop.ALGORITHMS)
# An RFC 7638 thumbprint with SHA-256: 32 bytes, unpadded base64url.
_THUMBPRINT = re.compile(r"[A-Za-z0-9_-]{43}")


def fresh_nonce(ctx: Context) -> str:
    return dpop_nonces.nonce_for(ctx.tenant.id, ctx.now)


def nonce_headers(ctx: Context, headers: Mapping[str, str]) -> dict[str, str]:
    """A fresh nonce for every answer to a request that carried a proof, so that a client
    always has a current one at hand (RFC 9449 §8.2)."""
    return {NONCE_HEADER: fresh_nonce(ctx)} if HEADER in headers else {}


def checked_proof(
    ctx: Context, proof: str, method: str, endpoint: str, access_token: str | None = None, bound_to: str | None = None
) -> dpop.Proof:
    """``dpop.verify_proof`` for a request to this tenant's ``endpoint`` (a name of
    ``chalicelib.context.PATHS``); ProofRefused as it raises it."""
    return tenant_proof(ctx.tenant.id, ctx.settings.dpop_nonce_required, ctx.now, proof, method, ctx.url(endpoint),
                        access_token=access_token, bound_to=bound_to)  # fmt: skip


def tenant_proof(
    tenant_id: str,
    nonce_required: bool,
    now: int,
    proof: str,
    method: str,
    url: str,
    *,
    access_token: str | None = None,
    bound_to: str | None = None,
) -> dpop.Proof:
    """``dpop.verify_proof`` with the tenant's nonces and replay store, for a request to ``url``
    (derived from the issuer): the provider's endpoints, and an API of the tenant's."""
    policy = dpop.NoncePolicy(
        required=nonce_required, accepts=lambda value: dpop_nonces.is_current(tenant_id, value, now)
    )

    def first_use(jkt: str, jti: str, until: int) -> bool:
        return replay.first_use(tenant_id, f"dpop {jkt}", jti, until, now)

    return dpop.verify_proof(
        proof, method, url, access_token=access_token, now=now, first_use=first_use, nonce=policy, bound_to=bound_to
    )


def token_request_key(ctx: Context, headers: Mapping[str, str], client: Client) -> str | None:
    """RFC 9449 §5: the thumbprint of the key a token request's proof was signed with (its
    tokens will be bound to it), None without a proof. A client registered with
    ``dpop_bound_access_tokens`` (§5.2) must send one."""
    proof = headers.get(HEADER)
    if proof is None:
        if client.dpop_bound_access_tokens:
            raise InvalidRequest("this client's tokens are DPoP-bound: send a DPoP proof")
        return None
    try:
        return checked_proof(ctx, proof, "POST", "token_endpoint").jkt
    except dpop.ProofRefused as refused:
        if refused.error == "use_dpop_nonce":
            raise UseDpopNonce(refused.description, fresh_nonce(ctx)) from None
        raise InvalidDpopProof(refused.description) from None


def presented_token(headers: Mapping[str, str], form: Mapping[str, str]) -> tuple[str, str]:
    """The access token at a resource and its scheme: ``Authorization: Bearer`` or the form
    body (RFC 6750 §2.1, §2.2), or ``Authorization: DPoP`` (RFC 9449 §7.1); one way only."""
    header = headers.get("authorization")
    in_body = form.get("access_token")
    if header is not None and in_body is not None:
        raise InvalidRequest("send the access token one way only")
    if in_body is not None:
        return "bearer", in_body
    if header is None:
        raise MissingToken()
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    if scheme not in ("bearer", "dpop") or not value.strip():
        raise InvalidToken("use the Bearer or the DPoP scheme")
    return scheme, value.strip()


def check_resource_request(
    ctx: Context,
    headers: Mapping[str, str],
    method: str,
    endpoint: str,
    scheme: str,
    token: str,
    claims: dict[str, Any],
) -> None:
    """RFC 9449 §7 for a token this tenant issued (``claims``, already verified): a bound
    token comes with the DPoP scheme and a proof from its key over this request and this
    token (``ath``); an unbound one with the Bearer scheme. Otherwise a 401 with a DPoP
    challenge (§7.1), and a fresh nonce when that is what is missing (§9)."""
    cnf = claims.get("cnf")
    jkt = cnf.get("jkt") if isinstance(cnf, dict) else None
    proof = headers.get(HEADER)
    if jkt is None:
        if scheme == "dpop":
            raise DpopChallenge("invalid_token", "this access token is not DPoP-bound: use the Bearer scheme", ALGS)
        return
    if scheme != "dpop":
        # §7.2: a bound token presented as a bearer token is refused, proof or none.
        raise DpopChallenge("invalid_token", "this access token is DPoP-bound: use the DPoP scheme", ALGS)
    if proof is None:
        raise DpopChallenge("invalid_dpop_proof", "a DPoP proof is required", ALGS)
    try:
        checked_proof(ctx, proof, method, endpoint, token, bound_to=jkt)
    except dpop.ProofRefused as refused:
        nonce = fresh_nonce(ctx) if refused.error == "use_dpop_nonce" else None
        raise DpopChallenge(refused.error, refused.description, ALGS, nonce) from None


def checked_dpop_jkt(value: str | None) -> str | None:
    """RFC 9449 §10: the authorization request's ``dpop_jkt``, a SHA-256 JWK thumbprint."""
    if value is not None and _THUMBPRINT.fullmatch(value) is None:
        raise InvalidRequest("dpop_jkt is the base64url SHA-256 thumbprint of a JWK (RFC 7638)")
    return value


def pushed_request_key(ctx: Context, headers: Mapping[str, str], dpop_jkt: str | None) -> str | None:
    """RFC 9449 §10.1: a proof sent with a pushed authorization request binds the code as
    ``dpop_jkt`` does; with both, they must name the same key."""
    proof = headers.get(HEADER)
    if proof is None:
        return dpop_jkt
    try:
        # With both, the proof must be of dpop_jkt's key: refused before its jti is written.
        return checked_proof(ctx, proof, "POST", "pushed_authorization_request_endpoint", bound_to=dpop_jkt).jkt
    except dpop.ProofRefused as refused:
        if refused.error == "use_dpop_nonce":
            raise UseDpopNonce(refused.description, fresh_nonce(ctx)) from None
        raise InvalidDpopProof(refused.description) from None

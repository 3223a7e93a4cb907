"""Authorization codes, stored under the digest of the code and redeemed exactly once."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.opaque import digest
from chalicelib.store.models import CodeItem, at, consume, epoch, release, valid_key_part

PREFIX = "code#"


@dataclass(frozen=True)
class AuthorizationCode:
    gid: str  # the grant its tokens belong to
    client_id: str
    redirect_uri: str
    sub: str
    scope: str
    sid: str  # the OP session's public id (the ID token's sid): one-way, never its credential
    auth_time: int
    created_at: int
    expires_at: int
    nonce: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None


@dataclass(frozen=True)
class Redemption:
    """What a token request presents with a code; every field must match the stored code."""

    client_id: str
    redirect_uri: str
    # The challenge the code_verifier derives to, per method ({"S256": ..., "plain": ...}),
    # or None when the request carries no code_verifier.
    pkce_challenges: dict[str, str] | None


def code_item(tenant_id: str, code: str, record: AuthorizationCode) -> CodeItem:
    return CodeItem(
        tenant_id,
        PREFIX + digest(code),
        gid=record.gid,
        client_id=record.client_id,
        redirect_uri=record.redirect_uri,
        sub=record.sub,
        scope=record.scope,
        sid=record.sid,
        auth_time=record.auth_time,
        nonce=record.nonce,
        code_challenge=record.code_challenge,
        code_challenge_method=record.code_challenge_method,
        created_at=record.created_at,
        ttl=at(record.expires_at),
    )


@dataclass(frozen=True)
class Redeemed:
    marker: str  # for release_code, should the token response fail after all
    code: AuthorizationCode


@dataclass(frozen=True)
class Replayed:
    """The code had already been redeemed, and its own client presented it again: the
    grant it started must be revoked (RFC 6749 §4.1.2)."""

    gid: str


def consume_code(tenant_id: str, code: str, redemption: Redemption, now: int) -> Redeemed | Replayed | None:
    """Mark the code used and return it, in one conditional write; None if it is unknown,
    expired, or issued to another client, redirect URI or PKCE challenge; Replayed if it was
    already used.

    Every check sits in the write's condition (RFC 6749 §4.1.3, RFC 7636 §4.6), so a bad
    request writes nothing and of two concurrent redemptions exactly one succeeds.
    """
    if not valid_key_part(code):
        return None
    item = CodeItem(tenant_id, PREFIX + digest(code))
    condition = (CodeItem.client_id == redemption.client_id) & (CodeItem.redirect_uri == redemption.redirect_uri)
    if redemption.pkce_challenges is None:
        # RFC 9700 §2.1.1: a code issued with a challenge needs its verifier.
        condition &= CodeItem.code_challenge.does_not_exist()
    else:
        # ... and a verifier for a code issued without a challenge is a downgrade attempt.
        matches = [
            (CodeItem.code_challenge_method == method) & (CodeItem.code_challenge == challenge)
            for method, challenge in redemption.pkce_challenges.items()
        ]
        any_match = matches[0]
        for match in matches[1:]:
            any_match |= match
        condition &= any_match
    marker = consume(item, now, condition)
    if marker is None:
        # consume() has loaded what is stored, if anything, to tell a replay apart.
        if item.used_at is not None and item.client_id == redemption.client_id:
            return Replayed(item.gid)
        return None
    return Redeemed(
        marker,
        AuthorizationCode(
            gid=item.gid,
            client_id=item.client_id,
            redirect_uri=item.redirect_uri,
            sub=item.sub,
            scope=item.scope,
            sid=item.sid,
            auth_time=int(item.auth_time),
            created_at=int(item.created_at),
            expires_at=epoch(item.ttl),
            nonce=item.nonce,
            code_challenge=item.code_challenge,
            code_challenge_method=item.code_challenge_method,
        ),
    )


def release_code(tenant_id: str, code: str, marker: str) -> None:
    """Undo a redemption that could not be completed: the code works again."""
    release(CodeItem(tenant_id, PREFIX + digest(code)), marker)

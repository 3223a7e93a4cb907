"""A user's passkeys (WebAuthn credentials): items of the factor store,

    sk = "factor#<sub>#webauthn#<digest of the credential id>"

so a user's passkeys come with their other factors in one Query, go with them when an
operator resets the user's second factor or deletes the user, and one passkey is one
GetItem when a browser presents it (its user handle names the sub, its id the item).

Only public values are stored (the public key, the counter, transport hints): a copy of
the table signs no one in. Every write is conditional:

- registration only where no credential of that id exists for the user, and while the user
  may still act (``may_act``: not disabled, deleted or re-passworded since the session or
  sign-in the registration belongs to);
- a use only if the counter is still the one the assertion was checked against and the
  challenge was issued after the last one answered (a replayed assertion, or two requests
  racing with one, succeed once), and while the user may still act;
- removal only of a passkey that is there.
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.exceptions import DeleteError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.store.factors import PREFIX, WEBAUTHN, Factor, FactorItem, from_item, list_factors, passkey_name
from chalicelib.store.models import UserItem, condition_failed, connection, valid_key_part
from chalicelib.store.users import USER, may_act

MAX_PER_USER = 10  # more is a script, not a person with keys; the page says so


@dataclass(frozen=True)
class NewPasskey:
    credential_id: str  # base64url
    public_key: str  # base64url COSE_Key
    sign_count: int
    transports: frozenset[str]
    device_bound: bool


def _key(sub: str, credential_id: str) -> str:
    return f"{PREFIX}{sub}#{passkey_name(credential_id)}"


def get_passkey(tenant_id: str, sub: str, credential_id: str) -> Factor | None:
    """The passkey ``credential_id`` of ``sub`` (strongly consistent: one just removed must
    not sign in)."""
    if not (valid_key_part(sub) and 0 < len(credential_id) <= 1400):
        return None
    try:
        item = FactorItem.get(tenant_id, _key(sub, credential_id), consistent_read=True)
    except FactorItem.DoesNotExist:
        return None
    return from_item(sub, item) if item.method == WEBAUTHN else None


def list_passkeys(tenant_id: str, sub: str) -> list[Factor]:
    """The user's passkeys, oldest first (one Query)."""
    return sorted((one for one in list_factors(tenant_id, sub) if one.method == WEBAUTHN), key=lambda f: f.created_at)


def add_passkey(tenant_id: str, sub: str, epoch: int, passkey: NewPasskey, now: int) -> bool:
    """Store a newly registered passkey: False, nothing written, if the user already has it
    or may no longer act."""
    item = FactorItem(
        tenant_id,
        _key(sub, passkey.credential_id),
        method=WEBAUTHN,
        created_at=now,
        credential_id=passkey.credential_id,
        public_key=passkey.public_key,
        sign_count=passkey.sign_count,
        transports=set(passkey.transports) or None,
        device_bound=1 if passkey.device_bound else 0,
        last_challenge=0,
    )
    return _transact(tenant_id, sub, epoch, lambda transaction: transaction.save(item, FactorItem.sk.does_not_exist()))


def use_passkey(
    tenant_id: str, sub: str, epoch: int, passkey: Factor, sign_count: int, challenge_issued: int, now: int
) -> bool:
    """Record a verified assertion: the new counter, when, and the challenge it answered.
    False if another use came first (the counter or the last challenge moved), the passkey
    is gone, or the user may no longer act."""
    item = FactorItem(tenant_id, _key(sub, passkey.credential_id or ""))
    condition = (
        FactorItem.sk.exists()
        & (FactorItem.sign_count == passkey.sign_count)
        & (FactorItem.last_challenge.does_not_exist() | (FactorItem.last_challenge < challenge_issued))
    )
    actions = [
        FactorItem.sign_count.set(sign_count),
        FactorItem.last_used_at.set(now),
        FactorItem.last_challenge.set(challenge_issued),
    ]
    return _transact(tenant_id, sub, epoch, lambda transaction: transaction.update(item, actions, condition))


def remove_passkey(tenant_id: str, sub: str, name: str) -> bool:
    """Delete the passkey whose key suffix is ``name`` (``Factor.name``, as the page lists
    it); False if the user has no such passkey."""
    if not (valid_key_part(sub) and name.startswith(WEBAUTHN + "#") and valid_key_part(name)):
        return False
    item = FactorItem(tenant_id, f"{PREFIX}{sub}#{name}")
    try:
        item.delete(condition=FactorItem.sk.exists() & (FactorItem.method == WEBAUTHN))
    except DeleteError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _transact(tenant_id: str, sub: str, epoch: int, write) -> bool:
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.condition_check(UserItem, tenant_id, USER + sub, condition=may_act(epoch))
            write(transaction)
    except TransactWriteError as error:
        if condition_failed(error):
            return False
        raise
    return True

"""A user's second factors (and, later, passkeys): one item per factor under the user.

    sk = "factor#<sub>#totp"                   the authenticator app: its secret, sealed
    sk = "factor#<sub>#recovery"               the recovery codes: a set of keyed digests
    sk = "factor#<sub>#webauthn#<credential>"  a passkey: its public key and counter
                                               (``chalicelib.store.passkeys``)

So every factor of a user is one Query (``factor#<sub>#``), a kind of factor is added by a new
suffix and a new ``method`` without touching the others, and a user's factors go in one sweep.
Nothing readable as a credential is stored: the TOTP secret is sealed (AES-GCM under a key of
the tenant's, by ``chalicelib.accounts.factors``) and recovery codes are keyed digests.

Every write is conditional: enrolment only where no factor of that kind exists (and the user
may still act), a TOTP time step only if it is later than the last one used (no replay within
its window), a recovery code only if its digest is still in the set (single use).
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.opaque import digest
from chalicelib.store.models import Item, UserItem, condition_failed, connection, valid_key_part
from chalicelib.store.users import USER, may_act

PREFIX = "factor#"
TOTP = "totp"
RECOVERY = "recovery"
WEBAUTHN = "webauthn"


class FactorItem(Item, discriminator="factor"):
    method = UnicodeAttribute()  # "totp", "recovery", "webauthn"
    created_at = NumberAttribute()
    secret = UnicodeAttribute(null=True)  # TOTP: the shared secret, sealed
    last_step = NumberAttribute(null=True)  # TOTP: the latest time step accepted
    codes = UnicodeSetAttribute(null=True)  # recovery: digests of the codes not yet used
    # Passkeys (chalicelib.store.passkeys): public values, nothing that signs in alone.
    credential_id = UnicodeAttribute(null=True)  # base64url, as the browser names it
    public_key = UnicodeAttribute(null=True)  # COSE_Key, base64url
    sign_count = NumberAttribute(null=True)  # the authenticator's counter (WebAuthn §6.1.1)
    transports = UnicodeSetAttribute(null=True)  # hints for the browser: "internal", "usb", …
    device_bound = NumberAttribute(null=True)  # 1: not backup eligible (not a synced passkey)
    last_used_at = NumberAttribute(null=True)
    # The issue time (ms) of the last challenge answered: only a later one is accepted, so an
    # assertion is used once even by authenticators whose counter stays 0.
    last_challenge = NumberAttribute(null=True)


@dataclass(frozen=True)
class Factor:
    sub: str
    method: str
    created_at: int
    secret: str | None = None
    last_step: int | None = None
    codes: frozenset[str] = frozenset()
    credential_id: str | None = None
    public_key: str | None = None
    sign_count: int = 0
    transports: frozenset[str] = frozenset()
    device_bound: bool = False
    last_used_at: int | None = None
    last_challenge: int = 0

    @property
    def name(self) -> str:
        """The factor's sort-key suffix ("totp", "webauthn#<digest>")."""
        return self.method if self.credential_id is None else passkey_name(self.credential_id)


def passkey_name(credential_id: str) -> str:
    """A passkey's key suffix: a digest of its id (up to 1023 bytes, too long for a key)."""
    return f"{WEBAUTHN}#{digest('webauthn-credential:' + credential_id)[:32]}"


def _key(sub: str, name: str) -> str:
    return f"{PREFIX}{sub}#{name}"


def list_factors(tenant_id: str, sub: str) -> list[Factor]:
    """Every factor of the user (one Query, strongly consistent: a code just used or a
    factor just enrolled must count)."""
    if not valid_key_part(sub):
        return []
    query = FactorItem.query(tenant_id, FactorItem.sk.startswith(f"{PREFIX}{sub}#"), consistent_read=True)
    return [from_item(sub, item) for item in query]


def enrol_totp(tenant_id: str, sub: str, epoch: int, secret: str, step: int, codes: set[str], now: int) -> bool:
    """Store an authenticator app (its sealed ``secret``, the time ``step`` its confirming
    code used) and a new set of recovery code digests, in one transaction: False, nothing
    written, if the user already has one, or is disabled, deleted or re-passworded since the
    sign-in began (``may_act``)."""
    totp = FactorItem(tenant_id, _key(sub, TOTP), method=TOTP, created_at=now, secret=secret, last_step=step)
    recovery = FactorItem(tenant_id, _key(sub, RECOVERY), method=RECOVERY, created_at=now, codes=codes)
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.condition_check(UserItem, tenant_id, USER + sub, condition=may_act(epoch))
            transaction.save(totp, condition=FactorItem.sk.does_not_exist())
            # Recovery codes left from an earlier app (an operator reset removes both) go.
            transaction.save(recovery)
    except TransactWriteError as error:
        if condition_failed(error):
            return False
        raise
    return True


def use_totp_step(tenant_id: str, sub: str, step: int) -> bool:
    """Accept a TOTP code of time ``step`` once: False if this step or a later one was
    already used (a code seen over someone's shoulder, or replayed), or the app is gone."""
    item = FactorItem(tenant_id, _key(sub, TOTP))
    condition = FactorItem.sk.exists() & (FactorItem.last_step.does_not_exist() | (FactorItem.last_step < step))
    return _update(item, [FactorItem.last_step.set(step)], condition)


def use_recovery_code(tenant_id: str, sub: str, code_digest: str) -> bool:
    """Spend a recovery code: its digest leaves the set in the write that checks it is
    there, so of two requests with one code exactly one succeeds."""
    item = FactorItem(tenant_id, _key(sub, RECOVERY))
    condition = FactorItem.sk.exists() & FactorItem.codes.contains(code_digest)
    return _update(item, [FactorItem.codes.delete({code_digest})], condition)


def remove_factors(tenant_id: str, sub: str) -> int:
    """Delete every factor of the user (an operator's reset); how many there were."""
    if not valid_key_part(sub):
        return 0
    removed = 0
    for item in FactorItem.query(tenant_id, FactorItem.sk.startswith(f"{PREFIX}{sub}#"), consistent_read=True):
        item.delete()
        removed += 1
    return removed


def _update(item: FactorItem, actions: list, condition) -> bool:
    try:
        item.update(actions=actions, condition=condition)
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def from_item(sub: str, item: FactorItem) -> Factor:
    return Factor(
        sub=sub,
        method=item.method,
        created_at=int(item.created_at),
        secret=item.secret,
        last_step=int(item.last_step) if item.last_step is not None else None,
        codes=frozenset(item.codes or ()),
        credential_id=item.credential_id,
        public_key=item.public_key,
        sign_count=int(item.sign_count or 0),
        transports=frozenset(item.transports or ()),
        device_bound=bool(item.device_bound),
        last_used_at=int(item.last_used_at) if item.last_used_at is not None else None,
        last_challenge=int(item.last_challenge or 0),
    )

"""What a user's own account page reads and writes beyond the sign-in's items: the grants a
client holds for the user (to revoke them with a withdrawn consent), and the user's
authenticator app and recovery codes, removed or renewed by the user.

Every write is conditional: the app is removed only while it exists and the user may still
act, and new recovery codes replace the old only while the app they belong to exists.
"""

from __future__ import annotations

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.store.factors import PREFIX as FACTOR
from chalicelib.store.factors import RECOVERY, TOTP, FactorItem
from chalicelib.store.grants import PREFIX as GRANT
from chalicelib.store.models import GrantItem, UserItem, at, condition_failed, connection, valid_key_part
from chalicelib.store.users import USER, may_act

# A user's grants are found among the tenant's by a filtered Query (there is no index by
# user, on purpose: one table, no GSI); these many pages of it (1 MB each) at most, so a
# tenant with a flood of grants cannot stall the page.
MAX_PAGES = 10


def live_grants(tenant_id: str, sub: str, client_id: str, now: int) -> list[str]:
    """The ids of the user's unrevoked, unexpired grants with refresh tokens for the client
    (a grant without refresh tokens has no item: its access tokens expire on their own)."""
    if not (valid_key_part(sub) and valid_key_part(client_id)):
        return []
    condition = (
        (GrantItem.sub == sub)
        & (GrantItem.client_id == client_id)
        & GrantItem.revoked_at.does_not_exist()
        & (GrantItem.ttl > at(now))
    )
    query = GrantItem.query(tenant_id, GrantItem.sk.startswith(GRANT), filter_condition=condition, page_size=500)
    found: list[str] = []
    for number, page in enumerate(query.page_iter):
        found += [raw["sk"]["S"][len(GRANT) :] for raw in page.get("Items", ())]
        if number + 1 >= MAX_PAGES:
            break
    return found


def _key(sub: str, name: str) -> str:
    return f"{FACTOR}{sub}#{name}"


def remove_totp(tenant_id: str, sub: str, epoch: int) -> bool:
    """Delete the user's authenticator app and its recovery codes together; False, nothing
    written, if there is no app or the user may no longer act (``may_act``)."""
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.condition_check(UserItem, tenant_id, USER + sub, condition=may_act(epoch))
            transaction.delete(FactorItem(tenant_id, _key(sub, TOTP)), condition=FactorItem.sk.exists())
            transaction.delete(FactorItem(tenant_id, _key(sub, RECOVERY)))
    except TransactWriteError as error:
        if condition_failed(error):
            return False
        raise
    return True


def replace_recovery_codes(tenant_id: str, sub: str, epoch: int, digests: set[str], now: int) -> bool:
    """A new set of recovery code digests instead of the old (every old code dies at once);
    False, nothing written, if the user has no app (codes stand in for an app) or may no
    longer act."""
    recovery = FactorItem(tenant_id, _key(sub, RECOVERY), method=RECOVERY, created_at=now, codes=digests)
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.condition_check(UserItem, tenant_id, USER + sub, condition=may_act(epoch))
            transaction.condition_check(FactorItem, tenant_id, _key(sub, TOTP), condition=FactorItem.sk.exists())
            transaction.save(recovery)
    except TransactWriteError as error:
        if condition_failed(error):
            return False
        raise
    return True

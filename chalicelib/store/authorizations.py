"""The reads and writes of one authorization step, each in a single round trip.

An authorization request with an OP session needs the session and the user's consent for the
client: one TransactGetItems reads both. Ending a step writes what it decided (a new session,
a consent, a code) in one TransactWriteItems, optionally conditional on the browser's session
still existing, so a code is never issued for a session that was logged out meanwhile.
"""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactGet, TransactWrite

from chalicelib.store import consents, sessions, users
from chalicelib.store.codes import code_item
from chalicelib.store.consents import Consent, ConsentItem
from chalicelib.store.models import (
    Item,
    SessionItem,
    UserItem,
    at,
    condition_failed,
    connection,
    valid_key_part,
)
from chalicelib.store.sessions import Session


def load_session_and_consent(
    tenant_id: str, key: str, sub: str, client_id: str, now: int
) -> tuple[Session | None, Consent | None]:
    """The live session stored under ``key`` if it belongs to ``sub`` and its user may still
    act (exists, is active, and was not cut off after the session began: disabled, or given a
    new password), and ``sub``'s live consent for the client (None for either when absent or
    expired). One TransactGetItems of the three items."""
    if not (valid_key_part(key) and valid_key_part(sub) and valid_key_part(client_id)):
        return None, None
    with TransactGet(connection=connection()) as transaction:
        session_future = transaction.get(SessionItem, tenant_id, sessions.PREFIX + key)
        consent_future = transaction.get(ConsentItem, tenant_id, consents.consent_key(sub, client_id))
        user_future = transaction.get(UserItem, tenant_id, users.USER + sub)
    session = _resolve(session_future)
    session = sessions.from_item(session, now) if session is not None else None
    user = _resolve(user_future)
    if session is None or session.sub != sub or user is None:
        return None, None
    if not users.from_item(user).accepts(session.auth_time):
        return None, None
    consent = _resolve(consent_future)
    return session, consents.from_item(consent, now) if consent is not None else None


def commit(
    tenant_id: str,
    *,
    now: int,
    new_session: Session | None = None,
    ended_session: str | None = None,
    live_session: str | None = None,
    client_id: str | None = None,
    consent: Consent | None = None,
    code: tuple[str, int] | None = None,
) -> bool:
    """Write a step's outcome atomically. ``ended_session`` is the key of a session replaced
    by ``new_session`` (re-authentication); ``live_session`` names one that must still exist
    and be unexpired (False when it does not, and then nothing is written), to which
    ``client_id`` is added as one of the clients it signed in to."""
    if live_session is not None and client_id is None:
        raise ValueError("a live session is joined by a client")
    # A new session's key is a fresh random credential's digest: "absent" always holds, and a
    # write that would replace a session is refused rather than done blindly.
    writes: list[tuple[Item, Condition | None]] = []
    if new_session is not None:
        writes.append((sessions.session_item(new_session), SessionItem.sk.does_not_exist()))
    if consent is not None:
        writes.append((consents.consent_item(consent), None))
    if code is not None:
        writes.append((code_item(tenant_id, *code), None))
    live = SessionItem.sk.exists() & (SessionItem.ttl > at(now))
    try:
        if live_session is None and ended_session is None and len(writes) == 1:
            item, condition = writes[0]
            item.save(condition=condition)  # a plain PutItem costs half a transactional write
        elif live_session is not None and ended_session is None and not writes:
            session = SessionItem(tenant_id, sessions.PREFIX + live_session)
            session.update(actions=[SessionItem.clients.add({client_id})], condition=live)
        else:
            with TransactWrite(connection=connection()) as transaction:
                if live_session is not None:
                    session = SessionItem(tenant_id, sessions.PREFIX + live_session)
                    transaction.update(session, actions=[SessionItem.clients.add({client_id})], condition=live)
                if ended_session is not None:
                    transaction.delete(SessionItem(tenant_id, sessions.PREFIX + ended_session))
                for item, condition in writes:
                    transaction.save(item, condition=condition)
    except (PutError, UpdateError) as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    except TransactWriteError as error:
        if condition_failed(error):
            return False
        raise
    return True


def _resolve(future):
    try:
        return future.get()
    except DoesNotExist:
        return None

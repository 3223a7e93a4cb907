"""The reads and writes of one authorization step, each in a single round trip.

An authorization request with an OP session needs the session and the user's consent for the
client: one TransactGetItems reads both. Ending a step writes what it decided (a new session,
a consent, a code) in one TransactWriteItems, optionally conditional on the browser's session
still existing, so a code is never issued for a session that was logged out meanwhile.
"""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
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
    retrying_conflicts,
    valid_key_part,
)
from chalicelib.store.sessions import Session


def load_session_and_consent(
    tenant_id: str, key: str, sub: str, client_id: str, now: int
) -> tuple[Session | None, Consent | None]:
    """The live session stored under ``key`` if it belongs to ``sub`` and its user may still
    act (exists, is active, and is still at the epoch of the session's login: see
    ``users.may_act``), and ``sub``'s live consent for the client (None for either when absent or
    expired). One TransactGetItems of the three items."""
    if not (valid_key_part(key) and valid_key_part(sub) and valid_key_part(client_id)):
        return None, None

    def read() -> tuple:
        with TransactGet(connection=connection()) as transaction:
            futures = (
                transaction.get(SessionItem, tenant_id, sessions.PREFIX + key),
                transaction.get(ConsentItem, tenant_id, consents.consent_key(sub, client_id)),
                transaction.get(UserItem, tenant_id, users.USER + sub),
            )
        return futures

    session_future, consent_future, user_future = retrying_conflicts(read)
    session = _resolve(session_future)
    session = sessions.from_item(session, now) if session is not None else None
    user = _resolve(user_future)
    if session is None or session.sub != sub or user is None:
        return None, None
    if not users.from_item(user).accepts(session.epoch):
        return None, None
    consent = _resolve(consent_future)
    return session, consents.from_item(consent, now) if consent is not None else None


def load_live_session(tenant_id: str, key: str, sub: str, now: int) -> tuple[Session, users.User] | None:
    """The live session stored under ``key``, if it is ``sub``'s and its user may still act,
    with the user: the account's own pages (passkeys), which no client stands behind. One
    TransactGetItems of the two items."""
    if not (valid_key_part(key) and valid_key_part(sub)):
        return None

    def read() -> tuple:
        with TransactGet(connection=connection()) as transaction:
            futures = (
                transaction.get(SessionItem, tenant_id, sessions.PREFIX + key),
                transaction.get(UserItem, tenant_id, users.USER + sub),
            )
        return futures

    session_future, user_future = retrying_conflicts(read)
    session, user = _resolve(session_future), _resolve(user_future)
    session = sessions.from_item(session, now) if session is not None else None
    if session is None or session.sub != sub or user is None:
        return None
    profile = users.from_item(user)
    return (session, profile) if profile.accepts(session.epoch) else None


def commit(
    tenant_id: str,
    *,
    now: int,
    new_session: Session | None = None,
    ended_session: str | None = None,
    live_session: Session | None = None,
    client_id: str | None = None,
    consent: Consent | None = None,
    code: tuple[str, int] | None = None,
) -> bool:
    """Write a step's outcome atomically. ``ended_session`` is the key of a session replaced
    by ``new_session`` (re-authentication); ``live_session`` is one that must still exist and
    be unexpired, and whose user may still act (``users.may_act``: a consent page opened
    before the user was disabled or given a new password issues nothing after), else False
    and nothing is written; ``client_id`` is added to it as one of the clients it signed in to."""
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

    def write() -> None:
        if live_session is None and ended_session is None and len(writes) == 1:
            item, condition = writes[0]
            item.save(condition=condition)  # a plain PutItem costs half a transactional write
            return
        with TransactWrite(connection=connection()) as transaction:
            if live_session is not None:
                session = SessionItem(tenant_id, sessions.PREFIX + live_session.key)
                transaction.update(session, actions=[SessionItem.clients.add({client_id})], condition=live)
                user = users.USER + live_session.sub
                transaction.condition_check(UserItem, tenant_id, user, condition=users.may_act(live_session.epoch))
            if ended_session is not None:
                transaction.delete(SessionItem(tenant_id, sessions.PREFIX + ended_session))
            for item, condition in writes:
                transaction.save(item, condition=condition)

    try:
        retrying_conflicts(write)
    except PutError as error:
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

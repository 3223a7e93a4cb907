"""DynamoDB cancels a write that meets a transaction at work on the same item; botocore does
not retry that, and it is not a "no": the store makes the request again. moto never
conflicts, so the conflict is answered at the AWS boundary (botocore's before-call event)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

from chalicelib.store.models import connection
from tests.support.browser import Browser
from tests.unit.conftest import PASSWORD
from tests.unit.flows import authorize, callback_params, log_in, obtain_code, redeem


@contextmanager
def conflicting(operation: str, times: int = 1) -> Iterator[list[str]]:
    """Answer the next ``times`` calls of ``operation`` as DynamoDB does when another
    transaction holds an item it names."""
    events, seen = connection().client.meta.events, []

    def conflict(**_: object):
        if len(seen) >= times:
            return None
        seen.append(operation)
        if operation == "TransactWriteItems":
            error = {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"}
            reasons = [{"Code": "TransactionConflict"}, {"Code": "None"}]
            return SimpleNamespace(status_code=400), {"Error": error, "CancellationReasons": reasons}
        error = {"Code": "TransactionConflictException", "Message": "Transaction is ongoing for the item"}
        return SimpleNamespace(status_code=400), {"Error": error}

    events.register(f"before-call.dynamodb.{operation}", conflict)
    try:
        yield seen
    finally:
        events.unregister(f"before-call.dynamodb.{operation}", conflict)


def test_a_login_whose_count_meets_a_transaction_goes_through(browser, client, user):
    page = browser.follow(authorize(browser, client[0].client_id))
    with conflicting("TransactWriteItems", times=2) as seen:
        consent = log_in(browser, page)  # the source's and account's counters, in a transaction
    assert seen and b"Allow" in consent.body


def test_a_failure_count_and_a_devices_count_that_meet_a_transaction_go_through(http, client, user):
    owner = Browser(http)
    obtain_code(owner, client[0].client_id)  # now a known device: its count is one UpdateItem
    page = owner.follow(authorize(owner, client[0].client_id, prompt="login"))
    with conflicting("UpdateItem", times=2) as seen:
        wrong = owner.submit(page, "login", username="alice", password="wrong")
    assert len(seen) == 2 and wrong.status_code == 401
    assert callback_params(
        log_in(owner, owner.follow(authorize(owner, client[0].client_id, prompt="login")), password=PASSWORD)
    )["code"]


def test_a_code_redemption_that_meets_a_transaction_goes_through(http, browser, client, user):
    code = obtain_code(browser, client[0].client_id)
    with conflicting("TransactWriteItems", times=3) as seen:
        assert redeem(http, client, code).status_code == 200
    assert len(seen) == 3

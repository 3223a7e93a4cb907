"""Outbound work leaves the user's request through an SQS queue: the request puts a message
on it and answers at once; a consumer (a Lambda function subscribed to the queue, or the
local emulation's consumer thread) makes the outbound request.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from chalicelib.keys import aws

log = logging.getLogger("oidc")
BATCH = 10  # SendMessageBatch's limit
_urls: dict[str, str] = {}
_lock = threading.Lock()


def enqueue(queue: str, bodies: Sequence[str]) -> list[int]:
    """Put each body on ``queue``, ten per SendMessageBatch. Returns the indexes of those that
    could not be queued (AWS unavailable after botocore's retries, or refused by SQS), which
    the caller reports: the user's request does not fail for them."""
    from botocore.exceptions import BotoCoreError, ClientError

    failed: list[int] = []
    for start in range(0, len(bodies), BATCH):
        entries = [{"Id": str(n), "MessageBody": body} for n, body in enumerate(bodies[start : start + BATCH])]
        try:
            answer = aws.client("sqs").send_message_batch(QueueUrl=queue_url(queue), Entries=entries)
        except (BotoCoreError, ClientError) as error:
            log.warning("could not queue %d messages on %s: %r", len(entries), queue, error)
            failed.extend(range(start, start + len(entries)))
            continue
        failed.extend(start + int(entry["Id"]) for entry in answer.get("Failed", []))
    return failed


def queue_url(queue: str) -> str:
    """The queue's URL, asked once per container (SQS names its queues by URL, which holds the
    account id that the stage's settings do not)."""
    url = _urls.get(queue)
    if url is None:
        with _lock:
            url = _urls.get(queue) or aws.client("sqs").get_queue_url(QueueName=queue)["QueueUrl"]
            _urls[queue] = url
    return url


def forget() -> None:
    """Drop the cached URLs (tests that recreate their queues)."""
    _urls.clear()

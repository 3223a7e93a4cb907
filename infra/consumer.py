"""The local stand-in for Lambda's SQS event source mapping: ``chalice local`` never runs
``on_sqs_message`` handlers, so dev mode (``make run``) and the integration tests run this
consumer, which long-polls the back-channel queue on moto's server and invokes the handler
Lambda would invoke (``chalicelib.web.queues``), with a Lambda-shaped event of one record.

As on Lambda: a handler that returns deletes the message; one that raises leaves it on the
queue, to be received again after its visibility timeout, and moved to the dead-letter queue
after the queue's maxReceiveCount receives. At most ``workers`` deliveries run at once (the
function's maximum concurrency), and a message is received only when a worker is free.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

log = logging.getLogger("oidc.consumer")


class Consumer:
    def __init__(self, queue_name: str | None = None, workers: int = 10, wait_seconds: int = 1) -> None:
        import boto3
        import botocore.config

        from chalicelib.settings import settings

        self.queue_name = queue_name or settings.backchannel_queue
        self.wait_seconds = wait_seconds
        # Long polls wait up to wait_seconds for a message: the read timeout must outlast them.
        config = botocore.config.Config(read_timeout=wait_seconds + 10, retries={"mode": "standard"})
        self.sqs = boto3.client("sqs", config=config)
        self.url = self.sqs.get_queue_url(QueueName=self.queue_name)["QueueUrl"]
        attributes = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]
        self.arn = attributes["QueueArn"]
        self.outcomes: Counter[str] = Counter()  # "handled" (deleted) or "raised" (left to come back)
        self._free = threading.Semaphore(workers)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sqs-consumer")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> Consumer:
        self._thread = threading.Thread(target=self._run, name="sqs-poller", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.wait_seconds + 15)
        self._pool.shutdown(wait=True)

    def drain(self) -> int:
        """Receive and handle, in this thread, until the queue has nothing visible (unit tests).
        Returns how many messages were handled."""
        count = 0
        while messages := self._receive(0, 10):
            for message in messages:
                self._handle(message)
                count += 1
        return count

    def in_flight(self) -> int:
        """Messages received and not yet deleted, plus those waiting (as SQS counts them)."""
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        attributes = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=names)["Attributes"]
        return sum(int(attributes[name]) for name in names)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._free.acquire()  # wait for a free worker before taking a message
            try:
                messages = self._receive(self.wait_seconds, 1)
            except Exception:  # the emulator is stopping, or briefly unavailable
                self._free.release()
                self._stop.wait(0.5)
                continue
            if not messages:
                self._free.release()
                continue
            self._pool.submit(self._work, messages[0])

    def _work(self, message: dict[str, Any]) -> None:
        try:
            self._handle(message)
        finally:
            self._free.release()

    def _receive(self, wait_seconds: int, count: int) -> list[dict[str, Any]]:
        answer = self.sqs.receive_message(
            QueueUrl=self.url, MaxNumberOfMessages=count, WaitTimeSeconds=wait_seconds, AttributeNames=["All"]
        )
        return answer.get("Messages", [])

    def _handle(self, message: dict[str, Any]) -> None:
        from chalicelib.web.queues import deliver_backchannel_logout

        record = {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {},
            "eventSource": "aws:sqs",
            "eventSourceARN": self.arn,
        }
        try:
            deliver_backchannel_logout({"Records": [record]}, None)
        except Exception as error:  # as Lambda: the message comes back after its visibility timeout
            log.info("back-channel delivery raised %r; the message will be received again", error)
            self._count("raised")
            return
        self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        self._count("handled")

    def _count(self, outcome: str) -> None:
        with self._lock:
            self.outcomes[outcome] += 1

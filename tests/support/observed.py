"""What the ``logged`` and ``throttling`` fixtures (tests/unit/conftest.py) are made of:
the app watched as CloudWatch would see it (every line it logs, formatted as on Lambda),
and AWS shedding load at the HTTP boundary."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from botocore.awsrequest import AWSResponse

from chalicelib.observability import logs
from tests.support.emf import totals

THROTTLED = b'{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"slow"}'


@contextmanager
def capture() -> Iterator[list[str]]:
    """Every line the app logs meanwhile, as text, formatted as the app formats them on
    Lambda (``logs.install`` gives the runtime's handler this formatter)."""
    captured: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            captured.append(self.format(record))

    handler = Capture()
    handler.setFormatter(logs.JsonLines())
    logging.getLogger().addHandler(handler)
    try:
        yield captured
    finally:
        logging.getLogger().removeHandler(handler)


def parsed(captured: list[str]) -> list[dict]:
    return [json.loads(text) for text in captured]


def metric(lines: list[dict], name: str, **dimensions: str) -> float:
    key = ("OidcProvider", name, tuple(sorted({"Stage": "unit", **dimensions}.items())))
    return totals(lines).get(key, 0.0)


@contextmanager
def throttled_dynamodb() -> Iterator[list[int]]:
    """DynamoDB shedding load: the next ``remaining[0]`` calls are answered as DynamoDB
    answers them on the wire, at the HTTP boundary, before moto sees them."""
    from chalicelib.store.models import Item

    client = Item._get_connection().connection.client
    remaining = [0]

    def answer(request, **_):
        if remaining[0] > 0:
            remaining[0] -= 1
            return AWSResponse(request.url, 400, {}, _Body(THROTTLED))
        return None

    client.meta.events.register_first("before-send.dynamodb.*", answer)
    try:
        yield remaining
    finally:
        client.meta.events.unregister("before-send.dynamodb.*", answer)


class _Body:
    def __init__(self, content: bytes) -> None:
        self.content = content

    def stream(self, **_):
        yield self.content

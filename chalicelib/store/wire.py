"""DynamoDB's JSON protocol, spoken directly for the data-plane calls every request makes.

botocore spends ~1.5 ms of CPU on each DynamoDB call (validation, endpoint rules, its event
hooks, http.client wrapped twice, a shape-driven parser), and a full login makes seven calls:
more CPU than the rest of the provider. The protocol itself is a signed JSON POST whose body
PynamoDB has already built in wire format, so this module sends that body as it is, signs it
(``chalicelib.store.sigv4``, checked against botocore's signer), keeps one connection per
thread alive (``chalicelib.store.http11``: urllib3's pool, and http.client too, cost more CPU
than the call's JSON), and decides
retries with botocore's standard retry rules and back-off (throttles counted as
``chalicelib.observability.throttles`` counts botocore's). What PynamoDB gets back is what
botocore would have given it: the parsed answer, or a ``ClientError`` carrying the code, the
message, the modeled fields (``CancellationReasons``) and the response metadata.

Control-plane operations (CreateTable, DescribeTable, UpdateTimeToLive, …) stay with botocore.
The store has no binary attributes (a test keeps it so): a body with bytes in it cannot be
serialised and raises instead of reaching DynamoDB in a wrong encoding.
"""

from __future__ import annotations

import http.client
import json
import logging
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError, NoCredentialsError
from botocore.exceptions import ReadTimeoutError as BotocoreReadTimeout
from botocore.httpsession import get_cert_path
from botocore.retries.standard import ExponentialBackoff, RetryContext, StandardRetryConditions

from chalicelib.observability import throttles
from chalicelib.store.http11 import Connection as HTTPConnection
from chalicelib.store.sigv4 import signed_headers

log = logging.getLogger("oidc.aws")

TARGET = "DynamoDB_20120810."
CONTENT_TYPE = "application/x-amz-json-1.0"
DATA_PLANE = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }
)


@dataclass(frozen=True)
class Answer:
    """One attempt's HTTP answer, shaped as botocore's retry rules read one."""

    status_code: int
    headers: dict[str, str]
    content: bytes
    parsed: dict[str, Any] = field(default_factory=dict)


class Wire:
    """Stands in for the botocore client PynamoDB would call (its ``_make_api_call``)."""

    # PynamoDB rebuilds its client when the client's signer lost its credentials; this one
    # reads the credentials on every call instead, so there is no signer to look at.
    _request_signer = None

    def __init__(self, build_client: Callable[[], Any], attempts: int, timeouts: tuple[float, float]):
        """``build_client`` makes the botocore DynamoDB client (on first use, as PynamoDB would
        build its own): it gives the endpoint, the region, the credentials, the operation models
        that the retry rules read, and it makes every call that is not data plane."""
        self._build_client = build_client
        self._timeouts = timeouts
        self._lock = threading.Lock()
        self._ready: tuple[Any, Any, str] | None = None  # client, credentials, endpoint URL
        self._local = threading.local()  # each thread's kept-alive connection
        self._retry = StandardRetryConditions(max_attempts=attempts)
        self._backoff = ExponentialBackoff(service_name="dynamodb")

    @property
    def meta(self) -> Any:
        return self._parts()[0].meta

    def __getattr__(self, name: str) -> Any:
        """botocore's operation methods (``query``, ``batch_write_item``, ...), for the store's
        code that calls the client itself: off the hot path, they go through botocore."""
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._parts()[0], name)

    def _parts(self) -> tuple[Any, Any, str]:
        # A client built while no credentials could be found is built again on the next call
        # (as PynamoDB does with its own): botocore would keep its missing credentials forever.
        if self._ready is None or self._ready[1] is None:
            with self._lock:
                if self._ready is None or self._ready[1] is None:
                    client = self._build_client()
                    url = client.meta.endpoint_url.rstrip("/") + "/"
                    self._ready = (client, client._request_signer._credentials, url)
        return self._ready

    def _make_api_call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        client = self._parts()[0]
        if operation not in DATA_PLANE:
            return client._make_api_call(operation, params)
        body = json.dumps(params, separators=(",", ":")).encode()
        model = client.meta.service_model.operation_model(operation)
        attempt = 1
        while True:
            answer, error = self._attempt(operation, body)
            context = RetryContext(attempt, operation_model=model, parsed_response=answer.parsed if answer else None)
            context.http_response = answer
            context.caught_exception = error
            if answer is not None:
                throttles.count_throttle(response=(answer, answer.parsed), operation=model, attempts=attempt)
            if not self._retry.is_retryable(context):
                break
            time.sleep(self._backoff.delay_amount(context))
            attempt += 1
        if answer is None:
            raise error or EndpointConnectionError(endpoint_url=self._parts()[2])
        return _result(operation, answer, attempt)

    def _attempt(self, operation: str, body: bytes) -> tuple[Answer | None, Exception | None]:
        client, credentials, url = self._parts()
        headers = _signed(client.meta.region_name, credentials, url, operation, body)
        reused = getattr(self._local, "connection", None) is not None
        try:
            return self._exchange(url, headers, body), None
        except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected) as error:
            self._drop()
            if reused:  # the endpoint closed an idle kept-alive connection: a new one, at once
                return self._attempt(operation, body)
            return None, EndpointConnectionError(endpoint_url=url, error=error)
        except ConnectTimeoutError as error:
            return None, error
        except TimeoutError as error:
            self._drop()
            return None, BotocoreReadTimeout(endpoint_url=url, error=error)
        except (OSError, http.client.HTTPException) as error:
            self._drop()
            return None, EndpointConnectionError(endpoint_url=url, error=error)

    def _exchange(self, url: str, headers: dict[str, str], body: bytes) -> Answer:
        connection = getattr(self._local, "connection", None) or self._connect(url)
        try:
            response = connection.post("/", headers, body)
        except BaseException:
            # Whatever broke off the exchange, the connection may hold part of an answer: the
            # next call on it must never read this one's.
            self._drop()
            raise
        if response.will_close:
            self._drop()
        return Answer(response.status, response.headers, response.content, _parsed(response.status, response.content))

    def _connect(self, url: str) -> HTTPConnection:
        parts = urlsplit(url)
        https = parts.scheme == "https"
        context = ssl.create_default_context(cafile=get_cert_path(True)) if https else None
        port = parts.port or (443 if https else 80)
        try:
            connection = HTTPConnection(parts.hostname or "", port, self._timeouts, context)
        except TimeoutError as error:
            raise ConnectTimeoutError(endpoint_url=url, error=error) from error
        self._local.connection = connection
        return connection

    def _drop(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            connection.close()


def _signed(region: str, credentials: Any, url: str, operation: str, body: bytes) -> dict[str, str]:
    """The request's headers, signed with the client's credentials (botocore refreshes them
    when they are temporary and about to expire)."""
    frozen = credentials.get_frozen_credentials() if credentials is not None else None
    if frozen is None or frozen.access_key is None:
        raise NoCredentialsError()
    return signed_headers(frozen, region, _host(url), TARGET + operation, CONTENT_TYPE, body)


@lru_cache(maxsize=4)
def _host(url: str) -> str:
    """The Host header: the URL's authority without a default port (as urllib3 would send it)."""
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}[parts.scheme]
    return parts.hostname if parts.port in (None, default) else f"{parts.hostname}:{parts.port}"


def _parsed(status: int, content: bytes) -> dict[str, Any]:
    """The answer as botocore's JSON parser gives it: an error's code is its ``__type``'s last
    part, and the error's modeled fields (``CancellationReasons``, ``Item``) sit beside it."""
    try:
        document = json.loads(content) if content else {}
    except ValueError:
        document = {}
    if not isinstance(document, dict):
        document = {}
    if status < 300:
        return document
    code = str(document.pop("__type", "") or "").rpartition("#")[2] or str(status)
    message = document.pop("message", None) or document.pop("Message", None) or ""
    return {"Error": {"Code": code, "Message": message}, **document}


def _result(operation: str, answer: Answer, attempts: int) -> dict[str, Any]:
    parsed = dict(answer.parsed)
    parsed["ResponseMetadata"] = {
        "RequestId": answer.headers.get("x-amzn-requestid", ""),
        "HTTPStatusCode": answer.status_code,
        "HTTPHeaders": {name.lower(): value for name, value in answer.headers.items()},
        "RetryAttempts": attempts - 1,
    }
    if answer.status_code >= 300:
        raise ClientError(parsed, operation)
    return parsed


def install(connection: Any, build_client: Callable[[], Any], attempts: int, timeouts: tuple[float, float]) -> None:
    """Make PynamoDB's ``connection`` call DynamoDB through a ``Wire``."""
    connection._client = Wire(build_client, attempts, timeouts)

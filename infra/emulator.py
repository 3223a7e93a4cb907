"""Embedded AWS emulation for dev mode, tests and the benchmark: moto's server (DynamoDB,
KMS, Secrets Manager, SQS, ...) on 127.0.0.1, in a thread, counting every API call it serves.

The count is taken at the HTTP boundary, from the ``X-Amz-Target`` header each call
carries, so it measures what the provider really sends, whatever library sent it.

Its memory and its transactions' cost stay bounded (``infra/moto_bounds.py``): moto kept
every model object it ever made, and copied the whole table for every transaction.
"""

from __future__ import annotations

import argparse
import io
import json
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

from infra import mailpage

# X-Amz-Target prefixes (botocore speaks SQS's JSON protocol: "AmazonSQS.SendMessageBatch").
SERVICES = {
    "DynamoDB_20120810": "dynamodb",
    "TrentService": "kms",
    "secretsmanager": "secretsmanager",
    "AmazonSQS": "sqs",
}

# What each service answers when it is overloaded: (status, error type as the wire names it).
OVERLOADED = {
    "dynamodb": (400, "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"),
    "kms": (400, "ThrottlingException"),
    "secretsmanager": (500, "InternalServiceError"),
}


@dataclass
class Fault:
    """Answer the next ``times`` calls of an operation with an error. ``after_execution``:
    carry the call out first, then fail it, as when a response is lost on the way back."""

    times: int
    after_execution: bool = False
    # Only calls whose request body contains this text fail (say, one item's key).
    matching: str | None = None


class Emulator:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        # moto applies a conditional write as a read and a write, unguarded: two threads can
        # both pass one condition. DynamoDB applies each write atomically; serving DynamoDB
        # calls one at a time restores that guarantee (exactly-once redemption depends on it).
        self._dynamodb = threading.Lock()
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server: Any = None
        self.faults: dict[str, Fault] = {}

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> Emulator:
        from infra.moto_bounds import bound

        bound()
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
        from waitress.server import create_server

        app = DomainDispatcherApplication(create_backend_app)
        # waitress rather than moto's own werkzeug server: werkzeug closes every connection
        # after its answer, so each AWS call would pay a TCP handshake (and its CPU, in the
        # caller's figures) that AWS's kept-alive endpoints do not; waitress keeps them alive.
        self._server = create_server(self._counting(app), host=self.host, port=self.port, threads=8, ident="amazon.com")
        self.port = self._server.effective_port
        threading.Thread(target=self._server.run, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.close()

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.faults.clear()

    def inject(
        self, operation: str, times: int = 1_000_000, after_execution: bool = False, matching: str | None = None
    ) -> None:
        """Make ``operation`` (say ``"dynamodb:UpdateItem"``) fail the next ``times`` calls,
        or only those whose request mentions ``matching``."""
        with self._lock:
            self.faults[operation] = Fault(times, after_execution, matching)

    def _take_fault(self, operation: str, environ: dict[str, Any]) -> Fault | None:
        with self._lock:
            fault = self.faults.get(operation)
            if fault is None or fault.times <= 0:
                return None
            if fault.matching is not None and fault.matching.encode() not in _body(environ):
                return None
            fault.times -= 1
            return fault

    def snapshot(self) -> Counter[str]:
        with self._lock:
            return Counter(self.calls)

    def _counting(self, app: Any) -> Any:
        def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
            if environ.get("PATH_INFO", "").startswith("/_emulator/"):
                return self._control(environ, start_response)
            target = environ.get("HTTP_X_AMZ_TARGET", "")
            prefix, _, operation = target.partition(".")
            service = SERVICES.get(prefix, prefix)
            name = f"{service}:{operation}"
            if operation:
                batched = operation.startswith(("Transact", "BatchGet"))
                items = _items(environ) if batched else 0
                with self._lock:
                    self.calls[name] += 1
                    if items:  # what DynamoDB bills for a transaction or a batch: per item
                        self.calls[f"{name}.items"] += items
            fault = self._take_fault(name, environ)
            if fault is not None and not fault.after_execution:
                return _overloaded(service, start_response)
            if service == "dynamodb":
                with self._dynamodb:
                    body = list(app(environ, _discard if fault else start_response))
            else:
                body = list(app(environ, _discard if fault else start_response))
            return _overloaded(service, start_response) if fault else body

        return wsgi

    def _control(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        """``GET /_emulator/calls`` and ``POST /_emulator/reset``, for a benchmark in another
        process; ``GET /_emulator/mail``, the local mail page (``infra/mailpage.py``)."""
        if environ["PATH_INFO"] == mailpage.PATH:
            status, headers, page = mailpage.response()
            start_response(status, headers)
            return [page]
        if environ["PATH_INFO"] == "/_emulator/reset" and environ["REQUEST_METHOD"] == "POST":
            self.reset()
        body = json.dumps(self.snapshot()).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]


def _body(environ: dict[str, Any]) -> bytes:
    raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    environ["wsgi.input"] = io.BytesIO(raw)  # moto reads it again
    return raw


def _items(environ: dict[str, Any]) -> int:
    """How many items a transaction or a BatchGetItem names."""
    try:
        request = json.loads(_body(environ))
    except ValueError:
        return 0
    if "RequestItems" in request:
        return sum(len(table.get("Keys", [])) for table in request["RequestItems"].values())
    return len(request.get("TransactItems", []))


def _discard(status: str, headers: list, exc_info: Any = None) -> Any:
    return lambda data: None


def _overloaded(service: str, start_response: Any) -> list[bytes]:
    status, kind = OVERLOADED.get(service, (500, "InternalFailure"))
    body = json.dumps({"__type": kind, "message": "injected by the emulator"}).encode()
    headers = [
        ("Content-Type", "application/x-amz-json-1.1"),
        ("x-amzn-ErrorType", kind.rsplit("#", 1)[-1]),
        ("x-amzn-RequestId", "injected-fault"),
        ("Content-Length", str(len(body))),
    ]
    start_response(f"{status} {'Bad Request' if status == 400 else 'Internal Server Error'}", headers)
    return [body]


def emulated_environment(url: str) -> dict[str, str]:
    """What a process needs in its environment to use the emulation instead of AWS."""
    return {
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }


def main() -> None:
    """Run the emulation on its own (the benchmark pins it to a core of its own)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=4566)
    emulator = Emulator(port=parser.parse_args().port).start()
    print(emulator.url, flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()

"""Embedded AWS emulation for dev mode, tests and the benchmark: moto's server (DynamoDB,
KMS, Secrets Manager, ...) on 127.0.0.1, in a thread, counting every API call it serves.

The count is taken at the HTTP boundary, from the ``X-Amz-Target`` header each call
carries, so it measures what the provider really sends, whatever library sent it.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

SERVICES = {"DynamoDB_20120810": "dynamodb", "TrentService": "kms", "secretsmanager": "secretsmanager"}


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

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> Emulator:
        from moto.moto_server.threaded_moto_server import MotoRequestHandler
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
        from werkzeug.serving import make_server

        class QuietHandler(MotoRequestHandler):
            def log_request(self, *args: Any) -> None:  # one line per AWS call is noise here
                pass

        app = DomainDispatcherApplication(create_backend_app)
        self._server = make_server(
            self.host, self.port, self._counting(app), threaded=True, request_handler=QuietHandler
        )
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()

    def snapshot(self) -> Counter[str]:
        with self._lock:
            return Counter(self.calls)

    def _counting(self, app: Any) -> Any:
        def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
            target = environ.get("HTTP_X_AMZ_TARGET", "")
            prefix, _, operation = target.partition(".")
            service = SERVICES.get(prefix, prefix)
            if operation:
                with self._lock:
                    self.calls[f"{service}:{operation}"] += 1
            if service == "dynamodb":
                with self._dynamodb:
                    return list(app(environ, start_response))
            return app(environ, start_response)

        return wsgi


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

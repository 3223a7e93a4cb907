"""botocore clients for KMS and Secrets Manager, built once per container on first use.

botocore rather than boto3: boto3's import alone costs a Lambda cold start ~50 ms more, and
the resource layer is not needed. Endpoints come from the environment (``AWS_ENDPOINT_URL``
and its per-service variants), so the same code reaches AWS or moto.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_clients: dict[str, Any] = {}


def client(service: str) -> Any:
    existing = _clients.get(service)
    if existing is not None:
        return existing
    with _lock:  # botocore sessions are not thread-safe while building clients
        if service not in _clients:
            import botocore.config
            import botocore.session

            config = botocore.config.Config(
                connect_timeout=2,
                read_timeout=3,
                retries={"total_max_attempts": 3, "mode": "standard"},
            )
            _clients[service] = botocore.session.get_session().create_client(service, config=config)
        return _clients[service]

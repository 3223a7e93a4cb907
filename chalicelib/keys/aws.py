"""botocore clients for KMS and Secrets Manager, built once per container on first use.

botocore rather than boto3: boto3's import alone costs a Lambda cold start ~50 ms more, and
the resource layer is not needed. Endpoints come from the environment (``AWS_ENDPOINT_URL``
and its per-service variants), so the same code reaches AWS or moto.
"""

from __future__ import annotations

import threading
from typing import Any

from chalicelib import aws_session

_lock = threading.Lock()
_clients: dict[str, Any] = {}


def client(service: str) -> Any:
    existing = _clients.get(service)
    if existing is not None:
        return existing
    with _lock:
        if service not in _clients:
            import botocore.config

            config = botocore.config.Config(
                connect_timeout=2,
                read_timeout=3,
                retries={"total_max_attempts": 3, "mode": "standard"},
            )
            _clients[service] = aws_session.session().create_client(service, config=config)
        return _clients[service]


def ensure_symmetric_key(alias: str, description: str) -> str:
    """A deployment's symmetric KMS key under ``alias``, created unless it exists (operator
    set-up and dev mode; a deployment's come from infra/resources.json); returns the alias."""
    kms = client("kms")
    try:
        kms.describe_key(KeyId=alias)
        return alias
    except kms.exceptions.NotFoundException:
        pass
    key_id = kms.create_key(Description=description)["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    return alias

"""What the CLI says when it cannot do its work at all: AWS (or the emulation) unreachable,
credentials or region missing or refused, the table not there. One line for a person to
act on, instead of botocore's and PynamoDB's tracebacks."""

from __future__ import annotations

import os
from collections.abc import Iterator

# Error codes AWS answers a request it cannot authenticate or authorize with.
_REFUSED = {
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "MissingAuthenticationToken",
    "ExpiredToken",
    "ExpiredTokenException",
    "AccessDenied",
    "AccessDeniedException",
}


def explain(error: BaseException) -> str | None:
    """The line to print for ``error``, or None when it is not one of these (a bug, which
    keeps its traceback)."""
    from botocore import exceptions as aws

    for cause in _causes(error):
        if isinstance(cause, (aws.EndpointConnectionError, aws.ConnectionClosedError, aws.ConnectTimeoutError)):
            return _unreachable()
        if isinstance(cause, (aws.NoCredentialsError, aws.PartialCredentialsError)):
            return "no AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        if isinstance(cause, aws.NoRegionError):
            return "no AWS region: set AWS_DEFAULT_REGION"
        if isinstance(cause, aws.ClientError):
            return _refused(cause, dynamodb=_from_pynamodb(error))
    return None


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The error, what PynamoDB says caused it, and what it was raised from or during."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending += [getattr(current, "cause", None), current.__cause__, current.__context__]


def _from_pynamodb(error: BaseException) -> bool:
    from chalicelib.store import StoreError

    return any(isinstance(cause, StoreError) for cause in _causes(error))


def _refused(error: BaseException, dynamodb: bool) -> str:
    from chalicelib.settings import settings

    response = getattr(error, "response", {})
    details = response.get("Error", {})
    code, message = details.get("Code", ""), " ".join(str(details.get("Message", "")).split())[:200]
    operation = getattr(error, "operation_name", "AWS")
    if code in _REFUSED:
        return f"AWS refused the credentials ({code}: {message})"
    if code == "403" or response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 403:
        # An answer that could not be parsed (moto answers DynamoDB in IAM's XML): its status says it.
        return f"AWS refused the credentials (HTTP 403 to {operation})"
    if code == "ResourceNotFoundException" and (dynamodb or "table" in message.lower()):
        return (
            f"no DynamoDB table {settings.table_name} here: create it with `setup --create-table`, "
            "or set TABLE_NAME to the deployment's table"
        )
    return f"{operation} failed ({code}: {message})"


def _unreachable() -> str:
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        return f"cannot reach AWS at {endpoint}: is `make run` running?"
    return "cannot reach AWS: check the network and AWS_DEFAULT_REGION"

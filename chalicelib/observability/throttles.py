"""AWS throttling, counted as it happens: every attempt that an AWS service refused for
load, including those botocore's retries then absorbed, since a throttle absorbed today is
the 503 of a busier day (DynamoDB's partition or account limits, KMS's shared request quota).

botocore asks ``needs-retry`` after every attempt of every call, with the parsed answer;
this handler is registered on the one session every client is built from
(``chalicelib.aws_session``), looks, counts, and never answers, so botocore's retry
decision stays its own. What a throttle is, botocore's standard retry mode says (its error
codes, and HTTP 429).
"""

from __future__ import annotations

import logging
from typing import Any

from botocore.retries.standard import RetryContext, ThrottledRetryableChecker, ThrottlingStatusCodeChecker

from chalicelib.observability.scope import count

log = logging.getLogger("oidc.aws")
_CHECKERS = (ThrottledRetryableChecker(), ThrottlingStatusCodeChecker())


def count_throttle(response: Any = None, operation: Any = None, attempts: int = 1, **_: Any) -> None:
    """botocore's ``needs-retry`` event: ``response`` is (HTTP response, parsed answer), or
    None when the attempt raised instead (a connection error: not a throttle)."""
    if not response or operation is None:
        return
    context = RetryContext(attempts, operation_model=operation, http_response=response[0], parsed_response=response[1])
    if any(checker.is_retryable(context) for checker in _CHECKERS):
        service = operation.service_model.service_name
        count("AwsThrottles", service)
        log.warning("%s throttled %s (attempt %d)", service, operation.name, attempts)


def register(session: Any) -> None:
    """Count the throttles of every client ``session`` builds from now on."""
    session.register("needs-retry", count_throttle)

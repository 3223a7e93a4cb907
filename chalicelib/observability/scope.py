"""What the request under way is: its id, its tenant, and what it counted.

A context variable, not a global: ``chalice local`` and the back-channel consumer serve
requests in threads, and each thread sees its own request. On Lambda one container serves
one invocation at a time, and the next ``bind`` replaces the last one's scope.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field

# What the id of a request may look like (API Gateway's and Lambda's are UUIDs).
MAX_ID = 64


@dataclass
class Scope:
    request_id: str
    tenant: str | None = None
    # (metric, dimension value or "") → what was counted, for the request's metrics line.
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)


_scope: ContextVar[Scope | None] = ContextVar("observability_scope", default=None)


def bind(*, request_id: str | None = None, tenant: str | None = None) -> None:
    """Name the request (or invocation) under way: a ``request_id`` starts a new scope (no
    counts), ``tenant`` alone names the tenant of the current one (a queue message names its
    tenant once it is parsed; a scheduled function walks tenant after tenant)."""
    scope = _scope.get()
    if request_id is not None or scope is None:
        _scope.set(Scope(request_id or secrets.token_hex(8), tenant))
    else:
        scope.tenant = tenant


def current() -> Scope | None:
    return _scope.get()


def count(metric: str, dimension: str = "", value: float = 1) -> None:
    """Add ``value`` to a metric of the request under way; nothing outside a request (the
    CLI, say): no line would ever carry it."""
    scope = _scope.get()
    if scope is not None:
        scope.counts[(metric, dimension)] += value


def request_id_of(request_context: Mapping[str, object], lambda_context: object) -> str:
    """API Gateway's id of the request: the caller got it back as ``x-amzn-RequestId`` and
    API Gateway's own logs name it. Else (``chalice local``, a queue or a schedule) the
    Lambda invocation's id, as the runtime's START and REPORT lines name it; else a new one."""
    for candidate in (request_context.get("requestId"), getattr(lambda_context, "aws_request_id", None)):
        if isinstance(candidate, str) and 0 < len(candidate) <= MAX_ID and candidate.isprintable():
            return candidate
    return secrets.token_hex(8)

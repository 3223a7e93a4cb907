"""Observability: every log line names its request and its tenant, and each request's
metrics leave as one CloudWatch embedded-metric-format line (docs: the README's
"Logs, metrics and alarms"). The standard library and the deployment settings only, so that every package may use it.

Where a request or an invocation enters (a route, a queue message, a schedule), one call
names it: ``bind(request_id=..., tenant=...)``; ``metrics.flush()`` at its end writes its
metrics. Code that only counts calls ``count(metric, dimension)``.
"""

from chalicelib.observability.scope import bind, count, current, request_id_of

__all__ = ["bind", "count", "current", "request_id_of"]
